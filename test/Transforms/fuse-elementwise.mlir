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
