// RUN: fgc-opt %s -fg-fuse-layer-norm -split-input-file | FileCheck %s

// PyTorch 1.13's opset-13 layer norm over the last axis.
// CHECK-LABEL: func.func @last_axis
// CHECK-NEXT:    %[[LN:.*]] = fg.layer_norm %arg0 {axis = 2 : i64} : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
// CHECK-NEXT:    return %[[LN]]
func.func @last_axis(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %m = fg.reduce_mean %x {axes = array<i64: 2>} : tensor<2x3x8xf32> -> tensor<2x3x1xf32>
  %d = fg.sub %x, %m : tensor<2x3x8xf32>, tensor<2x3x1xf32> -> tensor<2x3x8xf32>
  %two = fg.constant dense<2.0> : tensor<f32>
  %p = fg.pow %d, %two : tensor<2x3x8xf32>, tensor<f32> -> tensor<2x3x8xf32>
  %v = fg.reduce_mean %p {axes = array<i64: 2>} : tensor<2x3x8xf32> -> tensor<2x3x1xf32>
  %eps = fg.constant dense<1.0e-5> : tensor<f32>
  %ve = fg.add %v, %eps : tensor<2x3x1xf32>, tensor<f32> -> tensor<2x3x1xf32>
  %s = fg.sqrt %ve : tensor<2x3x1xf32>
  %y = fg.div %d, %s : tensor<2x3x8xf32>, tensor<2x3x1xf32> -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// Several trailing axes, epsilon on the left of the add, f64.
// CHECK-LABEL: func.func @trailing_axes
// CHECK-NEXT:    fg.layer_norm %arg0 {axis = 1 : i64, epsilon = 1.000000e-03 : f64} : (tensor<2x3x8xf64>) -> tensor<2x3x8xf64>
func.func @trailing_axes(%x: tensor<2x3x8xf64>) -> tensor<2x3x8xf64> {
  %m = fg.reduce_mean %x {axes = array<i64: 1, 2>} : tensor<2x3x8xf64> -> tensor<2x1x1xf64>
  %d = fg.sub %x, %m : tensor<2x3x8xf64>, tensor<2x1x1xf64> -> tensor<2x3x8xf64>
  %two = fg.constant dense<2.0> : tensor<f64>
  %p = fg.pow %d, %two : tensor<2x3x8xf64>, tensor<f64> -> tensor<2x3x8xf64>
  %v = fg.reduce_mean %p {axes = array<i64: 1, 2>} : tensor<2x3x8xf64> -> tensor<2x1x1xf64>
  %eps = fg.constant dense<1.0e-3> : tensor<f64>
  %ve = fg.add %eps, %v : tensor<f64>, tensor<2x1x1xf64> -> tensor<2x1x1xf64>
  %s = fg.sqrt %ve : tensor<2x1x1xf64>
  %y = fg.div %d, %s : tensor<2x3x8xf64>, tensor<2x1x1xf64> -> tensor<2x3x8xf64>
  return %y : tensor<2x3x8xf64>
}

// -----

// Not a layer norm: the reduction is over a leading axis.
// CHECK-LABEL: func.func @leading_axis
// CHECK-NOT:     fg.layer_norm
func.func @leading_axis(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %m = fg.reduce_mean %x {axes = array<i64: 0>} : tensor<2x8xf32> -> tensor<1x8xf32>
  %d = fg.sub %x, %m : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x8xf32>
  %two = fg.constant dense<2.0> : tensor<f32>
  %p = fg.pow %d, %two : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %v = fg.reduce_mean %p {axes = array<i64: 0>} : tensor<2x8xf32> -> tensor<1x8xf32>
  %eps = fg.constant dense<1.0e-5> : tensor<f32>
  %ve = fg.add %v, %eps : tensor<1x8xf32>, tensor<f32> -> tensor<1x8xf32>
  %s = fg.sqrt %ve : tensor<1x8xf32>
  %y = fg.div %d, %s : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Not a layer norm: the exponent is 3.
// CHECK-LABEL: func.func @cube
// CHECK-NOT:     fg.layer_norm
func.func @cube(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %m = fg.reduce_mean %x {axes = array<i64: 1>} : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = fg.sub %x, %m : tensor<2x8xf32>, tensor<2x1xf32> -> tensor<2x8xf32>
  %three = fg.constant dense<3.0> : tensor<f32>
  %p = fg.pow %d, %three : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %v = fg.reduce_mean %p {axes = array<i64: 1>} : tensor<2x8xf32> -> tensor<2x1xf32>
  %eps = fg.constant dense<1.0e-5> : tensor<f32>
  %ve = fg.add %v, %eps : tensor<2x1xf32>, tensor<f32> -> tensor<2x1xf32>
  %s = fg.sqrt %ve : tensor<2x1xf32>
  %y = fg.div %d, %s : tensor<2x8xf32>, tensor<2x1xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Not fused: the variance is also returned, so fusing would duplicate work.
// CHECK-LABEL: func.func @shared_variance
// CHECK-NOT:     fg.layer_norm
func.func @shared_variance(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x1xf32>) {
  %m = fg.reduce_mean %x {axes = array<i64: 1>} : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = fg.sub %x, %m : tensor<2x8xf32>, tensor<2x1xf32> -> tensor<2x8xf32>
  %two = fg.constant dense<2.0> : tensor<f32>
  %p = fg.pow %d, %two : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %v = fg.reduce_mean %p {axes = array<i64: 1>} : tensor<2x8xf32> -> tensor<2x1xf32>
  %eps = fg.constant dense<1.0e-5> : tensor<f32>
  %ve = fg.add %v, %eps : tensor<2x1xf32>, tensor<f32> -> tensor<2x1xf32>
  %s = fg.sqrt %ve : tensor<2x1xf32>
  %y = fg.div %d, %s : tensor<2x8xf32>, tensor<2x1xf32> -> tensor<2x8xf32>
  return %y, %v : tensor<2x8xf32>, tensor<2x1xf32>
}
