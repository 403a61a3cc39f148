// Bad requests are errors that name the op or the option.
// RUN: fgc-opt %s -fg-vjp -split-input-file -verify-diagnostics
// RUN: not fgc-opt %s -fg-vjp="wrt=nope" -split-input-file 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not fgc-opt %s -fg-vjp="wrt=i" -split-input-file 2>&1 | FileCheck %s --check-prefix=INT
// RUN: not fgc-opt %s -fg-vjp="function=missing" -split-input-file 2>&1 | FileCheck %s --check-prefix=FUNC
// NAME: error: fg-vjp: @forward has no input or parameter named 'nope' (inputs: x, i; parameters: none)
// INT: error: fg-vjp: cannot differentiate with respect to 'i': its type 'tensor<2xi64>' is not floating-point
// FUNC: error: fg-vjp: no function named 'missing' to differentiate

func.func @forward(%x: tensor<2xf32> {fg.name = "x"}, %i: tensor<2xi64> {fg.name = "i"}) -> tensor<2xf32> {
  // An op without a rule on an active path.
  // expected-error @+1 {{'arith.negf' op has no reverse-mode derivative rule (VjpOpInterface); cannot pull a gradient back through it}}
  %y = arith.negf %x : tensor<2xf32>
  return %y : tensor<2xf32>
}
