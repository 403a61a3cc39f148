// RUN: fgc-opt %s -convert-linalg-to-blas -split-input-file | FileCheck %s

// f32 matmul on memrefs: a call with the operands cast to dynamic strided
// memrefs; the runtime function is declared once.
// CHECK: func.func private @fgc_blas_sgemm(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>)
// CHECK-LABEL: func.func @matmul
// CHECK: %[[A:.*]] = memref.cast %arg0 : memref<8x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[B:.*]] = memref.cast %arg1 : memref<4x3xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[C:.*]] = memref.cast %arg2 : memref<8x3xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: call @fgc_blas_sgemm(%[[A]], %[[B]], %[[C]])
// CHECK: call @fgc_blas_sgemm(
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<8x4xf32>, %b: memref<4x3xf32>, %c: memref<8x3xf32>) {
  linalg.matmul ins(%a, %b : memref<8x4xf32>, memref<4x3xf32>) outs(%c : memref<8x3xf32>)
  linalg.matmul ins(%a, %b : memref<8x4xf32>, memref<4x3xf32>) outs(%c : memref<8x3xf32>)
  return
}

// -----

// f64 batch_matmul, also on a strided view.
// CHECK-LABEL: func.func @batched
// CHECK: call @fgc_blas_dgemm_batched(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?x?xf64, strided<[?, ?, ?], offset: ?>>
func.func @batched(%a: memref<2x8x4xf64>, %b: memref<2x4x3xf64, strided<[24, 6, 2]>>, %c: memref<2x8x3xf64>) {
  linalg.batch_matmul ins(%a, %b : memref<2x8x4xf64>, memref<2x4x3xf64, strided<[24, 6, 2]>>) outs(%c : memref<2x8x3xf64>)
  return
}

// -----

// A batch_matmul whose A is shared by every product: A is passed as a
// [B, M, K] view with batch stride 0, B taken from the batch of B.
// CHECK-LABEL: func.func @shared_lhs
// CHECK: %[[BASE:.*]], %[[OFF:.*]], %[[SIZES:.*]]:2, %[[STRIDES:.*]]:2 = memref.extract_strided_metadata %arg0
// CHECK: %[[VIEW:.*]] = memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [2, 8, 4], strides: [0, 4, 1] : memref<f32> to memref<2x8x4xf32, strided<[0, 4, 1]>>
// CHECK: %[[A:.*]] = memref.cast %[[VIEW]]
// CHECK: call @fgc_blas_sgemm_batched(%[[A]],
#shared = affine_map<(b, m, n, k) -> (m, k)>
#rhs = affine_map<(b, m, n, k) -> (b, k, n)>
#out = affine_map<(b, m, n, k) -> (b, m, n)>
func.func @shared_lhs(%a: memref<8x4xf32>, %b: memref<2x4x3xf32>, %c: memref<2x8x3xf32>) {
  linalg.batch_matmul indexing_maps = [#shared, #rhs, #out] ins(%a, %b : memref<8x4xf32>, memref<2x4x3xf32>) outs(%c : memref<2x8x3xf32>)
  return
}

// -----

// Transposed operands (fgc-fold-transposes-into-matmuls): each is passed as
// a memref.transpose view, whose strides tell the runtime to hand BLAS the
// operand transposed.
// CHECK-LABEL: func.func @transposed
// CHECK: %[[AT:.*]] = memref.transpose %arg0 (d0, d1) -> (d1, d0) : memref<4x8xf32> to memref<8x4xf32, strided<[1, 8]>>
// CHECK: %[[A:.*]] = memref.cast %[[AT]]
// CHECK: call @fgc_blas_sgemm(%[[A]],
// CHECK: %[[BT:.*]] = memref.transpose %arg4 (d0, d1, d2) -> (d0, d2, d1) : memref<2x3x4xf32> to memref<2x4x3xf32, strided<[12, 1, 4]>>
// CHECK: %[[B:.*]] = memref.cast %[[BT]]
// CHECK: call @fgc_blas_sgemm_batched(%{{.*}}, %[[B]],
func.func @transposed(%a: memref<4x8xf32>, %b: memref<4x3xf32>, %c: memref<8x3xf32>,
                      %ba: memref<2x8x4xf32>, %bb: memref<2x3x4xf32>, %bc: memref<2x8x3xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<4x8xf32>, memref<4x3xf32>) outs(%c : memref<8x3xf32>)
  linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>]
    ins(%ba, %bb : memref<2x8x4xf32>, memref<2x3x4xf32>) outs(%bc : memref<2x8x3xf32>)
  return
}

