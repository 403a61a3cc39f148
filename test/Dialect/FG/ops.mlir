// Round trip of every fg op: print, parse the printed form again, compare.
// RUN: fgc-opt %s | fgc-opt | FileCheck %s

// CHECK: fg.parameter @blocks.0.w = dense<1.000000e+00> : tensor<4x3xf32>
fg.parameter @"blocks.0.w" = dense<1.0> : tensor<4x3xf32>

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<4xi64>) -> tensor<2x3xf32> {
  // CHECK: fg.add %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %0 = fg.add %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: fg.sub
  %1 = fg.sub %0, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: fg.mul
  %2 = fg.mul %1, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: fg.div
  %3 = fg.div %2, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: fg.pow
  %4 = fg.pow %3, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: fg.neg %{{.*}} : tensor<2x3xf32>
  %5 = fg.neg %4 : tensor<2x3xf32>
  // CHECK: fg.abs
  %6 = fg.abs %5 : tensor<2x3xf32>
  // CHECK: fg.exp
  %7 = fg.exp %6 : tensor<2x3xf32>
  // CHECK: fg.log
  %8 = fg.log %7 : tensor<2x3xf32>
  // CHECK: fg.sqrt
  %9 = fg.sqrt %8 : tensor<2x3xf32>
  // CHECK: fg.erf
  %10 = fg.erf %9 : tensor<2x3xf32>
  // CHECK: fg.relu
  %11 = fg.relu %10 : tensor<2x3xf32>
  // CHECK: fg.sigmoid
  %12 = fg.sigmoid %11 : tensor<2x3xf32>
  // CHECK: fg.tanh
  %13 = fg.tanh %12 : tensor<2x3xf32>
  // CHECK: fg.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f64} : tensor<2x3xf32>
  %14 = fg.leaky_relu %13 {alpha = 0.1 : f64} : tensor<2x3xf32>
  // CHECK: fg.neg %{{.*}} : tensor<4xi64>
  %15 = fg.neg %i : tensor<4xi64>
  // CHECK: fg.abs %{{.*}} : tensor<4xi64>
  %16 = fg.abs %15 : tensor<4xi64>
  return %14 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<8x4xf32>, %v: tensor<4xf32>, %b: tensor<5x4x3xf32>, %c: tensor<3xf32>) -> tensor<8x3xf32> {
  // CHECK: fg.param @blocks.0.w : tensor<4x3xf32>
  %w = fg.param @"blocks.0.w" : tensor<4x3xf32>
  // CHECK: fg.matmul %{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  %0 = fg.matmul %x, %w : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  // Vector operands and broadcast batch dimensions.
  // CHECK: fg.matmul {{.*}} : tensor<4xf32>, tensor<4x3xf32> -> tensor<3xf32>
  %1 = fg.matmul %v, %w : tensor<4xf32>, tensor<4x3xf32> -> tensor<3xf32>
  // CHECK: fg.matmul {{.*}} : tensor<8x4xf32>, tensor<5x4x3xf32> -> tensor<5x8x3xf32>
  %2 = fg.matmul %x, %b : tensor<8x4xf32>, tensor<5x4x3xf32> -> tensor<5x8x3xf32>
  // CHECK: fg.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f64} : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %3 = fg.gemm %x, %w, %c {alpha = 0.5 : f64} : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  // CHECK: fg.gemm %{{.*}}, %{{.*}} {trans_b = true} : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x8xf32>
  %5 = fg.gemm %x, %x {trans_b = true} : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x8xf32>
  // CHECK: fg.gemm %{{.*}}, %{{.*}} : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %4 = fg.gemm %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  return %4 : tensor<8x3xf32>
}

