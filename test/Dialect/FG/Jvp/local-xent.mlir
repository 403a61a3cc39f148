// RUN: fgc-opt %s -fg-jvp="wrt=x" | FileCheck %s
// RUN: fgc-opt %s -fg-jvp="wrt=x tangents=3" | FileCheck %s --check-prefix=K3

// The fused head's custom rule (spec §4.1): the activity tangent of copy
// (p, g) is contracted with W_g delta / P, one [N, C] product for all
// copies; no per-copy logits and no replicated features.
// CHECK-LABEL: func.func @forward_jvp(
// CHECK: %[[MEAN:.*]] = fg.reduce_mean %arg0 {axes = array<i64: 1>, keepdims = false} : tensor<2x3x4x2xf32> -> tensor<2x4x2xf32>
// CHECK: fg.softmax
// CHECK: %[[OH:.*]] = fg.one_hot %arg3
// CHECK: %[[DELTA:.*]] = fg.sub %{{.*}}, %[[OH]]
// CHECK: %[[WT:.*]] = fg.transpose %arg1 {perm = array<i64: 1, 0>}
// CHECK: %[[V:.*]] = fg.matmul %[[DELTA]], %[[WT]] : tensor<2x5xf32>, tensor<5x8xf32> -> tensor<2x8xf32>
// CHECK: %[[V4:.*]] = fg.reshape %[[V]] : tensor<2x8xf32> -> tensor<2x1x4x2xf32>
// CHECK: %[[PROD:.*]] = fg.mul %arg4, %[[V4]]
// CHECK: %[[SUM:.*]] = fg.reduce_sum %[[PROD]] {axes = array<i64: 3>, keepdims = false} : tensor<2x3x4x2xf32> -> tensor<2x3x4xf32>
// CHECK: fg.mul %[[SUM]], %{{.*}} : tensor<2x3x4xf32>, tensor<f32>
// CHECK-NOT: tensor<2x3x4x8xf32>
// K directions: the same ops with a leading [K] on the tangents.
// K3: fg.mul %arg4, %{{.*}} : tensor<3x2x3x4x2xf32>, tensor<2x1x4x2xf32> -> tensor<3x2x3x4x2xf32>
// K3: fg.reduce_sum %{{.*}} {axes = array<i64: 4>, keepdims = false} : tensor<3x2x3x4x2xf32> -> tensor<3x2x3x4xf32>
func.func @forward(%x: tensor<2x3x4x2xf32> {fg.name = "x"}, %w: tensor<8x5xf32> {fg.name = "w"}, %b: tensor<5xf32> {fg.name = "b"}, %l: tensor<2xi64> {fg.name = "labels"}) -> tensor<2x3x4xf32> {
  %0 = fg.local_xent %x, %w, %b, %l : (tensor<2x3x4x2xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<2xi64>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
