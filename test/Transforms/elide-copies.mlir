// RUN: fgc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(fgc-elide-copies))' | FileCheck %s

#id = affine_map<(d0) -> (d0)>

// A generator's two rows, each computed into a buffer of its own and copied
// into one result: the generic writes both halves of the result, whose
// allocation and views move above it.
// CHECK-LABEL: func.func @rows
// CHECK:         %[[R:.*]] = memref.alloc() : memref<8xf32>
// CHECK:         %[[V0:.*]] = memref.subview %[[R]][0] [4] [1]
// CHECK:         %[[V1:.*]] = memref.subview %[[R]][4] [4] [1]
// CHECK:         linalg.generic {{.*}} outs(%[[V0]], %[[V1]] :
// CHECK-NOT:     memref.copy
// CHECK:         return %[[R]]
func.func @rows() -> memref<8xf32> {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      outs(%a, %b : memref<4xf32>, memref<4xf32>) {
  ^bb0(%o0: f32, %o1: f32):
    %i = linalg.index 0 : index
    %n = arith.index_cast %i : index to i32
    %f = arith.sitofp %n : i32 to f32
    %g = arith.negf %f : f32
    linalg.yield %f, %g : f32, f32
  }
  %r = memref.alloc() : memref<8xf32>
  %v0 = memref.subview %r[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  memref.copy %a, %v0 : memref<4xf32> to memref<4xf32, strided<[1]>>
  %v1 = memref.subview %r[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  memref.copy %b, %v1 : memref<4xf32> to memref<4xf32, strided<[1], offset: 4>>
  return %r : memref<8xf32>
}

// -----

// A transpose computed into its own buffer, reshaped and copied into the
// first slot of a stacked buffer: the transpose writes the slot, seen with
// its own shape.
// CHECK-LABEL: func.func @stacked
// CHECK:         %[[S:.*]] = memref.alloc() : memref<3x2x4xf32>
// CHECK:         %[[V:.*]] = memref.subview %[[S]][0, 0, 0] [1, 2, 4] [1, 1, 1]
// CHECK:         %[[C:.*]] = memref.collapse_shape %[[V]] {{\[}}[0, 1, 2]]
// CHECK:         %[[E:.*]] = memref.expand_shape %[[C]] {{\[}}[0, 1]] output_shape [2, 4]
// CHECK:         linalg.transpose ins(%arg0 : memref<4x2xf32>) outs(%[[E]] : {{.*}}) permutation = [1, 0]
// CHECK-NOT:     memref.copy
func.func @stacked(%x: memref<4x2xf32>) -> memref<3x2x4xf32> {
  %t = memref.alloc() : memref<2x4xf32>
  linalg.transpose ins(%x : memref<4x2xf32>) outs(%t : memref<2x4xf32>) permutation = [1, 0]
  %flat = memref.collapse_shape %t [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  %one = memref.expand_shape %flat [[0, 1, 2]] output_shape [1, 2, 4] : memref<8xf32> into memref<1x2x4xf32>
  %s = memref.alloc() : memref<3x2x4xf32>
  %v = memref.subview %s[0, 0, 0] [1, 2, 4] [1, 1, 1] : memref<3x2x4xf32> to memref<1x2x4xf32, strided<[8, 4, 1]>>
  memref.copy %one, %v : memref<1x2x4xf32> to memref<1x2x4xf32, strided<[8, 4, 1]>>
  return %s : memref<3x2x4xf32>
}

// -----

// The producer reads its init (an accumulation): the copy stays.
// CHECK-LABEL: func.func @accumulates
// CHECK:         linalg.matmul
// CHECK:         memref.copy
func.func @accumulates(%a: memref<4x4xf32>, %b: memref<4x4xf32>) -> memref<8x4xf32> {
  %c = memref.alloc() : memref<4x4xf32>
  linalg.matmul ins(%a, %b : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>)
  %r = memref.alloc() : memref<8x4xf32>
  %v = memref.subview %r[0, 0] [4, 4] [1, 1] : memref<8x4xf32> to memref<4x4xf32, strided<[4, 1]>>
  memref.copy %c, %v : memref<4x4xf32> to memref<4x4xf32, strided<[4, 1]>>
  return %r : memref<8x4xf32>
}

// -----

#id2 = affine_map<(d0) -> (d0)>

// Between the producer and the copy, another op reads the destination's
// buffer: writing it earlier would change what that op reads.
// CHECK-LABEL: func.func @destination_read_between
// CHECK:         linalg.generic
// CHECK:         memref.copy %{{.*}}, %{{.*}} : memref<4xf32> to memref<4xf32>
// CHECK:         memref.copy
func.func @destination_read_between(%x: memref<4xf32>, %out: memref<4xf32>) -> memref<4xf32> {
  %r = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel"]} outs(%r : memref<4xf32>) {
  ^bb0(%o: f32):
    %c = arith.constant 1.0 : f32
    linalg.yield %c : f32
  }
  %a = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel"]} ins(%x : memref<4xf32>) outs(%a : memref<4xf32>) {
  ^bb0(%i: f32, %o: f32):
    linalg.yield %i : f32
  }
  memref.copy %r, %out : memref<4xf32> to memref<4xf32>
  memref.copy %a, %r : memref<4xf32> to memref<4xf32>
  return %r : memref<4xf32>
}

// -----

#id3 = affine_map<(d0) -> (d0)>

// The destination is a function argument, which may alias anything.
// CHECK-LABEL: func.func @argument
// CHECK:         memref.copy
func.func @argument(%out: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id3], iterator_types = ["parallel"]} outs(%a : memref<4xf32>) {
  ^bb0(%o: f32):
    %c = arith.constant 1.0 : f32
    linalg.yield %c : f32
  }
  memref.copy %a, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

