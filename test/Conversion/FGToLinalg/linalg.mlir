// RUN: fgc-opt %s -convert-fg-to-linalg -split-input-file | FileCheck %s

// [..., M, K] x [K, N]: the leading dimensions fold into M and one
// linalg.matmul (accumulating into zeros) does the work.
// CHECK-LABEL: func.func @matmul_rows
// CHECK: %[[A:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<6x5xf32>)
// CHECK: %[[C:.*]] = linalg.matmul ins(%[[A]], %arg1 : tensor<6x4xf32>, tensor<4x5xf32>) outs(%[[Z]] : tensor<6x5xf32>)
// CHECK: tensor.expand_shape %[[C]] {{\[\[}}0, 1], [2]] output_shape [2, 3, 5]
func.func @matmul_rows(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  %0 = fg.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// Batched operands: an A without batch dimensions is shared by every
// product (a broadcasting indexing map, no copy); a B with a broadcast
// batch dimension is materialised.
// CHECK-DAG: #[[SHARED:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-LABEL: func.func @matmul_batched
// CHECK-NOT: linalg.generic
// CHECK: linalg.batch_matmul indexing_maps = [#[[SHARED]], #{{.*}}, #{{.*}}] ins(%{{.*}}, %arg1 : tensor<3x4xf32>, tensor<2x4x5xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x4x5xf32>)
// CHECK: linalg.batch_matmul ins(%arg2, %{{.*}} : tensor<2x3x4xf32>, tensor<2x4x5xf32>)
func.func @matmul_batched(%a: tensor<1x3x4xf32>, %b: tensor<2x4x5xf32>, %c: tensor<2x3x4xf32>, %d: tensor<1x4x5xf32>) -> (tensor<2x3x5xf32>, tensor<2x3x5xf32>) {
  %0 = fg.matmul %a, %b : tensor<1x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  %1 = fg.matmul %c, %d : tensor<2x3x4xf32>, tensor<1x4x5xf32> -> tensor<2x3x5xf32>
  return %0, %1 : tensor<2x3x5xf32>, tensor<2x3x5xf32>
}

// -----

// Gemm: transposes, the product, then alpha * AB + beta * C in one generic.
// CHECK-LABEL: func.func @gemm
// CHECK: linalg.transpose ins(%arg1 : tensor<5x4xf32>) outs(%{{.*}} : tensor<4x5xf32>) permutation = [1, 0]
// CHECK: linalg.matmul
// CHECK: linalg.generic
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: arith.mulf
// CHECK: arith.constant 2.000000e+00 : f32
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @gemm(%a: tensor<3x4xf32>, %b: tensor<5x4xf32>, %c: tensor<5xf32>) -> tensor<3x5xf32> {
  %0 = fg.gemm %a, %b, %c {alpha = 0.5 : f64, beta = 2.0 : f64, trans_b = true} : (tensor<3x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// Convolution: pad, im2col generic (input map o * stride + k * dilation),
// the weights broadcast per sample, one batch_matmul over (sample, group)
// whose result is already [N, M, O..], then the bias.
// CHECK-DAG: #[[IM2COL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d5 * 2 + d3, d6 * 2 + d4)>
// CHECK-LABEL: func.func @conv
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.expand_shape {{.*}} into tensor<2x2x2x10x10xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IM2COL]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<2x2x2x10x10xf32>) outs(%{{.*}} : tensor<2x2x2x3x3x4x4xf32>)
// CHECK: tensor.collapse_shape {{.*}} into tensor<4x18x16xf32>
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<4x3x18xf32>, tensor<4x18x16xf32>) outs(%{{.*}} : tensor<4x3x16xf32>)
// CHECK: tensor.expand_shape {{.*}} into tensor<2x6x4x4xf32>
// CHECK: arith.addf
func.func @conv(%x: tensor<2x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<2x6x4x4xf32> {
  %0 = fg.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2} : (tensor<2x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x4x4xf32>
  return %0 : tensor<2x6x4x4xf32>
}

// -----

// An ungrouped convolution: every sample's product reads the same [M, taps]
// weights through a broadcasting indexing map, no copy per sample.
// CHECK-DAG: #[[SHARED:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-LABEL: func.func @conv_ungrouped
// CHECK: tensor.collapse_shape %arg1 {{.*}} into tensor<6x36xf32>
// CHECK-NOT: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x6x36xf32>)
// CHECK: linalg.batch_matmul indexing_maps = [#[[SHARED]], #{{.*}}, #{{.*}}] ins(%{{.*}}, %{{.*}} : tensor<6x36xf32>, tensor<2x36x64xf32>) outs(%{{.*}} : tensor<2x6x64xf32>)
func.func @conv_ungrouped(%x: tensor<2x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<2x6x8x8xf32> {
  %0 = fg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1} : (tensor<2x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<2x6x8x8xf32>
  return %0 : tensor<2x6x8x8xf32>
}

// -----

// Max pooling: -inf padding (including the ceil_mode extension), a window
// operand for the reduction dimensions, max from -inf.
// CHECK-DAG: #[[WIN_IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-LABEL: func.func @max_pool
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: tensor.yield %{{.*}} : f32
// CHECK: linalg.generic {indexing_maps = [#[[WIN_IN]], #[[WIN]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK: arith.maximumf
func.func @max_pool(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %0 = fg.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// Average pooling divides by a compile-time divisor: the taps inside the
// input (count_include_pad = false). Windows of 3 with stride 2 over
// [pad, x0, x1, x2, x3, pad] cover 2 and 3 input elements; with
// count_include_pad the padding counts too.
// CHECK-LABEL: func.func @avg_pool
// CHECK: arith.constant dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK: arith.divf
// CHECK: arith.constant dense<3.000000e+00> : tensor<2xf32>
func.func @avg_pool(%x: tensor<1x1x4xf32>) -> (tensor<1x1x2xf32>, tensor<1x1x2xf32>) {
  %0 = fg.avg_pool %x {kernel_shape = array<i64: 3>, strides = array<i64: 2>, pads = array<i64: 1, 1>} : tensor<1x1x4xf32> -> tensor<1x1x2xf32>
  %1 = fg.avg_pool %x {kernel_shape = array<i64: 3>, strides = array<i64: 2>, pads = array<i64: 1, 1>, count_include_pad = true} : tensor<1x1x4xf32> -> tensor<1x1x2xf32>
  return %0, %1 : tensor<1x1x2xf32>, tensor<1x1x2xf32>
}