// -----

// Left alone: tensors (not bufferized yet), integer types, and products
// with other non-default indexing maps (a B shared by every product).
// CHECK-LABEL: func.func @not_blas
// CHECK: linalg.matmul ins(%arg0, %arg1 : tensor<8x4xf32>, tensor<4x3xf32>)
// CHECK: linalg.matmul ins(%arg3, %arg4 : memref<8x4xi64>, memref<4x3xi64>)
// CHECK-NOT: call
// CHECK: linalg.batch_matmul indexing_maps
// CHECK: linalg.batch_matmul indexing_maps {{.*}} ins(%arg9, %arg10 : memref<8x4xi64>, memref<2x4x3xi64>)
// CHECK-NOT: memref.reinterpret_cast
func.func @not_blas(%a: tensor<8x4xf32>, %b: tensor<4x3xf32>, %c: tensor<8x3xf32>,
                    %ia: memref<8x4xi64>, %ib: memref<4x3xi64>, %ic: memref<8x3xi64>,
                    %ta: memref<2x8x4xf32>, %tb: memref<4x3xf32>, %tc: memref<2x8x3xf32>,
                    %sa: memref<8x4xi64>, %sb: memref<2x4x3xi64>, %sc: memref<2x8x3xi64>) -> tensor<8x3xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x3xf32>) outs(%c : tensor<8x3xf32>) -> tensor<8x3xf32>
  linalg.matmul ins(%ia, %ib : memref<8x4xi64>, memref<4x3xi64>) outs(%ic : memref<8x3xi64>)
  linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
    ins(%ta, %tb : memref<2x8x4xf32>, memref<4x3xf32>) outs(%tc : memref<2x8x3xf32>)
  linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
    ins(%sa, %sb : memref<8x4xi64>, memref<2x4x3xi64>) outs(%sc : memref<2x8x3xi64>)
  return %0 : tensor<8x3xf32>
}

// -----

// A product whose output was just filled with zero overwrites it instead
// (beta = 0): the fill goes. Frees of other buffers may sit in between.
// CHECK-LABEL: func.func @overwrite
// CHECK-NOT: linalg.fill
// CHECK: memref.dealloc %arg3
// CHECK: call @fgc_blas_sgemm_overwrite(
// CHECK: call @fgc_blas_sgemm_batched_overwrite(
func.func @overwrite(%a: memref<8x4xf32>, %b: memref<4x3xf32>, %c: memref<8x3xf32>, %t: memref<5xf32>,
                     %ba: memref<2x8x4xf32>, %bb: memref<2x4x3xf32>, %bc: memref<2x8x3xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<8x3xf32>)
  memref.dealloc %t : memref<5xf32>
  linalg.matmul ins(%a, %b : memref<8x4xf32>, memref<4x3xf32>) outs(%c : memref<8x3xf32>)
  linalg.fill ins(%zero : f32) outs(%bc : memref<2x8x3xf32>)
  linalg.batch_matmul ins(%ba, %bb : memref<2x8x4xf32>, memref<2x4x3xf32>) outs(%bc : memref<2x8x3xf32>)
  return
}

// -----

// Not when the fill is of another value, of another buffer, or when an op
// that touches memory comes between (it may read the zeros).
// CHECK-LABEL: func.func @accumulate
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK: call @fgc_blas_sgemm(
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2
// CHECK: memref.copy
// CHECK: call @fgc_blas_sgemm(
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg3
// CHECK: call @fgc_blas_sgemm(
// CHECK-NOT: _overwrite
func.func @accumulate(%a: memref<8x4xf32>, %b: memref<4x3xf32>, %c: memref<8x3xf32>, %d: memref<8x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<8x3xf32>)
  linalg.matmul ins(%a, %b : memref<8x4xf32>, memref<4x3xf32>) outs(%c : memref<8x3xf32>)
  linalg.fill ins(%zero : f32) outs(%c : memref<8x3xf32>)
  memref.copy %c, %d : memref<8x3xf32> to memref<8x3xf32>
  linalg.matmul ins(%a, %b : memref<8x4xf32>, memref<4x3xf32>) outs(%c : memref<8x3xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<8x3xf32>)
  linalg.matmul ins(%a, %b : memref<8x4xf32>, memref<4x3xf32>) outs(%c : memref<8x3xf32>)
  return
}
