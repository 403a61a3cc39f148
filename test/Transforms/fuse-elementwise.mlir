// RUN: fgc-opt %s -convert-fg-to-linalg -fgc-fuse-elementwise -canonicalize | FileCheck %s

// A chain of elementwise ops becomes one generic (one loop nest) ...
// CHECK-LABEL: func.func @chain
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: arith.addf
// CHECK: arith.mulf
// CHECK: arith.maximumf
func.func @chain(%x: tensor<8x16xf32>, %b: tensor<16xf32>, %s: tensor<16xf32>) -> tensor<8x16xf32> {
  %0 = fg.add %x, %b : tensor<8x16xf32>, tensor<16xf32> -> tensor<8x16xf32>
  %1 = fg.mul %0, %s : tensor<8x16xf32>, tensor<16xf32> -> tensor<8x16xf32>
  %2 = fg.relu %1 : tensor<8x16xf32>
  return %2 : tensor<8x16xf32>
}

// ... but a matrix product stays a named op (for the BLAS lowering): the
// bias add and ReLU after it fuse with each other, not into it.
// CHECK-LABEL: func.func @dense
// CHECK: linalg.matmul
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
func.func @dense(%x: tensor<8x4xf32>, %w: tensor<4x16xf32>, %b: tensor<16xf32>) -> tensor<8x16xf32> {
  %0 = fg.matmul %x, %w : tensor<8x4xf32>, tensor<4x16xf32> -> tensor<8x16xf32>
  %1 = fg.add %0, %b : tensor<8x16xf32>, tensor<16xf32> -> tensor<8x16xf32>
  %2 = fg.relu %1 : tensor<8x16xf32>
  return %2 : tensor<8x16xf32>
}

// A producer with two users is not duplicated into both.
// CHECK-LABEL: func.func @shared
// CHECK-COUNT-3: linalg.generic
func.func @shared(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = fg.exp %x : tensor<8xf32>
  %1 = fg.neg %0 : tensor<8xf32>
  %2 = fg.sqrt %0 : tensor<8xf32>
  return %1, %2 : tensor<8xf32>, tensor<8xf32>
}

// A cheap producer with several users is recomputed in each instead of
// written once and read back: x - mean (one full-size operand, the mean is
// broadcast) feeds the sum of squares and the division, and both read x.
// CHECK-LABEL: func.func @recompute
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[M:.*]]: tensor<4x1xf32>)
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[X]], %[[M]] :
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[M]], %{{.*}} :
// CHECK: arith.subf
// CHECK: arith.divf
// CHECK-NOT: linalg.generic
func.func @recompute(%x: tensor<4x8xf32>, %m: tensor<4x1xf32>) -> tensor<4x8xf32> {
  %c = fg.sub %x, %m : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %sq = fg.mul %c, %c : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %v = fg.reduce_sum %sq {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4x1xf32>
  %y = fg.div %c, %v : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// A producer that reads two full-size operands is not: recomputing it would
// read twice the bytes of its result in each user.
// CHECK-LABEL: func.func @two_operands
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: linalg.generic
func.func @two_operands(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = fg.mul %x, %y : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %1 = fg.neg %0 : tensor<8xf32>
  %2 = fg.abs %0 : tensor<8xf32>
  return %1, %2 : tensor<8xf32>, tensor<8xf32>
}

// A transpose that keeps the innermost dimension fuses with the elementwise
// ops before and after it: the bias add writes the permuted layout, the
// ReLU reads through it; no copy of its own.
// CHECK-LABEL: func.func @row_transpose
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
func.func @row_transpose(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>) -> tensor<3x2x8xf32> {
  %0 = fg.add %x, %b : tensor<2x3x8xf32>, tensor<8xf32> -> tensor<2x3x8xf32>
  %1 = fg.transpose %0 {perm = array<i64: 1, 0, 2>} : tensor<2x3x8xf32> -> tensor<3x2x8xf32>
  %2 = fg.relu %1 : tensor<3x2x8xf32>
  return %2 : tensor<3x2x8xf32>
}

// One that moves the innermost dimension stays a copy of its own, for
// fgc-tile-transposes.
// CHECK-LABEL: func.func @column_transpose
// CHECK: linalg.generic
// CHECK: linalg.transpose
// CHECK: linalg.generic
func.func @column_transpose(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<8x4xf32> {
  %0 = fg.add %x, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  %1 = fg.transpose %0 {perm = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
  %2 = fg.relu %1 : tensor<8x4xf32>
  return %2 : tensor<8x4xf32>
}
