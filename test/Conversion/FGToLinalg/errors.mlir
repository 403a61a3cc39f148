// An op without a lowering is a compile error that names it.
// RUN: fgc-opt %s -convert-fg-to-linalg -verify-diagnostics

fg.parameter @w = dense<1.0> : tensor<2xf32>
func.func @unlowered() -> tensor<2xf32> {
  // Parameters must have become arguments (fg-params-to-args) first.
  // expected-error @+1 {{failed to legalize operation 'fg.param'}}
  %0 = fg.param @w : tensor<2xf32>
  return %0 : tensor<2xf32>
}
