// RUN: fgc-opt %s -fg-decompose-losses -convert-fg-to-linalg -split-input-file | FileCheck %s

// fg.perturb and fg.dropout lower to nothing; the fused head (decomposed by
// fg-decompose-losses) to one pooled head per example, broadcast over the
// copies: no [N, P, G, C] copy of the features.
// CHECK-LABEL: func.func @local_xent
// CHECK-NOT: fg.
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<8x5xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3x4xf32>)
// CHECK-NOT: tensor<2x3x4x8xf32>
func.func @local_xent(%x: tensor<2x3x4x2xf32>, %w: tensor<8x5xf32>, %b: tensor<5xf32>, %l: tensor<2xi64>) -> tensor<2x3x4xf32> {
  %q = fg.perturb %x {site = 0} : tensor<2x3x4x2xf32>
  %p = fg.dropout %q {ratio = 0.5 : f64} : tensor<2x3x4x2xf32>
  %0 = fg.local_xent %p, %w, %b, %l : (tensor<2x3x4x2xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<2xi64>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// The counter-based generator: Philox rounds (32x32 -> 64-bit products)
// and Box-Muller, in the loop body.
// fg.random_normal: one Philox block per iteration over the ceil(12 / 4) = 3
// blocks, four numbers per block (two logarithms), written as four rows of
// slices of the flat result.
// CHECK-LABEL: func.func @random
// CHECK: tensor.extract %arg0[]
// CHECK: %[[FLAT:.*]] = tensor.empty() : tensor<12xf32>
// CHECK: %[[R0:.*]] = tensor.extract_slice %[[FLAT]][0] [3] [1]
// CHECK: %[[R3:.*]] = tensor.extract_slice %[[FLAT]][9] [3] [1]
// CHECK: %[[G:.*]]:4 = linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK-SAME: outs(%[[R0]], %{{.*}}, %{{.*}}, %[[R3]] :
// CHECK: linalg.index 0
// CHECK-COUNT-20: arith.muli %{{.*}}, %{{.*}} : i64
// CHECK-NOT: arith.muli {{.*}} : i64
// CHECK: math.log
// CHECK: math.cos
// CHECK: math.sin
// CHECK: math.log
// CHECK: math.cos
// CHECK: math.sin
// CHECK-NOT: math.log
// CHECK: linalg.yield
// CHECK: tensor.insert_slice %[[G]]#0 into %[[FLAT]][0] [3] [1]
// CHECK: %[[LAST:.*]] = tensor.insert_slice %[[G]]#3 into %{{.*}}[9] [3] [1]
// CHECK: tensor.expand_shape %[[LAST]] {{\[\[}}0, 1]] output_shape [4, 3]
func.func @random(%seed: tensor<i64>, %step: tensor<i64>) -> tensor<4x3xf32> {
  %0 = fg.random_normal %seed, %step {site = 7} : (tensor<i64>, tensor<i64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// 15 numbers: 4 blocks, the last row cut short.
// CHECK-LABEL: func.func @random_uneven
// CHECK: tensor.empty() : tensor<16xf32>
// CHECK: linalg.generic
// CHECK: %[[LAST:.*]] = tensor.insert_slice %{{.*}}#3 into %{{.*}}[12] [4] [1]
// CHECK: %[[CUT:.*]] = tensor.extract_slice %[[LAST]][0] [15] [1] : tensor<16xf32> to tensor<15xf32>
// CHECK: tensor.expand_shape %[[CUT]] {{\[\[}}0, 1]] output_shape [3, 5]
func.func @random_uneven(%seed: tensor<i64>, %step: tensor<i64>) -> tensor<3x5xf32> {
  %0 = fg.random_normal %seed, %step {site = 7} : (tensor<i64>, tensor<i64>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// CHECK-LABEL: func.func @argmax_one_hot
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpi eq
func.func @argmax_one_hot(%x: tensor<2x5xf32>, %l: tensor<2xi64>) -> (tensor<2xi64>, tensor<2x5xf32>) {
  %0 = fg.argmax %x {axis = 1} : tensor<2x5xf32> -> tensor<2xi64>
  %1 = fg.one_hot %l : tensor<2xi64> -> tensor<2x5xf32>
  return %0, %1 : tensor<2xi64>, tensor<2x5xf32>
}
