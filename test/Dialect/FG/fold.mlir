// Folding of shape arithmetic and no-op data movement.
// RUN: fgc-opt %s -canonicalize -split-input-file | FileCheck %s

// The exporters' Shape -> Gather -> Unsqueeze -> Concat chains become constants.
// CHECK-LABEL: func.func @shape_chain
// CHECK-NEXT:    %[[C:.*]] = fg.constant dense<[4, 30]> : tensor<2xi64>
// CHECK-NEXT:    return %[[C]]
func.func @shape_chain(%x: tensor<4x5x6xf32>) -> tensor<2xi64> {
  %s = fg.shape %x : tensor<4x5x6xf32> -> tensor<3xi64>
  %i0 = fg.constant dense<0> : tensor<1xi64>
  %i12 = fg.constant dense<[1, 2]> : tensor<2xi64>
  %n = fg.gather %s[%i0] {axis = 0} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %d = fg.gather %s[%i12] {axis = 0} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  %one = fg.constant dense<1> : tensor<i64>
  %d0 = fg.slice %d {starts = array<i64: 0>, ends = array<i64: 1>, steps = array<i64: 1>} : tensor<2xi64> -> tensor<1xi64>
  %d1 = fg.slice %d {starts = array<i64: 1>, ends = array<i64: 2>, steps = array<i64: 1>} : tensor<2xi64> -> tensor<1xi64>
  %p = fg.mul %d0, %d1 : tensor<1xi64>, tensor<1xi64> -> tensor<1xi64>
  %q = fg.div %p, %one : tensor<1xi64>, tensor<i64> -> tensor<1xi64>
  %r = fg.concat %n, %q {axis = 0} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %r : tensor<2xi64>
}

// -----

// Integer division truncates toward zero; division by zero is not folded.
// CHECK-LABEL: func.func @int_div
// CHECK-DAG:     fg.constant dense<[-3, 3]> : tensor<2xi64>
// CHECK-DAG:     fg.div
func.func @int_div() -> (tensor<2xi64>, tensor<2xi64>) {
  %a = fg.constant dense<[-7, 7]> : tensor<2xi64>
  %b = fg.constant dense<2> : tensor<i64>
  %z = fg.constant dense<[2, 0]> : tensor<2xi64>
  %0 = fg.div %a, %b : tensor<2xi64>, tensor<i64> -> tensor<2xi64>
  %1 = fg.div %a, %z : tensor<2xi64>, tensor<2xi64> -> tensor<2xi64>
  return %0, %1 : tensor<2xi64>, tensor<2xi64>
}

// -----

// Float arithmetic with broadcasting, negation, pow and casts.
// CHECK-LABEL: func.func @float_math
// CHECK:         fg.constant dense<{{\[}}[2.000000e+00, 6.000000e+00], [4.000000e+00, 1.200000e+01]]> : tensor<2x2xf32>
// CHECK:         fg.constant dense<[-1, 2]> : tensor<2xi64>
func.func @float_math() -> (tensor<2x2xf32>, tensor<2xi64>) {
  %a = fg.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = fg.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %two = fg.constant dense<2.0> : tensor<f32>
  %m = fg.mul %a, %b : tensor<2x1xf32>, tensor<2xf32> -> tensor<2x2xf32>
  %p = fg.pow %two, %two : tensor<f32>, tensor<f32> -> tensor<f32>
  %s = fg.mul %m, %p : tensor<2x2xf32>, tensor<f32> -> tensor<2x2xf32>
  %h = fg.div %s, %two : tensor<2x2xf32>, tensor<f32> -> tensor<2x2xf32>
  %c = fg.constant dense<[1.9, -2.7]> : tensor<2xf32>
  %n = fg.neg %c : tensor<2xf32>
  %i = fg.cast %n : tensor<2xf32> -> tensor<2xi64>
  return %h, %i : tensor<2x2xf32>, tensor<2xi64>
}

// -----

