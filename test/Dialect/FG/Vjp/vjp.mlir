// fg-vjp builds @forward_vjp: cotangent arguments after the inputs, the
// gradients after the results; only ops on a path from a differentiated
// value get reverse code.
// RUN: fgc-opt %s -fg-vjp -split-input-file | FileCheck %s
// RUN: fgc-opt %s -fg-vjp="wrt=params" -split-input-file | FileCheck %s --check-prefix=PARAMS

fg.parameter @w = dense<0.5> : tensor<3x2xf32>

// CHECK-LABEL: func.func @forward_vjp(
// CHECK-SAME:    %[[X:arg[0-9]+]]: tensor<4x3xf32> {fg.name = "x"}, %[[I:arg[0-9]+]]: tensor<4xi64> {fg.name = "i"},
// CHECK-SAME:    %[[U:arg[0-9]+]]: tensor<4x2xf32> {fg.name = "y.cotangent"})
// CHECK-SAME:    -> (tensor<4x2xf32> {fg.name = "y"}, tensor<4xi64> {fg.name = "j"}, tensor<4x3xf32> {fg.name = "x.grad"})
// The ReLU's cotangent is masked, then pulled through the product with w.
// CHECK:         %[[W:.*]] = fg.param @w
// CHECK:         %[[Y:.*]] = fg.matmul %[[X]], %[[W]]
// CHECK:         %[[R:.*]] = fg.relu %[[Y]]
// CHECK:         %[[M:.*]] = fg.compare "gt", %[[Y]]
// CHECK:         %[[G:.*]] = fg.mul %[[U]], %[[M]]
// CHECK:         %[[WT:.*]] = fg.transpose %[[W]]
// CHECK:         %[[DX:.*]] = fg.matmul %[[G]], %[[WT]]
// CHECK:         return %[[R]], %{{.*}}, %[[DX]]
// The integer result has no cotangent argument.
// PARAMS-LABEL: func.func @forward_vjp(
// PARAMS-SAME:    -> (tensor<4x2xf32> {fg.name = "y"}, tensor<4xi64> {fg.name = "j"}, tensor<3x2xf32> {fg.name = "w.grad"})
func.func @forward(%x: tensor<4x3xf32> {fg.name = "x"}, %i: tensor<4xi64> {fg.name = "i"}) -> (tensor<4x2xf32> {fg.name = "y"}, tensor<4xi64> {fg.name = "j"}) {
  %w = fg.param @w : tensor<3x2xf32>
  %y = fg.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %r = fg.relu %y : tensor<4x2xf32>
  %j = fg.neg %i : tensor<4xi64>
  return %r, %j : tensor<4x2xf32>, tensor<4xi64>
}

// -----

// A value returned twice collects both cotangents; an input with no path to
// a result gets a zero gradient.
// CHECK-LABEL: func.func @forward_vjp(
// CHECK-SAME:    %[[A:arg[0-9]+]]: tensor<3xf32> {fg.name = "a.cotangent"}, %[[B:arg[0-9]+]]: tensor<3xf32> {fg.name = "b.cotangent"})
// CHECK:         %[[S:.*]] = fg.add %[[A]], %[[B]]
// CHECK:         %[[Z:.*]] = fg.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK:         return %{{.*}}, %{{.*}}, %{{.*}}, %[[Z]]
func.func @forward(%x: tensor<3xf32> {fg.name = "x"}, %unused: tensor<2xf32> {fg.name = "u"}) -> (tensor<3xf32> {fg.name = "a"}, tensor<3xf32> {fg.name = "b"}) {
  %e = fg.exp %x : tensor<3xf32>
  return %e, %e : tensor<3xf32>, tensor<3xf32>
}

// -----

// Dropout is the identity outside a training step: so is its cotangent.
// CHECK-LABEL: func.func @forward_vjp(
// CHECK-SAME: %[[X:arg[0-9]+]]: tensor<4xf32>, %[[U:arg[0-9]+]]: tensor<4xf32>
// CHECK: %[[D:.*]] = fg.dropout %[[X]]
// CHECK: return %[[D]], %[[U]]
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %d = fg.dropout %x {ratio = 0.5 : f64} : tensor<4xf32>
  return %d : tensor<4xf32>
}
