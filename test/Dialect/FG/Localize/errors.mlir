// RUN: fgc-opt %s -split-input-file -fg-localize -verify-diagnostics

// expected-error @+1 {{the model has no linear layer to perturb}}
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> tensor<2x4xf32> {
  %0 = fg.relu %x : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A model without a readout trains its local losses, but its result must
// still be logits.
fg.parameter @w = dense<0.5> : tensor<4x3xf32>
// expected-error @+1 {{the model's output must be [N, classes], got 'tensor<2x3x1xf32>'}}
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> tensor<2x3x1xf32> {
  %w = fg.param @w : tensor<4x3xf32>
  %0 = fg.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = fg.exp %0 : tensor<2x3xf32>
  %2 = fg.reshape %1 : tensor<2x3xf32> -> tensor<2x3x1xf32>
  return %2 : tensor<2x3x1xf32>
}
