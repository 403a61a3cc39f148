// Bad requests are errors that name the op or the option.
// RUN: fgc-opt %s -fg-jvp -split-input-file -verify-diagnostics
// RUN: not fgc-opt %s -fg-jvp="wrt=nope" -split-input-file 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not fgc-opt %s -fg-jvp="wrt=i" -split-input-file 2>&1 | FileCheck %s --check-prefix=INT
// RUN: not fgc-opt %s -fg-jvp="tangents=0" -split-input-file 2>&1 | FileCheck %s --check-prefix=K
// RUN: not fgc-opt %s -fg-jvp="function=missing" -split-input-file 2>&1 | FileCheck %s --check-prefix=FUNC
// NAME: error: fg-jvp: @forward has no input or parameter named 'nope' (inputs: x, i; parameters: none)
// INT: error: fg-jvp: cannot differentiate with respect to 'i': its type 'tensor<2xi64>' is not floating-point
// K: error: fg-jvp: tangents must be at least 1, got 0
// FUNC: error: fg-jvp: no function named 'missing' to differentiate

func.func @forward(%x: tensor<2xf32> {fg.name = "x"}, %i: tensor<2xi64> {fg.name = "i"}) -> tensor<2xf32> {
  // An op without a rule on an active value.
  // expected-error @+1 {{'arith.negf' op has no forward-mode derivative rule (JvpOpInterface); cannot differentiate through it}}
  %y = arith.negf %x : tensor<2xf32>
  return %y : tensor<2xf32>
}
