// A product whose weight has batch dimensions the input lacks
// ([M, Kd] x [B, Kd, N]) is not stacked: the stack's leading axis would
// meet the weight's batch axis. The K = 4 tangents take a product of
// their own, broadcast over the weight's batch.
// RUN: fgc-opt %s -fg-jvp="tangents=4" | FileCheck %s

// CHECK-LABEL: func.func @forward_jvp(
// CHECK-NOT: fg.concat
// CHECK-DAG: fg.matmul %{{.*}}, %{{.*}} : tensor<8x16xf32>, tensor<3x16x4xf32> -> tensor<3x8x4xf32>
// CHECK-DAG: fg.matmul %{{.*}}, %{{.*}} : tensor<4x1x8x16xf32>, tensor<3x16x4xf32> -> tensor<4x3x8x4xf32>
// CHECK: return %{{.*}}, %{{.*}} : tensor<3x8x4xf32>, tensor<4x3x8x4xf32>
fg.parameter @w = dense<0.5> : tensor<3x16x4xf32>
func.func @forward(%x: tensor<8x16xf32> {fg.name = "x"}) -> (tensor<3x8x4xf32> {fg.name = "y"}) {
  %w = fg.param @w : tensor<3x16x4xf32>
  %y = fg.matmul %x, %w : tensor<8x16xf32>, tensor<3x16x4xf32> -> tensor<3x8x4xf32>
  return %y : tensor<3x8x4xf32>
}
