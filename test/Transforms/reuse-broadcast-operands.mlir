// RUN: fgc-opt %s -split-input-file -fgc-reuse-broadcast-operands | FileCheck %s
// RUN: fgc-opt %s -split-input-file -fgc-reuse-broadcast-operands="max-footprint=65536" \
// RUN:   | FileCheck %s --check-prefix=SMALL

// The tangents [K, batch, tokens, channels] of a ReLU read the primal
// activations [batch, tokens, channels] (1 MiB): the tangent loop moves
// inside the batch loop, after which one sample's activations (128 KiB)
// stay in cache for the four tangents. With a 64 KiB cache it moves inside
// the token loop too.
// CHECK-DAG: #[[TAN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
// CHECK-DAG: #[[PRI:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-LABEL: func.func @relu_tangents
// CHECK: linalg.generic {indexing_maps = [#[[TAN]], #[[PRI]], #[[TAN]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// SMALL-DAG: #[[TAN:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d0, d1, d3)>
// SMALL-DAG: #[[PRI:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// SMALL-LABEL: func.func @relu_tangents
// SMALL: linalg.generic {indexing_maps = [#[[TAN]], #[[PRI]], #[[TAN]]]
#t = affine_map<(k, b, t, c) -> (k, b, t, c)>
#p = affine_map<(k, b, t, c) -> (b, t, c)>
func.func @relu_tangents(%dx: memref<4x8x64x512xf32>, %y: memref<8x64x512xf32>, %dy: memref<4x8x64x512xf32>) {
  linalg.generic {indexing_maps = [#t, #p, #t], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%dx, %y : memref<4x8x64x512xf32>, memref<8x64x512xf32>) outs(%dy : memref<4x8x64x512xf32>) {
  ^bb0(%d: f32, %v: f32, %o: f32):
    %zero = arith.constant 0.0 : f32
    %pos = arith.cmpf ogt, %v, %zero : f32
    %r = arith.select %pos, %d, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A reduction over channels of each tangent row times the primal row: the
// reduced loop stays last.
// CHECK-DAG: #[[TAN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
// CHECK-DAG: #[[PRI:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2)>
// CHECK-LABEL: func.func @tangent_dots
// CHECK: linalg.generic {indexing_maps = [#[[TAN]], #[[PRI]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
#t = affine_map<(k, b, t, c) -> (k, b, t, c)>
#p = affine_map<(k, b, t, c) -> (b, t, c)>
#o = affine_map<(k, b, t, c) -> (k, b, t)>
func.func @tangent_dots(%dx: memref<4x8x64x512xf32>, %x: memref<8x64x512xf32>, %out: memref<4x8x64xf64>) {
  linalg.generic {indexing_maps = [#t, #p, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%dx, %x : memref<4x8x64x512xf32>, memref<8x64x512xf32>) outs(%out : memref<4x8x64xf64>) {
  ^bb0(%d: f32, %v: f32, %acc: f64):
    %p = arith.mulf %d, %v : f32
    %e = arith.extf %p : f32 to f64
    %s = arith.addf %acc, %e : f64
    linalg.yield %s : f64
  }
  return
}

// -----

// A gradient estimate sums K tangent products into a [batch, tokens,
// channels] f64 accumulator (1 MiB): with the tangent loop outermost the
// accumulator streams in and out once per tangent; inside the batch loop,
// one sample's slice (128 KiB) stays in cache for all K.
// CHECK-DAG: #[[TAN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
// CHECK-DAG: #[[ACC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-LABEL: func.func @estimate
// CHECK: linalg.generic {indexing_maps = [#[[TAN]], #[[TAN]], #[[ACC]]], iterator_types = ["parallel", "reduction", "parallel", "parallel"]}
#t = affine_map<(k, b, t, c) -> (k, b, t, c)>
#a = affine_map<(k, b, t, c) -> (b, t, c)>
func.func @estimate(%s: memref<4x8x64x256xf32>, %u: memref<4x8x64x256xf32>, %g: memref<8x64x256xf64>) {
  linalg.generic {indexing_maps = [#t, #t, #a], iterator_types = ["reduction", "parallel", "parallel", "parallel"]}
      ins(%s, %u : memref<4x8x64x256xf32>, memref<4x8x64x256xf32>) outs(%g : memref<8x64x256xf64>) {
  ^bb0(%a: f32, %b: f32, %acc: f64):
    %p = arith.mulf %a, %b : f32
    %e = arith.extf %p : f32 to f64
    %r = arith.addf %acc, %e : f64
    linalg.yield %r : f64
  }
  return
}

// -----

// A broadcast bias fits in cache: the order stays.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @bias
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]]
func.func @bias(%x: memref<1024x512xf32>, %b: memref<512xf32>, %y: memref<1024x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<1024x512xf32>, memref<512xf32>) outs(%y : memref<1024x512xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A reduced loop outside a parallel one: left alone.
// CHECK-LABEL: func.func @column_sums
// CHECK: iterator_types = ["parallel", "reduction", "parallel"]
func.func @column_sums(%dx: memref<4x1024x512xf32>, %x: memref<1024x512xf32>, %out: memref<4x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(k, i, j) -> (k, i, j)>, affine_map<(k, i, j) -> (i, j)>, affine_map<(k, i, j) -> (k, j)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%dx, %x : memref<4x1024x512xf32>, memref<1024x512xf32>) outs(%out : memref<4x512xf32>) {
  ^bb0(%d: f32, %v: f32, %acc: f32):
    %p = arith.mulf %d, %v : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
