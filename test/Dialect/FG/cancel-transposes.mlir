// RUN: fgc-opt %s -fg-cancel-transposes -split-input-file | FileCheck %s

// A token-mixing layer, (x^T W + b)^T: both transposes cancel into W^T x,
// and the bias [P] becomes [P, 1] by a reshape.
// CHECK-LABEL: func.func @token_mixing(
// CHECK-SAME: %[[X:.*]]: tensor<4x4x64xf32>, %[[W:.*]]: tensor<4x4xf32>, %[[B:.*]]: tensor<4xf32>
// CHECK-DAG: %[[WT:.*]] = fg.transpose %[[W]] {perm = array<i64: 1, 0>}
// CHECK-DAG: %[[B2:.*]] = fg.reshape %[[B]] : tensor<4xf32> -> tensor<1x4x1xf32>
// CHECK: %[[M:.*]] = fg.matmul %[[WT]], %[[X]] : tensor<4x4xf32>, tensor<4x4x64xf32> -> tensor<4x4x64xf32>
// CHECK: %[[Y:.*]] = fg.add %[[M]], %[[B2]]
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: fg.transpose
func.func @token_mixing(%x: tensor<4x4x64xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>) -> tensor<4x4x64xf32> {
  %t = fg.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<4x4x64xf32> -> tensor<4x64x4xf32>
  %m = fg.matmul %t, %w : tensor<4x64x4xf32>, tensor<4x4xf32> -> tensor<4x64x4xf32>
  %a = fg.add %m, %b : tensor<4x64x4xf32>, tensor<4xf32> -> tensor<4x64x4xf32>
  %y = fg.transpose %a {perm = array<i64: 0, 2, 1>} : tensor<4x64x4xf32> -> tensor<4x4x64xf32>
  return %y : tensor<4x4x64xf32>
}

// -----

