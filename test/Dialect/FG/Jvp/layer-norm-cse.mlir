// RUN: fgc-opt %s -fg-jvp -fg-decompose-layer-norm -cse | FileCheck %s

// The JVP rule builds the layer norm's statistics exactly as the decomposed
// op does: after CSE the derivative function has one fg.moments of x (not
// the op's and the rule's copies) and the two means of tangent
// expressions, mean(dx) and mean(xhat dx).
// CHECK-LABEL: func.func @forward_jvp(
// CHECK-SAME: %[[X:.*]]: tensor<4x8xf32>, %[[DX:.*]]: tensor<4x8xf32>
// CHECK:     fg.moments %[[X]]
// CHECK-NOT: fg.moments
// CHECK:     fg.sqrt
// CHECK-NOT: fg.moments
// CHECK:     fg.reduce_mean %[[DX]]
// CHECK-NOT: fg.sqrt
// CHECK:     fg.reduce_mean
// CHECK-NOT: fg.reduce_mean
// CHECK-NOT: fg.moments
// CHECK-NOT: fg.sqrt
// CHECK-NOT: fg.layer_norm
// CHECK:     return
func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = fg.layer_norm %x {axis = 1} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
