// Symbolic zeros: values that do not depend on a differentiated value get
// no tangent code and no zero tensors; fg.stop_gradient cuts tangents.
// RUN: fgc-opt %s -fg-jvp="wrt=x" -split-input-file | FileCheck %s

// Only x is differentiated: the y-only branch (exp, sqrt) gets no tangent
// code, and no zero constant is built for it.
// CHECK-LABEL: func.func @forward_jvp(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32> {fg.name = "x"}, %[[Y:.*]]: tensor<4xf32> {fg.name = "y"}, %[[DX:.*]]: tensor<4xf32> {fg.name = "x.tangent", fg.tangent_of = "x"})
// CHECK-NOT: fg.constant
// CHECK: %[[E:.*]] = fg.exp %[[Y]]
// CHECK-NEXT: %[[S:.*]] = fg.sqrt %[[E]]
// CHECK-NEXT: %[[M:.*]] = fg.mul %[[X]], %[[S]]
// CHECK-NEXT: %[[T:.*]] = fg.mul %[[DX]], %[[S]]
// CHECK-NEXT: return %[[M]], %[[T]]
func.func @forward(%x: tensor<4xf32> {fg.name = "x"}, %y: tensor<4xf32> {fg.name = "y"}) -> tensor<4xf32> {
  %e = fg.exp %y : tensor<4xf32>
  %s = fg.sqrt %e : tensor<4xf32>
  %m = fg.mul %x, %s : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %m : tensor<4xf32>
}

// -----

// stop_gradient: the identity on values, a zero tangent; the product with
// the cut branch keeps only the other term.
// CHECK-LABEL: func.func @forward_jvp(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32> {fg.name = "x"}, %[[DX:.*]]: tensor<4xf32>
// CHECK: %[[C:.*]] = fg.stop_gradient %[[X]]
// CHECK-NEXT: %[[M:.*]] = fg.mul %[[X]], %[[C]]
// CHECK-NEXT: %[[T:.*]] = fg.mul %[[DX]], %[[C]]
// CHECK-NEXT: return %[[M]], %[[T]]
func.func @forward(%x: tensor<4xf32> {fg.name = "x"}) -> tensor<4xf32> {
  %c = fg.stop_gradient %x : tensor<4xf32>
  %m = fg.mul %x, %c : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %m : tensor<4xf32>
}

// -----

// A returned value with no dependence on x gets a materialised zero tangent
// (only at the function boundary).
// CHECK-LABEL: func.func @forward_jvp(
// CHECK: %[[Z:.*]] = fg.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: return %{{.*}}, %[[Z]]
func.func @forward(%x: tensor<4xf32> {fg.name = "x"}, %y: tensor<4xf32> {fg.name = "y"}) -> tensor<4xf32> {
  %e = fg.exp %y : tensor<4xf32>
  return %e : tensor<4xf32>
}