// The gradient of that layer: the bias gradient sums the untransposed
// cotangent, and the weight gradient x^T g over all rows is a batched
// product summed over the batch, which reads the transposed g in place.
// CHECK-LABEL: func.func @weight_gradient(
// CHECK-SAME: %[[X:.*]]: tensor<2x4x8xf32>, %[[G:.*]]: tensor<2x4x8xf32>
// CHECK-DAG: %[[GT:.*]] = fg.transpose %[[G]] {perm = array<i64: 0, 2, 1>}
// CHECK-DAG: %[[S:.*]] = fg.reduce_sum %[[G]] {axes = array<i64: 0, 2>} : tensor<2x4x8xf32> -> tensor<1x4x1xf32>
// CHECK-DAG: %[[DB:.*]] = fg.reshape %[[S]] : tensor<1x4x1xf32> -> tensor<4xf32>
// CHECK-DAG: %[[P:.*]] = fg.matmul %[[X]], %[[GT]] : tensor<2x4x8xf32>, tensor<2x8x4xf32> -> tensor<2x4x4xf32>
// CHECK-DAG: %[[DW:.*]] = fg.reduce_sum %[[P]] {axes = array<i64: 0>, keepdims = false} : tensor<2x4x4xf32> -> tensor<4x4xf32>
// CHECK: return %[[DW]], %[[DB]]
func.func @weight_gradient(%x: tensor<2x4x8xf32>, %g: tensor<2x4x8xf32>) -> (tensor<4x4xf32>, tensor<4xf32>) {
  %xt = fg.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<2x4x8xf32> -> tensor<2x8x4xf32>
  %gt = fg.transpose %g {perm = array<i64: 0, 2, 1>} : tensor<2x4x8xf32> -> tensor<2x8x4xf32>
  %s = fg.reduce_sum %gt {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x8x4xf32> -> tensor<4xf32>
  %x2 = fg.reshape %xt : tensor<2x8x4xf32> -> tensor<16x4xf32>
  %g2 = fg.reshape %gt : tensor<2x8x4xf32> -> tensor<16x4xf32>
  %x2t = fg.transpose %x2 {perm = array<i64: 1, 0>} : tensor<16x4xf32> -> tensor<4x16xf32>
  %dw = fg.matmul %x2t, %g2 : tensor<4x16xf32>, tensor<16x4xf32> -> tensor<4x4xf32>
  return %dw, %s : tensor<4x4xf32>, tensor<4xf32>
}

// -----

// A sum over a transpose that keeps an axis order the sum cannot express
// by a reshape gets its (small) result transposed back.
// CHECK-LABEL: func.func @sum_permuted(
// CHECK-SAME: %[[X:.*]]: tensor<16x3x5xf32>
// CHECK: %[[S:.*]] = fg.reduce_sum %[[X]] {axes = array<i64: 0>} : tensor<16x3x5xf32> -> tensor<1x3x5xf32>
// CHECK: %[[T:.*]] = fg.transpose %[[S]] {perm = array<i64: 2, 1, 0>} : tensor<1x3x5xf32> -> tensor<5x3x1xf32>
// CHECK: %[[R:.*]] = fg.reshape %[[T]] : tensor<5x3x1xf32> -> tensor<5x3xf32>
// CHECK: return %[[R]]
func.func @sum_permuted(%x: tensor<16x3x5xf32>) -> tensor<5x3xf32> {
  %t = fg.transpose %x {perm = array<i64: 2, 1, 0>} : tensor<16x3x5xf32> -> tensor<5x3x16xf32>
  %s = fg.reduce_sum %t {axes = array<i64: 2>, keepdims = false} : tensor<5x3x16xf32> -> tensor<5x3xf32>
  return %s : tensor<5x3xf32>
}

// -----

// Left alone: the product has a second use (rewriting through it would
// compute it twice), and a product of two full-size untransposed factors
// has no transpose to cancel.
// CHECK-LABEL: func.func @shared_product(
// CHECK: %[[M:.*]] = fg.matmul
// CHECK: fg.add %[[M]]
// CHECK: fg.transpose
// CHECK: return
func.func @shared_product(%x: tensor<4x4x64xf32>, %w: tensor<4x4xf32>, %b: tensor<4xf32>) -> (tensor<4x4x64xf32>, tensor<4x64x4xf32>) {
  %t = fg.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<4x4x64xf32> -> tensor<4x64x4xf32>
  %m = fg.matmul %t, %w : tensor<4x64x4xf32>, tensor<4x4xf32> -> tensor<4x64x4xf32>
  %a = fg.add %m, %b : tensor<4x64x4xf32>, tensor<4xf32> -> tensor<4x64x4xf32>
  %y = fg.transpose %a {perm = array<i64: 0, 2, 1>} : tensor<4x64x4xf32> -> tensor<4x4x64xf32>
  return %y, %m : tensor<4x4x64xf32>, tensor<4x64x4xf32>
}

// CHECK-LABEL: func.func @no_transposed_factor(
// CHECK-SAME: %[[A:.*]]: tensor<4x8x8xf32>, %[[B:.*]]: tensor<4x8x8xf32>
// CHECK: %[[M:.*]] = fg.matmul %[[A]], %[[B]]
// CHECK: %[[T:.*]] = fg.transpose %[[M]]
// CHECK: return %[[T]]
func.func @no_transposed_factor(%a: tensor<4x8x8xf32>, %b: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %m = fg.matmul %a, %b : tensor<4x8x8xf32>, tensor<4x8x8xf32> -> tensor<4x8x8xf32>
  %t = fg.transpose %m {perm = array<i64: 0, 2, 1>} : tensor<4x8x8xf32> -> tensor<4x8x8xf32>
  return %t : tensor<4x8x8xf32>
}

// -----

// Left alone: the batched products [N, k, q] would be larger than X
// (q > r), and a contraction over untransposed tensors stays one product.
// CHECK-LABEL: func.func @wide_gradient(
// CHECK: fg.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<16x4xf32> -> tensor<4x16xf32>
// CHECK: fg.matmul %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16x32xf32> -> tensor<4x32xf32>
func.func @wide_gradient(%x: tensor<2x4x8xf32>, %g: tensor<2x8x32xf32>) -> tensor<4x32xf32> {
  %xt = fg.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<2x4x8xf32> -> tensor<2x8x4xf32>
  %x2 = fg.reshape %xt : tensor<2x8x4xf32> -> tensor<16x4xf32>
  %g2 = fg.reshape %g : tensor<2x8x32xf32> -> tensor<16x32xf32>
  %x2t = fg.transpose %x2 {perm = array<i64: 1, 0>} : tensor<16x4xf32> -> tensor<4x16xf32>
  %dw = fg.matmul %x2t, %g2 : tensor<4x16xf32>, tensor<16x32xf32> -> tensor<4x32xf32>
  return %dw : tensor<4x32xf32>
}

// CHECK-LABEL: func.func @dense_gradient(
// CHECK: fg.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<16x8xf32> -> tensor<8x16xf32>
// CHECK: fg.matmul %{{.*}}, %{{.*}} : tensor<8x16xf32>, tensor<16x8xf32> -> tensor<8x8xf32>
func.func @dense_gradient(%x: tensor<2x8x8xf32>, %g: tensor<2x8x8xf32>) -> tensor<8x8xf32> {
  %x2 = fg.reshape %x : tensor<2x8x8xf32> -> tensor<16x8xf32>
  %g2 = fg.reshape %g : tensor<2x8x8xf32> -> tensor<16x8xf32>
  %x2t = fg.transpose %x2 {perm = array<i64: 1, 0>} : tensor<16x8xf32> -> tensor<8x16xf32>
  %dw = fg.matmul %x2t, %g2 : tensor<8x16xf32>, tensor<16x8xf32> -> tensor<8x8xf32>
  return %dw : tensor<8x8xf32>
}

// -----

// Left alone: a sum whose result is as large as its input (reading x,
// it would need a transpose as large as the one that another op keeps), a
// contraction whose transposed X another op reads (X^T would be made
// twice), and a contraction over no rows (nothing to gain, and no
// division by a zero size).
// CHECK-LABEL: func.func @shared_sum(
// CHECK: %[[T:.*]] = fg.transpose
// CHECK: fg.reduce_sum %[[T]]
func.func @shared_sum(%x: tensor<1x64x128xf32>) -> (tensor<128x64xf32>, tensor<1x128x64xf32>) {
  %t = fg.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<1x64x128xf32> -> tensor<1x128x64xf32>
  %s = fg.reduce_sum %t {axes = array<i64: 0>, keepdims = false} : tensor<1x128x64xf32> -> tensor<128x64xf32>
  return %s, %t : tensor<128x64xf32>, tensor<1x128x64xf32>
}

// CHECK-LABEL: func.func @shared_gradient_operand(
// CHECK: %[[XT:.*]] = fg.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<16x4xf32> -> tensor<4x16xf32>
// CHECK: fg.matmul %[[XT]], %{{.*}} : tensor<4x16xf32>, tensor<16x4xf32> -> tensor<4x4xf32>
func.func @shared_gradient_operand(%x: tensor<2x8x4xf32>, %g0: tensor<2x4x8xf32>) -> (tensor<4x4xf32>, tensor<4x16xf32>) {
  %g = fg.transpose %g0 {perm = array<i64: 0, 2, 1>} : tensor<2x4x8xf32> -> tensor<2x8x4xf32>
  %x2 = fg.reshape %x : tensor<2x8x4xf32> -> tensor<16x4xf32>
  %g2 = fg.reshape %g : tensor<2x8x4xf32> -> tensor<16x4xf32>
  %x2t = fg.transpose %x2 {perm = array<i64: 1, 0>} : tensor<16x4xf32> -> tensor<4x16xf32>
  %dw = fg.matmul %x2t, %g2 : tensor<4x16xf32>, tensor<16x4xf32> -> tensor<4x4xf32>
  return %dw, %x2t : tensor<4x4xf32>, tensor<4x16xf32>
}

// CHECK-LABEL: func.func @no_rows(
// CHECK: fg.matmul %{{.*}}, %{{.*}} : tensor<4x0xf32>, tensor<0x4xf32> -> tensor<4x4xf32>
func.func @no_rows(%x0: tensor<2x4x0xf32>, %g: tensor<2x0x4xf32>) -> tensor<4x4xf32> {
  %x = fg.transpose %x0 {perm = array<i64: 0, 2, 1>} : tensor<2x4x0xf32> -> tensor<2x0x4xf32>
  %x2 = fg.reshape %x : tensor<2x0x4xf32> -> tensor<0x4xf32>
  %g2 = fg.reshape %g : tensor<2x0x4xf32> -> tensor<0x4xf32>
  %x2t = fg.transpose %x2 {perm = array<i64: 1, 0>} : tensor<0x4xf32> -> tensor<4x0xf32>
  %dw = fg.matmul %x2t, %g2 : tensor<4x0xf32>, tensor<0x4xf32> -> tensor<4x4xf32>
  return %dw : tensor<4x4xf32>
}
