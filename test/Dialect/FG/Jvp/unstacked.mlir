// A product of thousands of rows is not stacked: [x; dx] W would copy x and
// every tangent into the stack to gain nothing in the matrix kernel. The
// primal product stays as it was, and the K = 4 tangents take one product
// of their own (the leading dimensions folded into rows).
// RUN: fgc-opt %s -fg-jvp="tangents=4" | FileCheck %s
// RUN: fgc-opt %s -fg-jvp="tangents=4" -fg-params-to-args -convert-fg-to-linalg | FileCheck %s --check-prefix=LINALG

// CHECK-LABEL: func.func @forward_jvp(
// CHECK-SAME: %[[X:.*]]: tensor<64x64x16xf32> {fg.name = "x"}, %[[DX:.*]]: tensor<4x64x64x16xf32> {fg.name = "x.tangent", fg.tangent_of = "x"})
// CHECK-NOT: fg.concat
// CHECK-DAG: %[[W:.*]] = fg.param @w
// CHECK-DAG: fg.matmul %[[X]], %[[W]] : tensor<64x64x16xf32>, tensor<16x32xf32> -> tensor<64x64x32xf32>
// CHECK-DAG: %[[DX2:.*]] = fg.reshape %[[DX]] : tensor<4x64x64x16xf32> -> tensor<4x4096x16xf32>
// CHECK-DAG: fg.matmul %[[DX2]], %[[W]] : tensor<4x4096x16xf32>, tensor<16x32xf32> -> tensor<4x4096x32xf32>
// CHECK-NOT: fg.concat
// CHECK: return %{{.*}}, %{{.*}} : tensor<64x64x32xf32>, tensor<4x64x64x32xf32>
// LINALG-LABEL: func.func @forward_jvp(
// LINALG-COUNT-2: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<{{4096|16384}}x16xf32>, tensor<16x32xf32>)
// LINALG-NOT: linalg.matmul
fg.parameter @w = dense<0.5> : tensor<16x32xf32>
func.func @forward(%x: tensor<64x64x16xf32> {fg.name = "x"}) -> (tensor<64x64x32xf32> {fg.name = "y"}) {
  %w = fg.param @w : tensor<16x32xf32>
  %y = fg.matmul %x, %w : tensor<64x64x16xf32>, tensor<16x32xf32> -> tensor<64x64x32xf32>
  return %y : tensor<64x64x32xf32>
}
