// RUN: fgc-opt %s -pass-pipeline='builtin.module(func.func(fgc-distinct-results))' | FileCheck %s

// A value returned twice gets a copy for its second result.
// CHECK-LABEL: func.func @twice
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<3xf32>
// CHECK:         %[[C:.*]] = linalg.copy ins(%arg0 : tensor<3xf32>) outs(%[[E]] : tensor<3xf32>) -> tensor<3xf32>
// CHECK:         return %arg0, %[[C]], %arg1
func.func @twice(%x: tensor<3xf32>, %y: tensor<2xi64>) -> (tensor<3xf32>, tensor<3xf32>, tensor<2xi64>) {
  return %x, %x, %y : tensor<3xf32>, tensor<3xf32>, tensor<2xi64>
}

// Distinct results are left alone.
// CHECK-LABEL: func.func @distinct
// CHECK-NOT:     linalg.copy
// CHECK:         return %arg0, %arg1
func.func @distinct(%x: tensor<3xf32>, %y: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  return %x, %y : tensor<3xf32>, tensor<3xf32>
}