#id4 = affine_map<(d0) -> (d0)>

// Two outputs into overlapping views of one buffer: the second stays a
// copy (its order after the first decides what the overlap holds).
// CHECK-LABEL: func.func @overlap
// CHECK:         linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : memref<4xf32, strided<[1]>>, memref<4xf32>)
// CHECK-COUNT-1: memref.copy
// CHECK-NOT:     memref.copy
func.func @overlap() -> memref<6xf32> {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel"]} outs(%a, %b : memref<4xf32>, memref<4xf32>) {
  ^bb0(%o0: f32, %o1: f32):
    %c = arith.constant 1.0 : f32
    %d = arith.constant 2.0 : f32
    linalg.yield %c, %d : f32, f32
  }
  %r = memref.alloc() : memref<6xf32>
  %v0 = memref.subview %r[0] [4] [1] : memref<6xf32> to memref<4xf32, strided<[1]>>
  memref.copy %a, %v0 : memref<4xf32> to memref<4xf32, strided<[1]>>
  %v1 = memref.subview %r[2] [4] [1] : memref<6xf32> to memref<4xf32, strided<[1], offset: 2>>
  memref.copy %b, %v1 : memref<4xf32> to memref<4xf32, strided<[1], offset: 2>>
  return %r : memref<6xf32>
}

// -----

#id5 = affine_map<(d0) -> (d0)>

