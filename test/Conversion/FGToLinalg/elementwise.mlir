// RUN: fgc-opt %s -convert-fg-to-linalg -split-input-file | FileCheck %s

// Broadcasting binary op: one generic, the [3] operand read through (d1).
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1 : tensor<2x3xf32>, tensor<3xf32>) outs(%[[E]] : tensor<2x3xf32>)
// CHECK: arith.addf
func.func @add(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = fg.add %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Size-1 dimensions broadcast through a constant-0 index.
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @sub_broadcast_column
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[COL]], #{{.*}}]
// CHECK: arith.subf
func.func @sub_broadcast_column(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x3xf32> {
  %0 = fg.sub %a, %b : tensor<2x3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Integer arithmetic uses the integer ops; integer division is signed.
// CHECK-LABEL: func.func @int_ops
// CHECK: arith.muli
// CHECK: arith.divsi
// CHECK: arith.subi
func.func @int_ops(%a: tensor<4xi64>, %b: tensor<4xi64>) -> tensor<4xi64> {
  %0 = fg.mul %a, %b : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  %1 = fg.div %0, %b : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  %2 = fg.neg %1 : tensor<4xi64>
  return %2 : tensor<4xi64>
}

// -----

// Each unary op and its scalar body.
// CHECK-LABEL: func.func @unary
// CHECK: math.sqrt
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: math.log
// CHECK: math.erf
// CHECK: math.absf
// CHECK: math.tanh
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f64
// CHECK: math.powf
func.func @unary(%a: tensor<4xf64>) -> tensor<4xf64> {
  %0 = fg.sqrt %a : tensor<4xf64>
  %1 = fg.neg %0 : tensor<4xf64>
  %2 = fg.exp %1 : tensor<4xf64>
  %3 = fg.log %2 : tensor<4xf64>
  %4 = fg.erf %3 : tensor<4xf64>
  %5 = fg.abs %4 : tensor<4xf64>
  %6 = fg.tanh %5 : tensor<4xf64>
  %7 = fg.relu %6 : tensor<4xf64>
  %8 = fg.pow %7, %a : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
  return %8 : tensor<4xf64>
}

// -----

// sigmoid = 1 / (1 + exp(-x)); leaky_relu = x < 0 ? alpha * x : x.
// CHECK-LABEL: func.func @activations
// CHECK: arith.negf
// CHECK-NEXT: math.exp
// CHECK-NEXT: arith.addf
// CHECK-NEXT: arith.divf
// CHECK: %[[NEG:.*]] = arith.cmpf olt
// CHECK: %[[SCALED:.*]] = arith.mulf
// CHECK: arith.select %[[NEG]], %[[SCALED]]
func.func @activations(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = fg.sigmoid %a : tensor<4xf32>
  %1 = fg.leaky_relu %0 {alpha = 0.1 : f64} : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Casts pick the conversion by element types.
// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.sitofp %{{.*}} : i64 to f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @casts(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = fg.cast %a : tensor<3xf32> -> tensor<3xi64>
  %1 = fg.cast %0 : tensor<3xi64> -> tensor<3xf64>
  %2 = fg.cast %1 : tensor<3xf64> -> tensor<3xf32>
  return %2 : tensor<3xf32>
}

// -----

// Constants become arith.constant.
// CHECK-LABEL: func.func @constant
// CHECK: arith.constant dense<[1, 2]> : tensor<2xi64>
func.func @constant() -> tensor<2xi64> {
  %0 = fg.constant dense<[1, 2]> : tensor<2xi64>
  return %0 : tensor<2xi64>
}
