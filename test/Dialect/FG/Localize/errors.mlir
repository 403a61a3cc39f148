// RUN: fgc-opt %s -split-input-file -fg-localize -verify-diagnostics

// expected-error @+1 {{the model has no linear layer to perturb}}
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> tensor<2x4xf32> {
  %0 = fg.relu %x : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

fg.parameter @w = dense<0.5> : tensor<4x3xf32>
// expected-error @+1 {{the model has no readout classifier}}
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> tensor<2x3xf32> {
  %w = fg.param @w : tensor<4x3xf32>
  %0 = fg.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = fg.relu %0 : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// A 5-D block output whose layout cannot be inferred.
fg.parameter @w = dense<0.5> : tensor<4x6xf32>
fg.parameter @c = dense<0.5> : tensor<6x3xf32>
// expected-error @+1 {{cannot infer the layout of the output of block0 (5-D, node ''); give it with --layout}}
func.func @forward(%x: tensor<2x1x1x1x4xf32> {fg.name = "image"}) -> tensor<2x3xf32> {
  %w = fg.param @w : tensor<4x6xf32>
  %c = fg.param @c : tensor<6x3xf32>
  %0 = fg.matmul %x, %w : tensor<2x1x1x1x4xf32>, tensor<4x6xf32> -> tensor<2x1x1x1x6xf32>
  %1 = fg.relu %0 : tensor<2x1x1x1x6xf32>
  %2 = fg.reshape %1 : tensor<2x1x1x1x6xf32> -> tensor<2x6xf32>
  %3 = fg.matmul %2, %c : tensor<2x6xf32>, tensor<6x3xf32> -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}
