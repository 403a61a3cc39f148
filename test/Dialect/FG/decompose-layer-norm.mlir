// RUN: fgc-opt %s -fg-decompose-layer-norm -split-input-file | FileCheck %s

// The parameter-free form: (x - mean) / sqrt(var + eps), both statistics
// from one fg.moments.
// CHECK-LABEL: func.func @plain(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x8xf32>
// CHECK-NEXT: %[[MU:.*]], %[[VAR:.*]] = fg.moments %[[X]] {axes = array<i64: 1, 2>} : tensor<2x3x8xf32> -> tensor<2x1x1xf32>, tensor<2x1x1xf32>
// CHECK-NEXT: %[[C:.*]] = fg.sub %[[X]], %[[MU]]
// CHECK-NEXT: %[[EPS:.*]] = fg.constant dense<1.000000e-03> : tensor<f32>
// CHECK-NEXT: %[[V:.*]] = fg.add %[[VAR]], %[[EPS]]
// CHECK-NEXT: %[[SD:.*]] = fg.sqrt %[[V]]
// CHECK-NEXT: %[[Y:.*]] = fg.div %[[C]], %[[SD]]
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: fg.layer_norm
func.func @plain(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %y = fg.layer_norm %x {axis = 1, epsilon = 1.0e-3} : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// Scale and bias follow the normalisation.
// CHECK-LABEL: func.func @affine(
// CHECK-SAME: %{{.*}}: tensor<2x8xf32>, %[[S:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>
// CHECK: %[[N:.*]] = fg.div
// CHECK-NEXT: %[[M:.*]] = fg.mul %[[N]], %[[S]]
// CHECK-NEXT: %[[Y:.*]] = fg.add %[[M]], %[[B]]
// CHECK-NEXT: return %[[Y]]
func.func @affine(%x: tensor<2x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %y = fg.layer_norm %x affine(%s, %b) {axis = 1} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
