// An op without a lowering is a compile error that names it.
// RUN: fgc-opt %s -convert-fg-to-linalg -split-input-file -verify-diagnostics

fg.parameter @w = dense<1.0> : tensor<2xf32>
func.func @unlowered() -> tensor<2xf32> {
  // Parameters must have become arguments (fg-params-to-args) first.
  // expected-error @+1 {{failed to legalize operation 'fg.param'}}
  %0 = fg.param @w : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// The loss ops are decomposed into other fg ops before the conversion.
func.func @loss(%x: tensor<2x5xf32>, %l: tensor<2xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{'fg.cross_entropy' op has no lowering to linalg: run fg-decompose-losses before convert-fg-to-linalg}}
  %0 = fg.cross_entropy %x, %l : tensor<2x5xf32>, tensor<2xi64> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @head(%x: tensor<2x3x4x2xf32>, %w: tensor<8x5xf32>, %b: tensor<5xf32>, %l: tensor<2xi64>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{'fg.local_xent' op has no lowering to linalg: run fg-decompose-losses before convert-fg-to-linalg}}
  %0 = fg.local_xent %x, %w, %b, %l : (tensor<2x3x4x2xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<2xi64>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
