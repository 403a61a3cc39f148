// K tangent directions: a leading [K] dimension; a dense layer's primal and
// its K = 4 tangents come from ONE stacked matrix product [x; dx] W.
// RUN: fgc-opt %s -fg-jvp="tangents=4" | FileCheck %s
// RUN: fgc-opt %s -fg-jvp="tangents=4" -fg-params-to-args -convert-fg-to-linalg | FileCheck %s --check-prefix=LINALG

// CHECK-LABEL: func.func @forward_jvp(
// CHECK-SAME: %[[X:.*]]: tensor<8x16xf32> {fg.name = "x"}, %[[DX:.*]]: tensor<4x8x16xf32> {fg.name = "x.tangent", fg.tangent_of = "x"})
// CHECK-SAME: -> (tensor<8x32xf32> {fg.name = "y"}, tensor<4x8x32xf32> {fg.name = "y.tangent"})
// CHECK: %[[W:.*]] = fg.param @w
// CHECK: %[[X1:.*]] = fg.reshape %[[X]] : tensor<8x16xf32> -> tensor<1x8x16xf32>
// CHECK: %[[S:.*]] = fg.concat %[[X1]], %[[DX]] {axis = 0 : i64} : (tensor<1x8x16xf32>, tensor<4x8x16xf32>) -> tensor<5x8x16xf32>
// CHECK: %[[P:.*]] = fg.matmul %[[S]], %[[W]] : tensor<5x8x16xf32>, tensor<16x32xf32> -> tensor<5x8x32xf32>
// CHECK-NOT: fg.matmul
// CHECK: fg.slice %[[P]] {ends = array<i64: 1, 8, 32>, starts = array<i64: 0, 0, 0>
// CHECK: fg.slice %[[P]] {ends = array<i64: 5, 8, 32>, starts = array<i64: 1, 0, 0>
// The bias is not differentiated: its add passes the K tangents through.
// CHECK: return %{{.*}}, %{{.*}} : tensor<8x32xf32>, tensor<4x8x32xf32>
// LINALG: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<40x16xf32>, tensor<16x32xf32>)
// LINALG-NOT: linalg.matmul
fg.parameter @w = dense<0.5> : tensor<16x32xf32>
fg.parameter @b = dense<0.1> : tensor<32xf32>
func.func @forward(%x: tensor<8x16xf32> {fg.name = "x"}) -> (tensor<8x32xf32> {fg.name = "y"}) {
  %w = fg.param @w : tensor<16x32xf32>
  %b = fg.param @b : tensor<32xf32>
  %h = fg.matmul %x, %w : tensor<8x16xf32>, tensor<16x32xf32> -> tensor<8x32xf32>
  %y = fg.add %h, %b : tensor<8x32xf32>, tensor<32xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}
