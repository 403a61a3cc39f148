// RUN: fgc-opt %s -split-input-file -fgc-tile-transposes | FileCheck %s
// RUN: fgc-opt %s -split-input-file -fgc-tile-transposes="tile-size=16 min-extent=128" \
// RUN:   | FileCheck %s --check-prefix=LARGE

// A transpose: the output's innermost dimension (loop d1) and the input's
// (loop d0) are tiled by 32, in scf.forall over the tiles.
// CHECK-LABEL: func.func @transpose
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) = (0, 0) to (64, 256) step (32, 32) {
// CHECK: %[[IN:.*]] = memref.subview %{{.*}}[%[[J]], %[[I]]] [32, 32] [1, 1]
// CHECK: %[[OUT:.*]] = memref.subview %{{.*}}[%[[I]], %[[J]]] [32, 32] [1, 1]
// CHECK: linalg.transpose ins(%[[IN]] : {{.*}}) outs(%[[OUT]] : {{.*}}) permutation = [1, 0]
// LARGE-LABEL: func.func @transpose
// LARGE-NOT: scf.forall
func.func @transpose(%a: memref<256x64xf32>, %b: memref<64x256xf32>) {
  linalg.transpose ins(%a : memref<256x64xf32>) outs(%b : memref<64x256xf32>) permutation = [1, 0]
  return
}

// -----

// An elementwise op with one transposed operand: only the two loops that
// index the innermost dimensions are tiled (the batch stays whole; a
// partial last tile has a dynamic size).
// CHECK-LABEL: func.func @generic
// CHECK: scf.forall (%[[J:.*]], %[[K:.*]]) = (0, 0) to (128, 200) step (32, 32) {
// CHECK: %[[N:.*]] = affine.min
// CHECK: memref.subview %{{.*}}[0, %[[K]], %[[J]]] [8, %[[N]], 32] [1, 1, 1]
// CHECK: linalg.generic
// CHECK: arith.addf
// LARGE-LABEL: func.func @generic
// LARGE: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (128, 200) step (16, 16)
#tr = affine_map<(i, j, k) -> (i, k, j)>
#id = affine_map<(i, j, k) -> (i, j, k)>
func.func @generic(%a: memref<8x200x128xf32>, %c: memref<8x128x200xf32>, %b: memref<8x128x200xf32>) {
  linalg.generic {indexing_maps = [#tr, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a, %c : memref<8x200x128xf32>, memref<8x128x200xf32>) outs(%b : memref<8x128x200xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Untouched: a copy without a transpose, a broadcast (the input's
// innermost loop is the output's), a short transpose, a reduction, and
// ops on tensors.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: scf.forall
// CHECK: return
#row = affine_map<(i, j) -> (j)>
#id2 = affine_map<(i, j) -> (i, j)>
#red = affine_map<(i, j) -> (i)>
func.func @untouched(%a: memref<256x64xf32>, %b: memref<256x64xf32>, %v: memref<64xf32>,
                     %s: memref<8x4xf32>, %t: memref<4x8xf32>, %r: memref<256xf32>,
                     %x: tensor<256x64xf32>, %y: tensor<64x256xf32>) -> tensor<64x256xf32> {
  linalg.copy ins(%a : memref<256x64xf32>) outs(%b : memref<256x64xf32>)
  linalg.generic {indexing_maps = [#row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%v : memref<64xf32>) outs(%b : memref<256x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.transpose ins(%s : memref<8x4xf32>) outs(%t : memref<4x8xf32>) permutation = [1, 0]
  linalg.generic {indexing_maps = [#id2, #red], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<256x64xf32>) outs(%r : memref<256xf32>) {
  ^bb0(%in: f32, %o: f32):
    %sum = arith.addf %in, %o : f32
    linalg.yield %sum : f32
  }
  %z = linalg.transpose ins(%x : tensor<256x64xf32>) outs(%y : tensor<64x256xf32>) permutation = [1, 0]
  return %z : tensor<64x256xf32>
}
