// RUN: fgc-opt %s -split-input-file -fg-init-params="scheme=kaiming" -verify-diagnostics | FileCheck %s

// Weights of linear ops (not the readout, the last one @forward reads) are
// drawn; biases, other parameters and the readout's weight become zero.
// CHECK-LABEL: fg.parameter @w1 = dense<[
// CHECK: fg.parameter @b1 = dense<0.000000e+00> : tensor<3xf32>
// CHECK: fg.parameter @gain = dense<0.000000e+00> : tensor<3xf32>
// CHECK: fg.parameter @w2 = dense<0.000000e+00> : tensor<3x2xf32>
fg.parameter @w1 = dense<0.5> : tensor<4x3xf32>
fg.parameter @b1 = dense<0.5> : tensor<3xf32>
fg.parameter @gain = dense<0.5> : tensor<3xf32>
fg.parameter @w2 = dense<0.5> : tensor<3x2xf32>
func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w1 = fg.param @w1 : tensor<4x3xf32>
  %b1 = fg.param @b1 : tensor<3xf32>
  %g = fg.param @gain : tensor<3xf32>
  %w2 = fg.param @w2 : tensor<3x2xf32>
  %0 = fg.matmul %x, %w1 : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = fg.add %0, %b1 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %2 = fg.mul %1, %g : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %3 = fg.matmul %2, %w2 : tensor<2x3xf32>, tensor<3x2xf32> -> tensor<2x2xf32>
  return %3 : tensor<2x2xf32>
}

// -----

// A batch normalisation starts as the identity normalisation: scale and
// running variance one, shift and running mean zero.
// CHECK-LABEL: fg.parameter @s = dense<1.000000e+00> : tensor<3xf32>
// CHECK: fg.parameter @t = dense<0.000000e+00> : tensor<3xf32>
// CHECK: fg.parameter @m = dense<0.000000e+00> : tensor<3xf32>
// CHECK: fg.parameter @v = dense<1.000000e+00> : tensor<3xf32>
fg.parameter @s = dense<0.5> : tensor<3xf32>
fg.parameter @t = dense<0.5> : tensor<3xf32>
fg.parameter @m = dense<0.5> : tensor<3xf32>
fg.parameter @v = dense<0.5> : tensor<3xf32>
func.func @forward(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %s = fg.param @s : tensor<3xf32>
  %t = fg.param @t : tensor<3xf32>
  %m = fg.param @m : tensor<3xf32>
  %v = fg.param @v : tensor<3xf32>
  %0 = fg.batch_norm %x, %s, %t, %m, %v : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{--init: parameter 'steps' is not floating-point}}
fg.parameter @steps = dense<3> : tensor<2xi64>
func.func @forward(%x: tensor<2xi64>) -> tensor<2xi64> {
  return %x : tensor<2xi64>
}
