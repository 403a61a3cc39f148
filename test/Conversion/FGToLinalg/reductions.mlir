// RUN: fgc-opt %s -convert-fg-to-linalg -split-input-file | FileCheck %s

// Float sums accumulate in f64, then round back; the mean divides by the
// reduced count; keepdims restores the axes with expand_shape. The sum's
// order is free (reassoc), so that LLVM can vectorise it.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @reduce_mean
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%{{.*}} : tensor<2xf64>)
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "reduction", "reduction"]} ins(%arg0 : tensor<2x3x4xf32>) outs(%[[ZERO]] : tensor<2xf64>)
// CHECK: arith.extf
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f64
// CHECK: arith.truncf
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2]] output_shape [2, 1, 1]
// CHECK: arith.constant 1.200000e+01 : f32
// CHECK: arith.divf
func.func @reduce_mean(%a: tensor<2x3x4xf32>) -> tensor<2x1x1xf32> {
  %0 = fg.reduce_mean %a {axes = array<i64: 1, 2>} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  return %0 : tensor<2x1x1xf32>
}

// -----

// Mean and variance in one pass: sums of x and x^2 in f64 (both
// reassociable), then mean = s / n and max(sq / n - mean^2, 0) in f64,
// rounded to f32 last.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @moments
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[Z1:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%{{.*}} : tensor<4xf64>)
// CHECK: %[[Z2:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%{{.*}} : tensor<4xf64>)
// CHECK: %[[S:.*]]:2 = linalg.generic {indexing_maps = [#[[IN]], #[[OUT]], #[[OUT]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x8xf32>) outs(%[[Z1]], %[[Z2]] : tensor<4xf64>, tensor<4xf64>)
// CHECK: %[[V:.*]] = arith.extf %{{.*}} : f32 to f64
// CHECK: arith.addf %{{.*}}, %[[V]] fastmath<reassoc> : f64
// CHECK: %[[SQ:.*]] = arith.mulf %[[V]], %[[V]] : f64
// CHECK: arith.addf %{{.*}}, %[[SQ]] fastmath<reassoc> : f64
// CHECK: linalg.generic {{.*}} ins(%[[S]]#0, %[[S]]#1 : tensor<4xf64>, tensor<4xf64>)
// CHECK: arith.constant 8.000000e+00 : f64
// CHECK: arith.divf
// CHECK: arith.truncf
// CHECK: linalg.generic {{.*}} ins(%[[S]]#0, %[[S]]#1 : tensor<4xf64>, tensor<4xf64>)
// CHECK: %[[MEAN:.*]] = arith.divf
// CHECK: %[[MEANSQ:.*]] = arith.divf
// CHECK: %[[M2:.*]] = arith.mulf %[[MEAN]], %[[MEAN]] : f64
// CHECK: %[[D:.*]] = arith.subf %[[MEANSQ]], %[[M2]] : f64
// CHECK: %[[VAR:.*]] = arith.maximumf %[[D]], %{{.*}} : f64
// CHECK: arith.truncf %[[VAR]] : f64 to f32
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [4, 1]
func.func @moments(%x: tensor<4x8xf32>) -> (tensor<4x1xf32>, tensor<4x1xf32>) {
  %m, %v = fg.moments %x {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4x1xf32>, tensor<4x1xf32>
  return %m, %v : tensor<4x1xf32>, tensor<4x1xf32>
}

// -----

// Max starts from -inf and needs no wide accumulator.
// CHECK-LABEL: func.func @reduce_max
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: arith.maximumf {{.*}} fastmath<reassoc>
// CHECK-NOT: arith.extf
func.func @reduce_max(%a: tensor<2x3xf32>) -> tensor<3xf32> {
  %0 = fg.reduce_max %a {axes = array<i64: 0>, keepdims = false} : tensor<2x3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Integer sums over all axes.
// CHECK-LABEL: func.func @reduce_sum_all
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]
// CHECK: arith.addi
// CHECK: tensor.expand_shape {{.*}} : tensor<i64> into tensor<1x1xi64>
func.func @reduce_sum_all(%a: tensor<2x3xi64>) -> tensor<1x1xi64> {
  %0 = fg.reduce_sum %a {axes = array<i64>} : tensor<2x3xi64> -> tensor<1x1xi64>
  return %0 : tensor<1x1xi64>
}

// -----

// Softmax: max, exp(x - max), wide sum, divide.
// CHECK-LABEL: func.func @softmax
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK-NEXT: math.exp
// CHECK: arith.addf %{{.*}}, %{{.*}} : f64
// CHECK: arith.divf
func.func @softmax(%a: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = fg.softmax %a {axis = 1} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// LogSoftmax: x - max - log(sum(exp(x - max))).
// CHECK-LABEL: func.func @log_softmax
// CHECK: math.exp
// CHECK: math.log
func.func @log_softmax(%a: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = fg.log_softmax %a {axis = 1} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// Layer norm: wide mean, centred values, wide sum of squares, normalise,
// then the affine scale and bias.
// CHECK-LABEL: func.func @layer_norm
// CHECK: arith.extf
// CHECK: arith.addf %{{.*}}, %{{.*}} : f64
// CHECK: arith.subf
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK: math.sqrt
// CHECK: arith.divf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @layer_norm(%x: tensor<2x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = fg.layer_norm %x affine(%s, %b) {axis = 1} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Batch norm reads per-channel operands through axis 1.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
// CHECK-LABEL: func.func @batch_norm
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #[[CH]], #[[CH]], #[[CH]], #{{.*}}]
func.func @batch_norm(%x: tensor<2x3x4x4xf32>, %c: tensor<3xf32>) -> tensor<2x3x4x4xf32> {
  %0 = fg.batch_norm %x, %c, %c, %c, %c : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  return %0 : tensor<2x3x4x4xf32>
}
