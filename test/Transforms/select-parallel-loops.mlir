// RUN: fgc-opt %s -split-input-file \
// RUN:   -fgc-select-parallel-loops="min-work=1024 min-trip=16 max-forks=4" \
// RUN:   | FileCheck %s

// A large nest keeps one parallel dimension, the outermost with enough
// iterations; the dimensions after it become serial loops inside it.
// CHECK-LABEL: func.func @outer_dim
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c64) step (%c1) {
// CHECK-NEXT: scf.for %[[J:.*]] = %c0 to %c32 step %c1 {
// CHECK-NEXT: memref.load %{{.*}}[%[[I]], %[[J]]]
// CHECK-NOT: scf.parallel
func.func @outer_dim(%a: memref<64x32xf32>, %b: memref<64x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c32) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<64x32xf32>
    memref.store %x, %b[%i, %j] : memref<64x32xf32>
    scf.reduce
  }
  return
}

// -----

// A short outer dimension stays a serial loop around the parallel one
// (it runs at most max-forks times).
// CHECK-LABEL: func.func @short_outer
// CHECK: scf.for %[[I:.*]] = %c0 to %c3 step %c1 {
// CHECK-NEXT: scf.parallel (%[[J:.*]]) = (%c0) to (%c512) step (%c1) {
// CHECK-NEXT: memref.load %{{.*}}[%[[I]], %[[J]]]
func.func @short_outer(%a: memref<3x512xf32>, %b: memref<3x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c512) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<3x512xf32>
    memref.store %x, %b[%i, %j] : memref<3x512xf32>
    scf.reduce
  }
  return
}

// -----

// Too little work: a serial nest.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK-NEXT: scf.for
func.func @small(%a: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
    memref.store %f, %a[%i, %j] : memref<16x16xf32>
    scf.reduce
  }
  return
}

// -----

// The work counts the serial loops inside (a reduction): 32 x 64
// iterations. A parallel loop inside a serial one (a reduction over the
// outer dimension) would fork per outer iteration: serial.
// CHECK-LABEL: func.func @nested
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c32) step (%c1) {
// CHECK-NEXT: scf.for
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-NOT: scf.parallel
func.func @nested(%a: memref<32x64xf32>, %s: memref<32xf32>, %t: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c32) step (%c1) {
    scf.for %k = %c0 to %c64 step %c1 {
      %x = memref.load %a[%i, %k] : memref<32x64xf32>
      %y = memref.load %s[%i] : memref<32xf32>
      %z = arith.addf %x, %y : f32
      memref.store %z, %s[%i] : memref<32xf32>
    }
    scf.reduce
  }
  scf.for %k = %c0 to %c32 step %c1 {
    scf.parallel (%j) = (%c0) to (%c64) step (%c1) {
      %x = memref.load %a[%k, %j] : memref<32x64xf32>
      %y = memref.load %t[%j] : memref<64xf32>
      %z = arith.addf %x, %y : f32
      memref.store %z, %t[%j] : memref<64xf32>
      scf.reduce
    }
  }
  return
}

// -----

// No dimension has min-trip iterations within max-forks outer ones; a loop
// with dynamic bounds counts as large; a loop with results is left alone.
// CHECK-LABEL: func.func @no_dim
// CHECK-NOT: scf.parallel
// CHECK-LABEL: func.func @dynamic
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%{{.*}}) step (%c1) {
// CHECK-LABEL: func.func @reduction
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) =
// CHECK: scf.reduce
func.func @no_dim(%a: memref<8x8x8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%c8, %c8, %c8, %c8) step (%c1, %c1, %c1, %c1) {
    memref.store %f, %a[%i, %j, %k, %l] : memref<8x8x8x8xf32>
    scf.reduce
  }
  return
}
func.func @dynamic(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %f, %a[%i] : memref<?xf32>
    scf.reduce
  }
  return
}
func.func @reduction(%a: memref<8x8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) init (%zero) -> f32 {
    %x = memref.load %a[%i, %j] : memref<8x8xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r2: f32):
      %s = arith.addf %l, %r2 : f32
      scf.reduce.return %s : f32
    }
  }
  return %r : f32
}
