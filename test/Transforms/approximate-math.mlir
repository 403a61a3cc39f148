// RUN: fgc-opt %s -split-input-file -fgc-approximate-math | FileCheck %s

// Only the marked ops become polynomials (no math.log / math.cos left for
// them); the unmarked ones keep their libm lowering.
// CHECK-LABEL: func.func @marked
// CHECK-NOT: math.log
// CHECK-NOT: math.cos
// CHECK: arith.bitcast
// CHECK: return
func.func @marked(%u: f32, %a: f32) -> (f32, f32) {
  %l = math.log %u {fgc.approximate} : f32
  %c = math.cos %a {fgc.approximate} : f32
  return %l, %c : f32, f32
}

// -----

// CHECK-LABEL: func.func @unmarked
// CHECK: math.log %{{.*}} : f32
// CHECK: math.cos %{{.*}} : f32
func.func @unmarked(%u: f32, %a: f32) -> (f32, f32) {
  %l = math.log %u : f32
  %c = math.cos %a : f32
  return %l, %c : f32, f32
}

// -----

// The normal-number generator's body asks for it.
// RUN: fgc-opt %s -split-input-file -convert-fg-to-linalg -fgc-approximate-math | FileCheck %s --check-prefix=GEN
// GEN-LABEL: func.func @random
// GEN: linalg.generic
// GEN-NOT: math.log
// GEN-NOT: math.cos
// GEN: math.sqrt
// GEN: linalg.yield
func.func @random(%seed: tensor<i64>, %step: tensor<i64>) -> tensor<4x3xf32> {
  %0 = fg.random_normal %seed, %step {site = 7} : (tensor<i64>, tensor<i64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
