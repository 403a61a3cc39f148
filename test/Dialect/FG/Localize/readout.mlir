// RUN: fgc-opt %s -fg-localize="readout=logits" -mlir-print-debuginfo | FileCheck %s
// RUN: not fgc-opt %s -fg-localize="readout=nowhere" 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: error: --readout: the model has no linear layer (MatMul, Gemm or Conv with a weight) named 'nowhere'

// A classifier the automatic rule cannot see (an exp after it) is named
// with `readout`; without it the pass says what it looked for.
// CHECK-LABEL: func.func @local_losses(
// CHECK: fg.perturb {{.*}} {site = 0 : i64}
// CHECK: %[[LOGITS:.*]] = fg.gemm {{.*}}fg.readout{{.*}} loc(#[[L:loc[0-9]+]])
// CHECK: fg.cross_entropy %[[LOGITS]]
// CHECK: #[[L]] = loc("logits")
fg.parameter @w = dense<0.5> : tensor<4x6xf32>
fg.parameter @c = dense<0.5> : tensor<6x3xf32>
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> tensor<2x3xf32> {
  %w = fg.param @w : tensor<4x6xf32>
  %c = fg.param @c : tensor<6x3xf32>
  %0 = fg.gemm %x, %w : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32>
  %1 = fg.tanh %0 : tensor<2x6xf32>
  %2 = fg.gemm %1, %c : (tensor<2x6xf32>, tensor<6x3xf32>) -> tensor<2x3xf32> loc("logits")
  %3 = fg.exp %2 : tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}
