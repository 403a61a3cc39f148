// RUN: fgc-opt %s -fg-params-to-args | FileCheck %s

// Parameters become trailing arguments in declaration order (not in the
// order they are read), tagged and read-only; repeated reads share one.
// CHECK: fg.parameter @w
// CHECK: fg.parameter @b
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[X:.*]]: tensor<2x4xf32> {fg.name = "x"},
// CHECK-SAME: %[[W:.*]]: tensor<4x3xf32> {bufferization.writable = false, fg.param = "w"},
// CHECK-SAME: %[[B:.*]]: tensor<3xf32> {bufferization.writable = false, fg.param = "b"})
// CHECK-NOT: fg.param @
// CHECK: fg.matmul %[[X]], %[[W]]
// CHECK: fg.add %{{.*}}, %[[B]]
// CHECK: fg.add %{{.*}}, %[[B]]
fg.parameter @w = dense<1.0> : tensor<4x3xf32>
fg.parameter @b = dense<0.5> : tensor<3xf32>
func.func @forward(%x: tensor<2x4xf32> {fg.name = "x"}) -> tensor<2x3xf32> {
  %b = fg.param @b : tensor<3xf32>
  %w = fg.param @w : tensor<4x3xf32>
  %y = fg.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %z = fg.add %y, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %b2 = fg.param @b : tensor<3xf32>
  %r = fg.add %z, %b2 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// Functions without parameters are left alone.
// CHECK-LABEL: func.func @no_params(%{{.*}}: tensor<2xf32>) -> tensor<2xf32>
func.func @no_params(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