// One buffer holds two values in turn (CSE merged their empty tensors):
// each producer writes straight into its copy's destination. A third value
// is read again after its copy, which therefore stays.
// CHECK-LABEL: func.func @reused_buffer
// CHECK:         %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         %[[R1:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         linalg.generic {{.*}} outs(%[[R1]] : memref<4xf32>)
// CHECK:         %[[R2:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         linalg.generic {{.*}} outs(%[[R2]] : memref<4xf32>)
// CHECK:         linalg.generic {{.*}} outs(%[[A]] : memref<4xf32>)
// CHECK:         memref.copy %[[A]], %{{.*}}
// CHECK:         linalg.generic {{.*}} ins(%[[A]] : memref<4xf32>)
func.func @reused_buffer(%out: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id5], iterator_types = ["parallel"]} outs(%a : memref<4xf32>) {
  ^bb0(%o: f32):
    %c = arith.constant 1.0 : f32
    linalg.yield %c : f32
  }
  %r1 = memref.alloc() : memref<4xf32>
  memref.copy %a, %r1 : memref<4xf32> to memref<4xf32>
  linalg.generic {indexing_maps = [#id5], iterator_types = ["parallel"]} outs(%a : memref<4xf32>) {
  ^bb0(%o: f32):
    %c = arith.constant 2.0 : f32
    linalg.yield %c : f32
  }
  %r2 = memref.alloc() : memref<4xf32>
  memref.copy %a, %r2 : memref<4xf32> to memref<4xf32>
  linalg.generic {indexing_maps = [#id5], iterator_types = ["parallel"]} outs(%a : memref<4xf32>) {
  ^bb0(%o: f32):
    %c = arith.constant 3.0 : f32
    linalg.yield %c : f32
  }
  %r3 = memref.alloc() : memref<4xf32>
  memref.copy %a, %r3 : memref<4xf32> to memref<4xf32>
  linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel"]} ins(%a : memref<4xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%i: f32, %o: f32):
    linalg.yield %i : f32
  }
  return %r1, %r2, %r3 : memref<4xf32>, memref<4xf32>, memref<4xf32>
}

// -----

#id6 = affine_map<(d0) -> (d0)>

// The op after the copy reads the buffer as it writes it (in place): the
// value the copy reads is read twice, so the copy stays.
// CHECK-LABEL: func.func @next_reads
// CHECK:         memref.copy
func.func @next_reads() -> (memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id6], iterator_types = ["parallel"]} outs(%a : memref<4xf32>) {
  ^bb0(%o: f32):
    %c = arith.constant 1.0 : f32
    linalg.yield %c : f32
  }
  %r = memref.alloc() : memref<4xf32>
  memref.copy %a, %r : memref<4xf32> to memref<4xf32>
  linalg.generic {indexing_maps = [#id6, #id6], iterator_types = ["parallel"]} ins(%a : memref<4xf32>) outs(%a : memref<4xf32>) {
  ^bb0(%i: f32, %o: f32):
    %d = arith.addf %i, %i : f32
    linalg.yield %d : f32
  }
  return %r, %a : memref<4xf32>, memref<4xf32>
}

// -----

#id1 = affine_map<(d0) -> (d0)>

// A destination the buffer's reshape cannot be undone on (a [2, 4] window
// of [2, 8] rows does not collapse to 8 contiguous floats): the copy stays
// and nothing moves, the destination's allocation and view included.
// CHECK-LABEL: func.func @not_collapsible
// CHECK:         %[[B:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT:    linalg.generic {{.*}} outs(%[[B]] :
// CHECK:         %[[E:.*]] = memref.expand_shape %[[B]]
// CHECK-NEXT:    %[[D:.*]] = memref.alloc() : memref<2x8xf32>
// CHECK-NEXT:    %[[V:.*]] = memref.subview %[[D]][0, 0] [2, 4] [1, 1]
// CHECK-NEXT:    memref.copy %[[E]], %[[V]]
func.func @not_collapsible() -> memref<2x8xf32> {
  %b = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]}
      outs(%b : memref<8xf32>) {
  ^bb0(%o: f32):
    %c = arith.constant 1.0 : f32
    linalg.yield %c : f32
  }
  %e = memref.expand_shape %b [[0, 1]] output_shape [2, 4] : memref<8xf32> into memref<2x4xf32>
  %d = memref.alloc() : memref<2x8xf32>
  %v = memref.subview %d[0, 0] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1]>>
  memref.copy %e, %v : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1]>>
  memref.dealloc %b : memref<8xf32>
  return %d : memref<2x8xf32>
}