// CHECK-LABEL: func.func @conv_pool
func.func @conv_pool(%x: tensor<2x4x9x9xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>, %x1: tensor<1x2x10xf32>, %w1: tensor<3x2x4xf32>) {
  // CHECK: fg.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
  %0 = fg.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2} : (tensor<2x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x5x5xf32>
  // CHECK: fg.conv {{.*}} -> tensor<1x3x4xf32>
  %1 = fg.conv %x1, %w1 {strides = array<i64: 2>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<1x2x10xf32>, tensor<3x2x4xf32>) -> tensor<1x3x4xf32>
  // CHECK: fg.max_pool {{.*}} -> tensor<2x6x3x3xf32>
  %2 = fg.max_pool %0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true} : tensor<2x6x5x5xf32> -> tensor<2x6x3x3xf32>
  // CHECK: fg.avg_pool {{.*}} -> tensor<2x6x3x3xf32>
  %3 = fg.avg_pool %0 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, count_include_pad = true} : tensor<2x6x5x5xf32> -> tensor<2x6x3x3xf32>
  return
}

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<2x3x4xf32>, %s: tensor<4xf32>, %c: tensor<3xf32>) {
  // CHECK: fg.softmax %{{.*}} {axis = 2 : i64} : tensor<2x3x4xf32>
  %0 = fg.softmax %x {axis = 2} : tensor<2x3x4xf32>
  // CHECK: fg.log_softmax %{{.*}} {axis = 0 : i64} : tensor<2x3x4xf32>
  %1 = fg.log_softmax %x {axis = 0} : tensor<2x3x4xf32>
  // CHECK: fg.layer_norm %{{.*}} {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %2 = fg.layer_norm %x {axis = 2} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: fg.layer_norm %{{.*}} affine(%{{.*}}, %{{.*}}) {axis = 2 : i64, epsilon = 1.000000e-03 : f64}
  %3 = fg.layer_norm %x affine(%s, %s) {axis = 2, epsilon = 1.0e-3 : f64} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  // CHECK: fg.batch_norm
  %4 = fg.batch_norm %x, %c, %c, %c, %c : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4xf32>
  return
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<2x3x4xf32>, %i: tensor<5x6xi64>) {
  // CHECK: fg.reduce_mean %{{.*}} {axes = array<i64: 1, 2>} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %0 = fg.reduce_mean %x {axes = array<i64: 1, 2>} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  // CHECK: fg.reduce_sum %{{.*}} {axes = array<i64: 0>, keepdims = false} : tensor<2x3x4xf32> -> tensor<3x4xf32>
  %1 = fg.reduce_sum %x {axes = array<i64: 0>, keepdims = false} : tensor<2x3x4xf32> -> tensor<3x4xf32>
  // Empty axes reduce everything.
  // CHECK: fg.reduce_max %{{.*}} {axes = array<i64>, keepdims = false} : tensor<5x6xi64> -> tensor<i64>
  %2 = fg.reduce_max %i {axes = array<i64>, keepdims = false} : tensor<5x6xi64> -> tensor<i64>
  return
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<2x3x4xf32>, %y: tensor<2x5x4xf32>, %idx: tensor<2x2xi64>) {
  // CHECK: fg.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %0 = fg.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: fg.transpose %{{.*}} {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %1 = fg.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  // CHECK: fg.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  %2 = fg.concat %x, %y {axis = 1} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: fg.slice %{{.*}} {ends = array<i64: 2, 3, 4>, starts = array<i64: 0, 1, 0>, steps = array<i64: 1, 1, 2>} : tensor<2x3x4xf32> -> tensor<2x2x2xf32>
  %3 = fg.slice %x {starts = array<i64: 0, 1, 0>, ends = array<i64: 2, 3, 4>, steps = array<i64: 1, 1, 2>} : tensor<2x3x4xf32> -> tensor<2x2x2xf32>
  // Negative step: indices 3, 2, 1, 0 of the last axis.
  // CHECK: fg.slice {{.*}} -> tensor<2x3x4xf32>
  %4 = fg.slice %x {starts = array<i64: 0, 0, 3>, ends = array<i64: 2, 3, -1>, steps = array<i64: 1, 1, -1>} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  // CHECK: fg.gather %{{.*}}[%{{.*}}] {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x2xi64>) -> tensor<2x2x2x4xf32>
  %5 = fg.gather %x[%idx] {axis = 1} : (tensor<2x3x4xf32>, tensor<2x2xi64>) -> tensor<2x2x2x4xf32>
  // CHECK: fg.shape %{{.*}} : tensor<2x3x4xf32> -> tensor<3xi64>
  %6 = fg.shape %x : tensor<2x3x4xf32> -> tensor<3xi64>
  // CHECK: fg.cast %{{.*}} : tensor<3xi64> -> tensor<3xf64>
  %7 = fg.cast %6 : tensor<3xi64> -> tensor<3xf64>
  // CHECK: fg.constant dense<[1, 2]> : tensor<2xi64>
  %8 = fg.constant dense<[1, 2]> : tensor<2xi64>
  return
}

// The local-loss training ops round-trip.
// CHECK-LABEL: func.func @training_ops
func.func @training_ops(%x: tensor<2x3x4x2xf32>, %w: tensor<8x5xf32>, %b: tensor<5xf32>, %l: tensor<2xi64>, %s: tensor<i64>) {
  // CHECK: fg.perturb %arg0 {site = 3 : i64} : tensor<2x3x4x2xf32>
  %0 = fg.perturb %x {site = 3} : tensor<2x3x4x2xf32>
  // CHECK: fg.local_xent %0, %arg1, %arg2, %arg3 {spatial = false} : (tensor<2x3x4x2xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<2xi64>) -> tensor<2x1x4xf32>
  %1 = fg.local_xent %0, %w, %b, %l {spatial = false} : (tensor<2x3x4x2xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<2xi64>) -> tensor<2x1x4xf32>
  // CHECK: fg.random_normal %arg4, %arg4 {site = 1 : i64} : (tensor<i64>, tensor<i64>) -> tensor<2x5xf32>
  %2 = fg.random_normal %s, %s {site = 1} : (tensor<i64>, tensor<i64>) -> tensor<2x5xf32>
  // CHECK: fg.cross_entropy %2, %arg3 : tensor<2x5xf32>, tensor<2xi64> -> tensor<2xf32>
  %3 = fg.cross_entropy %2, %l : tensor<2x5xf32>, tensor<2xi64> -> tensor<2xf32>
  // CHECK: fg.argmax %2 {axis = 1 : i64} : tensor<2x5xf32> -> tensor<2xi64>
  %4 = fg.argmax %2 {axis = 1} : tensor<2x5xf32> -> tensor<2xi64>
  // CHECK: fg.one_hot %arg3 : tensor<2xi64> -> tensor<2x5xf32>
  %5 = fg.one_hot %l : tensor<2xi64> -> tensor<2x5xf32>
  // CHECK: fg.dropout %0 {ratio = 1.000000e-01 : f64} : tensor<2x3x4x2xf32>
  %6 = fg.dropout %0 {ratio = 0.1 : f64} : tensor<2x3x4x2xf32>
  return
}
