// RUN: fgc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(fgc-clone-shared-fills))' | FileCheck %s
// RUN: fgc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(fgc-clone-shared-fills), one-shot-bufferize{bufferize-function-boundaries})' \
// RUN:   | FileCheck %s --check-prefix=BUF
// RUN: fgc-opt %s -split-input-file -pass-pipeline='builtin.module(one-shot-bufferize{bufferize-function-boundaries})' \
// RUN:   | FileCheck %s --check-prefix=SHARED

// Two reductions accumulate into one fill: the second gets a clone, made
// right before it; bufferized, neither copies.
// CHECK-LABEL: func.func @two_reductions
// CHECK:         %[[Z:.*]] = linalg.fill
// CHECK:         linalg.reduce ins(%arg0 : tensor<8x4xf32>) outs(%[[Z]] : tensor<8xf32>)
// CHECK:         %[[Z1:.*]] = linalg.fill
// CHECK:         linalg.reduce ins(%arg1 : tensor<8x4xf32>) outs(%[[Z1]] : tensor<8xf32>)
// BUF-LABEL: func.func @two_reductions
// BUF-NOT:     memref.copy
// BUF:         return
// Without the pass, one filled buffer is copied for a reduction.
// SHARED-LABEL: func.func @two_reductions
// SHARED:         memref.copy
func.func @two_reductions(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %a = linalg.reduce ins(%x : tensor<8x4xf32>) outs(%z : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %b = linalg.reduce ins(%y : tensor<8x4xf32>) outs(%z : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}

// -----

// A fill read as an input and written by a matrix product: the product
// gets a clone, the reader keeps the original.
// CHECK-LABEL: func.func @read_and_accumulate
// CHECK:         %[[Z:.*]] = linalg.fill
// CHECK:         %[[Z1:.*]] = linalg.fill
// CHECK-NEXT:    linalg.matmul ins(%arg0, %arg1 : tensor<4x4xf32>, tensor<4x4xf32>) outs(%[[Z1]] : tensor<4x4xf32>)
// CHECK:         linalg.add ins(%[[Z]], %{{.*}} : tensor<4x4xf32>, tensor<4x4xf32>)
func.func @read_and_accumulate(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %p = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = linalg.add ins(%z, %p : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %s : tensor<4x4xf32>
}

// -----

// One user, or users that only read it: nothing to clone.
// CHECK-LABEL: func.func @readers_only
// CHECK-COUNT-1: linalg.fill
// CHECK-NOT:     linalg.fill
func.func @readers_only(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %c1 = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %o = linalg.fill ins(%c1 : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a = linalg.add ins(%x, %o : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %b = linalg.mul ins(%x, %o : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
