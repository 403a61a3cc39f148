// RUN: fgc-opt %s -split-input-file -fgc-lower-reductions | FileCheck %s

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1)>
#bcast = affine_map<(d0, d1, d2) -> (d0, 0)>

// Two accumulators (a row sum and a row sum of products with a broadcast
// statistic): loaded once per row, carried through the reduced loop,
// stored once after it.
// CHECK-LABEL: func.func @two_sums
// CHECK-SAME: (%[[X:.*]]: memref<4x8x16xf32>, %[[S:.*]]: memref<4x1xf32>, %[[A:.*]]: memref<4x8xf64>, %[[B:.*]]: memref<4x8xf64>)
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}})
// CHECK-DAG: %[[A0:.*]] = memref.load %[[A]][%[[I]], %[[J]]]
// CHECK-DAG: %[[B0:.*]] = memref.load %[[B]][%[[I]], %[[J]]]
// CHECK: %[[R:.*]]:2 = scf.for %[[K:.*]] = {{.*}} iter_args(%[[ACCA:.*]] = %[[A0]], %[[ACCB:.*]] = %[[B0]]) -> (f64, f64) {
// CHECK-DAG: %[[XV:.*]] = memref.load %[[X]][%[[I]], %[[J]], %[[K]]]
// CHECK-DAG: %[[SV:.*]] = memref.load %[[S]][%[[I]], %c0{{.*}}]
// CHECK: %[[SUMA:.*]] = arith.addf %[[ACCA]]
// CHECK: arith.mulf %[[XV]], %[[SV]]
// CHECK: %[[SUMB:.*]] = arith.addf %[[ACCB]]
// CHECK: scf.yield %[[SUMA]], %[[SUMB]] : f64, f64
// CHECK: memref.store %[[R]]#0, %[[A]][%[[I]], %[[J]]]
// CHECK: memref.store %[[R]]#1, %[[B]][%[[I]], %[[J]]]
// CHECK-NOT: linalg.generic
func.func @two_sums(%x: memref<4x8x16xf32>, %s: memref<4x1xf32>, %a: memref<4x8xf64>, %b: memref<4x8xf64>) {
  linalg.generic {indexing_maps = [#id3, #bcast, #row, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %s : memref<4x8x16xf32>, memref<4x1xf32>) outs(%a, %b : memref<4x8xf64>, memref<4x8xf64>) {
  ^bb0(%v: f32, %st: f32, %acc: f64, %acc2: f64):
    %e = arith.extf %v : f32 to f64
    %sum = arith.addf %acc, %e fastmath<reassoc> : f64
    %p = arith.mulf %v, %st : f32
    %pe = arith.extf %p : f32 to f64
    %sum2 = arith.addf %acc2, %pe fastmath<reassoc> : f64
    linalg.yield %sum, %sum2 : f64, f64
  }
  return
}

// -----

// Everything reduced: no parallel loop, one accumulator through the nest;
// linalg.index becomes the loop's induction variable.
// CHECK-LABEL: func.func @total
// CHECK-NOT: scf.parallel
// CHECK: %[[INIT:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[OUTER:.*]] = scf.for %[[I:.*]] = {{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK: %[[INNER:.*]] = scf.for %[[J:.*]] = {{.*}} iter_args(%[[ACC2:.*]] = %[[ACC]]) -> (f32) {
// CHECK: arith.index_cast %[[J]]
// CHECK: scf.yield
// CHECK: scf.yield %[[INNER]]
// CHECK: memref.store %[[OUTER]], %{{.*}}[] : memref<f32>
func.func @total(%x: memref<4x8xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<4x8xf32>) outs(%out : memref<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    %w = arith.mulf %v, %jf : f32
    %sum = arith.addf %acc, %w : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// A reduced loop outside a parallel one (a column sum): the output row is
// contiguous in the inner loop, left for convert-linalg-to-parallel-loops.
// CHECK-LABEL: func.func @column_sum
// CHECK: linalg.generic
// CHECK-NOT: scf.for
func.func @column_sum(%x: memref<64x32xf32>, %out: memref<32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<64x32xf32>) outs(%out : memref<32xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %sum = arith.addf %acc, %v : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// The input is a view of the output's buffer: each iteration may read
// what an earlier one stored, so the loads and stores stay in order.
// CHECK-LABEL: func.func @reads_own_output
// CHECK: linalg.generic
func.func @reads_own_output(%buf: memref<4x8xf32>) {
  %out = memref.subview %buf[0, 0] [4, 1] [1, 1] : memref<4x8xf32> to memref<4xf32, strided<[8]>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%buf : memref<4x8xf32>) outs(%out : memref<4xf32, strided<[8]>>) {
  ^bb0(%v: f32, %acc: f32):
    %sum = arith.addf %acc, %v : f32
    linalg.yield %sum : f32
  }
  return
}

// -----

// Tensors are left alone (the pass runs after bufferization).
// CHECK-LABEL: func.func @tensors
// CHECK: linalg.generic
func.func @tensors(%x: tensor<4x8xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %sum = arith.addf %acc, %v : f32
    linalg.yield %sum : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