// No-op reshapes, transposes, casts, slices and single-input concats vanish;
// chains of reshapes and transposes collapse into one op.
// CHECK-LABEL: func.func @data_movement
// CHECK-NEXT:    %[[R:.*]] = fg.reshape %arg0 : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK-NEXT:    %[[T:.*]] = fg.transpose %arg0 {perm = array<i64: 2, 1, 0>} : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK-NEXT:    return %arg0, %[[R]], %[[T]]
func.func @data_movement(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<24xf32>, tensor<4x3x2xf32>) {
  %0 = fg.reshape %x : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %1 = fg.transpose %0 {perm = array<i64: 0, 1, 2>} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %2 = fg.cast %1 : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %3 = fg.slice %2 {starts = array<i64: 0, 0, 0>, ends = array<i64: 2, 3, 4>, steps = array<i64: 1, 1, 1>} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %4 = fg.concat %3 {axis = 0} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %5 = fg.reshape %4 : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %6 = fg.reshape %5 : tensor<6x4xf32> -> tensor<24xf32>
  %7 = fg.transpose %4 {perm = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %8 = fg.transpose %7 {perm = array<i64: 2, 0, 1>} : tensor<3x2x4xf32> -> tensor<4x3x2xf32>
  return %4, %6, %8 : tensor<2x3x4xf32>, tensor<24xf32>, tensor<4x3x2xf32>
}

// -----

// Constant data movement folds; a transpose of a constant is evaluated.
// CHECK-LABEL: func.func @constant_movement
// CHECK-NEXT:    %[[C:.*]] = fg.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi64>
// CHECK-NEXT:    %[[S:.*]] = fg.constant dense<[6, 5, 4]> : tensor<3xi64>
// CHECK-NEXT:    return %[[C]], %[[S]]
func.func @constant_movement() -> (tensor<3x2xi64>, tensor<3xi64>) {
  %c = fg.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %t = fg.transpose %c {perm = array<i64: 1, 0>} : tensor<2x3xi64> -> tensor<3x2xi64>
  %r = fg.reshape %c : tensor<2x3xi64> -> tensor<6xi64>
  %s = fg.slice %r {starts = array<i64: 5>, ends = array<i64: 2>, steps = array<i64: -1>} : tensor<6xi64> -> tensor<3xi64>
  return %t, %s : tensor<3x2xi64>, tensor<3xi64>
}

// -----

// Bool (i1) shape logic folds: comparisons, not/and/or as compare/min/max on
// i1 (false < true), casts to and from i1, and select.
// CHECK-LABEL: func.func @bool_logic
// CHECK-DAG:     fg.constant dense<[true, false, true]> : tensor<3xi1>
// CHECK-DAG:     fg.constant dense<[false, false, true]> : tensor<3xi1>
// CHECK-DAG:     fg.constant dense<true> : tensor<3xi1>
// CHECK-DAG:     fg.constant dense<[1, 0, 1]> : tensor<3xi64>
// CHECK-DAG:     fg.constant dense<[7, 4, 7]> : tensor<3xi64>
// CHECK-DAG:     fg.constant dense<[1.000000e+00, 0.000000e+00, 0.000000e+00]> : tensor<3xf32>
// CHECK-NOT:     fg.compare
// CHECK-NOT:     fg.select
func.func @bool_logic() -> (tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi64>, tensor<3xi64>, tensor<3xf32>) {
  %s = fg.constant dense<[-1, 4, 5]> : tensor<3xi64>
  %m1 = fg.constant dense<4> : tensor<i64>
  %ne = fg.compare "ne", %s, %m1 : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
  %b = fg.cast %ne : tensor<3xi64> -> tensor<3xi1>
  %gt = fg.compare "gt", %s, %m1 : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
  %g = fg.cast %gt : tensor<3xi64> -> tensor<3xi1>
  %and = fg.min %b, %g : tensor<3xi1>, tensor<3xi1> -> tensor<3xi1>
  %t = fg.constant dense<true> : tensor<i1>
  %or = fg.max %b, %t : tensor<3xi1>, tensor<i1> -> tensor<3xi1>
  %i = fg.cast %b : tensor<3xi1> -> tensor<3xi64>
  %seven = fg.constant dense<7> : tensor<i64>
  %sel = fg.select %b, %seven, %s : tensor<3xi1>, tensor<i64>, tensor<3xi64> -> tensor<3xi64>
  %fs = fg.constant dense<[-1.0, 0.5, 2.0]> : tensor<3xf32>
  %half = fg.constant dense<0.5> : tensor<f32>
  %lt = fg.compare "lt", %fs, %half : tensor<3xf32>, tensor<f32> -> tensor<3xf32>
  return %b, %and, %or, %i, %sel, %lt : tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi64>, tensor<3xi64>, tensor<3xf32>
}

// -----

// A uniform condition selects an operand whole.
// CHECK-LABEL: func.func @select_splat
// CHECK-NEXT:    return %arg1
func.func @select_splat(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  %f = fg.constant dense<false> : tensor<i1>
  %0 = fg.select %f, %x, %y : tensor<i1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
