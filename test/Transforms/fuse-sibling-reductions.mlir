// RUN: fgc-opt %s -fgc-fuse-sibling-reductions -split-input-file | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Two row sums that read %t (mean(dx) and mean(xhat dx) of a layer norm's
// JVP) become one pass with two results; %t is read once per iteration,
// the second accumulator is filled anew before the fused op.
// CHECK-LABEL: func.func @siblings
// CHECK-SAME: (%[[T:.*]]: tensor<4x8xf32>, %[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<4xf64>
// CHECK: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%[[E1]]
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<4xf64>
// CHECK: %[[F2:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%[[E2]]
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} ins(%[[T]], %[[X]] : tensor<4x8xf32>, tensor<4x8xf32>) outs(%[[F1]], %[[F2]] : tensor<4xf64>, tensor<4xf64>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[ACC1:.*]]: f64, %[[ACC2:.*]]: f64):
// CHECK: %[[S1:.*]] = arith.addf %[[ACC1]]
// CHECK: arith.mulf %[[A]], %[[B]]
// CHECK: %[[S2:.*]] = arith.addf %[[ACC2]]
// CHECK: linalg.yield %[[S1]], %[[S2]]
// CHECK-NOT: linalg.generic
// CHECK-NOT: linalg.fill
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @siblings(%t: tensor<4x8xf32>, %x: tensor<4x8xf32>) -> (tensor<4xf64>, tensor<4xf64>) {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<4xf64>
  %acc = linalg.fill ins(%zero : f64) outs(%e : tensor<4xf64>) -> tensor<4xf64>
  %m1 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%t : tensor<4x8xf32>) outs(%acc : tensor<4xf64>) {
  ^bb0(%a: f32, %s: f64):
    %w = arith.extf %a : f32 to f64
    %r = arith.addf %s, %w : f64
    linalg.yield %r : f64
  } -> tensor<4xf64>
  %e2 = tensor.empty() : tensor<4xf64>
  %acc2 = linalg.fill ins(%zero : f64) outs(%e2 : tensor<4xf64>) -> tensor<4xf64>
  %m2 = linalg.generic {indexing_maps = [#id, #id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%t, %x : tensor<4x8xf32>, tensor<4x8xf32>) outs(%acc2 : tensor<4xf64>) {
  ^bb0(%a: f32, %b: f32, %s: f64):
    %p = arith.mulf %a, %b : f32
    %w = arith.extf %p : f32 to f64
    %r = arith.addf %s, %w : f64
    linalg.yield %r : f64
  } -> tensor<4xf64>
  return %m1, %m2 : tensor<4xf64>, tensor<4xf64>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#bcast = affine_map<(d0, d1) -> (d0, 0)>

// Left apart: a reduction that needs the other's result (a variance after
// its mean), and one over another space.
// CHECK-LABEL: func.func @dependent
// CHECK-COUNT-3: linalg.generic
func.func @dependent(%x: tensor<4x8xf32>, %y: tensor<8x4xf32>, %acc: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<8xf32>) {
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %r = arith.addf %s, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %m = tensor.expand_shape %sum [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %sq = linalg.generic {indexing_maps = [#id, #bcast, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<4x8xf32>, tensor<4x1xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %s: f32):
    %d = arith.subf %a, %b : f32
    %p = arith.mulf %d, %d : f32
    %r = arith.addf %s, %p : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e = tensor.empty() : tensor<8xf32>
  %other = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<8x4xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %s: f32):
    %r = arith.addf %s, %a : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %sum, %sq, %other : tensor<4xf32>, tensor<4xf32>, tensor<8xf32>
}
