// RUN: fgc-opt %s -split-input-file -fgc-outline-loops="min-loops=2" | FileCheck %s --check-prefixes=CHECK,SHARE
// RUN: fgc-opt %s -split-input-file -fgc-outline-loops | FileCheck %s --check-prefix=DEFAULT

// Each top-level loop (scf.for or scf.parallel) of a public function with at
// least min-loops of them moves into a private noinline function; the
// constants it reads are copied in (constant bounds and coefficients), the
// buffers become arguments. A loop with results and the loops of private
// functions stay.
// CHECK-LABEL: func.func private @step_loop0(
// CHECK-SAME: %{{.*}}: memref<8xf32>, %{{.*}}: memref<8xf32>) attributes {passthrough = ["noinline"]}
// CHECK-DAG: arith.constant 0 : index
// CHECK-DAG: arith.constant 8 : index
// CHECK-DAG: arith.constant 2.000000e+00 : f32
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK-LABEL: func.func private @step_loop1(
// CHECK-SAME: memref<8xf32>) attributes {passthrough = ["noinline"]}
// CHECK: arith.addf
// CHECK-LABEL: func.func private @step_loop2(
// CHECK-SAME: memref<8xf32>) attributes {passthrough = ["noinline"]}
// CHECK: scf.parallel
// CHECK: arith.subf
// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>
// CHECK: call @step_loop0(%[[A]], %[[B]]) : (memref<8xf32>, memref<8xf32>) -> ()
// CHECK: call @step_loop1(%[[B]]) : (memref<8xf32>) -> ()
// CHECK: call @step_loop2(%[[B]]) : (memref<8xf32>) -> ()
// CHECK: scf.for {{.*}} iter_args
// CHECK: return
// CHECK-LABEL: func.func private @helper(
// CHECK: scf.for
// CHECK: scf.for
// DEFAULT-NOT: call @step_loop
func.func @step(%a: memref<8xf32>, %b: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %b[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %b[%i] : memref<8xf32>
    %y = arith.addf %x, %two : f32
    memref.store %y, %b[%i] : memref<8xf32>
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %x = memref.load %b[%i] : memref<8xf32>
    %y = arith.subf %x, %two : f32
    memref.store %y, %b[%i] : memref<8xf32>
    scf.reduce
  }
  %s = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> f32 {
    %x = memref.load %b[%i] : memref<8xf32>
    %n = arith.addf %acc, %x : f32
    scf.yield %n : f32
  }
  return %s : f32
}

func.func private @helper(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %two, %a[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %two, %a[%i] : memref<8xf32>
  }
  return
}

// -----

// Loop nests equal but for the buffers they use share one function; a nest
// with another constant, or that reads and writes one buffer where the
// other uses two, gets its own.
// SHARE-LABEL: func.func private @shared_loop0(
// SHARE-SAME: memref<8xf32>, %{{.*}}: memref<8xf32>)
// SHARE-NOT: func.func private @shared_loop1(
// SHARE-LABEL: func.func private @shared_loop2(
// SHARE-SAME: memref<8xf32>, %{{.*}}: memref<8xf32>)
// SHARE: arith.constant 3.000000e+00 : f32
// SHARE-LABEL: func.func private @shared_loop3(
// SHARE-SAME: %{{.*}}: memref<8xf32>) attributes
// SHARE-LABEL: func.func @shared(
// SHARE-SAME: %[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>, %[[C:.*]]: memref<8xf32>, %[[D:.*]]: memref<8xf32>
// SHARE: call @shared_loop0(%[[A]], %[[B]])
// SHARE: call @shared_loop0(%[[C]], %[[D]])
// SHARE: call @shared_loop2(%[[A]], %[[D]])
// SHARE: call @shared_loop3(%[[C]])
func.func @shared(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<8xf32>, %d: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  %three = arith.constant 3.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %b[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %c[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %d[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.mulf %x, %three : f32
    memref.store %y, %d[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %c[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %c[%i] : memref<8xf32>
  }
  return
}
