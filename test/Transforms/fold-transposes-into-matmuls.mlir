// RUN: fgc-opt %s -fgc-fold-transposes-into-matmuls -split-input-file | FileCheck %s

// A weight gradient x^T g: the product reads x through a transposed map,
// the copy goes.
// CHECK-DAG: #[[AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @weight_gradient
// CHECK-SAME: (%[[X:.*]]: tensor<16x4xf32>, %[[G:.*]]: tensor<16x3xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#[[AT]], #[[B]], #[[C]]] ins(%[[X]], %[[G]] :
func.func @weight_gradient(%x: tensor<16x4xf32>, %g: tensor<16x3xf32>, %acc: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %xt = linalg.transpose ins(%x : tensor<16x4xf32>) outs(%e : tensor<4x16xf32>) permutation = [1, 0]
  %0 = linalg.matmul ins(%xt, %g : tensor<4x16xf32>, tensor<16x3xf32>) outs(%acc : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Per group (batch_matmul), both operands, and a transpose with another
// user stays for that user.
// CHECK-DAG: #[[GA:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1)>
// CHECK-DAG: #[[GB:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[GC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @grouped
// CHECK-SAME: (%[[X:.*]]: tensor<2x16x4xf32>, %[[W:.*]]: tensor<2x3x16xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[X]]
// CHECK: linalg.batch_matmul indexing_maps = [#[[GA]], #[[GB]], #[[GC]]] ins(%[[X]], %[[W]] :
// CHECK: return %{{.*}}, %[[T]]
func.func @grouped(%x: tensor<2x16x4xf32>, %w: tensor<2x3x16xf32>, %acc: tensor<2x4x3xf32>) -> (tensor<2x4x3xf32>, tensor<2x4x16xf32>) {
  %e = tensor.empty() : tensor<2x4x16xf32>
  %xt = linalg.transpose ins(%x : tensor<2x16x4xf32>) outs(%e : tensor<2x4x16xf32>) permutation = [0, 2, 1]
  %f = tensor.empty() : tensor<2x16x3xf32>
  %wt = linalg.transpose ins(%w : tensor<2x3x16xf32>) outs(%f : tensor<2x16x3xf32>) permutation = [0, 2, 1]
  %0 = linalg.batch_matmul ins(%xt, %wt : tensor<2x4x16xf32>, tensor<2x16x3xf32>) outs(%acc : tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  return %0, %xt : tensor<2x4x3xf32>, tensor<2x4x16xf32>
}

// -----

// Other permutations are not a transposed matrix: left alone.
// CHECK-LABEL: func.func @other_permutation
// CHECK: linalg.transpose
// CHECK: linalg.batch_matmul ins(
func.func @other_permutation(%x: tensor<4x2x16xf32>, %w: tensor<2x16x3xf32>, %acc: tensor<2x4x3xf32>) -> tensor<2x4x3xf32> {
  %e = tensor.empty() : tensor<2x4x16xf32>
  %xt = linalg.transpose ins(%x : tensor<4x2x16xf32>) outs(%e : tensor<2x4x16xf32>) permutation = [1, 0, 2]
  %0 = linalg.batch_matmul ins(%xt, %w : tensor<2x4x16xf32>, tensor<2x16x3xf32>) outs(%acc : tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

// A matrix shared by the batch stays behind its transpose: linalg has no
// transposed broadcast map.
// CHECK-LABEL: func.func @shared
// CHECK: linalg.transpose
// CHECK: linalg.batch_matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] ins(%transposed,
#shared = affine_map<(b, m, n, k) -> (m, k)>
#rhs = affine_map<(b, m, n, k) -> (b, k, n)>
#out = affine_map<(b, m, n, k) -> (b, m, n)>
func.func @shared(%w: tensor<16x4xf32>, %x: tensor<2x16x3xf32>, %acc: tensor<2x4x3xf32>) -> tensor<2x4x3xf32> {
  %e = tensor.empty() : tensor<4x16xf32>
  %wt = linalg.transpose ins(%w : tensor<16x4xf32>) outs(%e : tensor<4x16xf32>) permutation = [1, 0]
  %0 = linalg.batch_matmul indexing_maps = [#shared, #rhs, #out] ins(%wt, %x : tensor<4x16xf32>, tensor<2x16x3xf32>) outs(%acc : tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}
