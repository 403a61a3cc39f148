// RUN: fgc-opt %s -split-input-file -fg-strip-parameters -verify-diagnostics | FileCheck %s

// After fg-params-to-args the declarations are only a record: dropped.
// CHECK-NOT: fg.parameter
// CHECK: func.func @forward(%{{.*}}: tensor<2xf32>, %{{.*}}: tensor<2xf32> {fg.param = "w"})
fg.parameter @w = dense<0.5> : tensor<2xf32>
func.func @forward(%x: tensor<2xf32>, %w: tensor<2xf32> {fg.param = "w"}) -> tensor<2xf32> {
  %0 = fg.add %x, %w : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// expected-error @+1 {{parameter 'w' is still read by fg.param (run fg-params-to-args first)}}
fg.parameter @w = dense<0.5> : tensor<2xf32>
func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
  %w = fg.param @w : tensor<2xf32>
  %0 = fg.add %x, %w : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
