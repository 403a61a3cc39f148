// RUN: fgc-opt %s -fg-localize="groups=4" -verify-diagnostics -split-input-file
// RUN: not fgc-opt %s -fg-localize="layout=NCX" 2>&1 | FileCheck %s --check-prefix=LAYOUT
// RUN: not fgc-opt %s -fg-localize="blocks=nowhere" 2>&1 | FileCheck %s --check-prefix=BLOCKS
// RUN: not fgc-opt %s -fg-localize="blocks=fc2" 2>&1 | FileCheck %s --check-prefix=CUT
// RUN: not fgc-opt %s -fg-localize="head-init=xavier" 2>&1 | FileCheck %s --check-prefix=INIT
// LAYOUT: error: --layout for block0: layout 'NCX' has 3 letters for a rank-2 value
// BLOCKS: error: --blocks: the model has no node named 'nowhere'
// CUT: error: --blocks: node 'fc2' does not cut the graph
// INIT: error: fg-localize: unknown head-init 'xavier' (kaiming, lecun or constant)

// A residual MLP: the second unit is inside the residual span, so both
// units form one block; 4 groups do not divide its 6 channels.
fg.parameter @fc1.weight = dense<0.5> : tensor<6x6xf32>
fg.parameter @fc2.weight = dense<0.5> : tensor<6x6xf32>
fg.parameter @fc3.weight = dense<0.5> : tensor<6x3xf32>
// expected-error @+1 {{--groups: 4 groups do not divide the 6 channels of block0}}
func.func @forward(%x: tensor<2x6xf32> {fg.name = "image"}) -> tensor<2x3xf32> {
  %w1 = fg.param @fc1.weight : tensor<6x6xf32>
  %w2 = fg.param @fc2.weight : tensor<6x6xf32>
  %w3 = fg.param @fc3.weight : tensor<6x3xf32>
  %0 = fg.matmul %x, %w1 : tensor<2x6xf32>, tensor<6x6xf32> -> tensor<2x6xf32>
  %1 = fg.relu %0 : tensor<2x6xf32>
  %2 = fg.matmul %1, %w2 : tensor<2x6xf32>, tensor<6x6xf32> -> tensor<2x6xf32> loc("fc2")
  %3 = fg.add %2, %1 : tensor<2x6xf32>, tensor<2x6xf32> -> tensor<2x6xf32>
  %4 = fg.relu %3 : tensor<2x6xf32>
  %5 = fg.matmul %4, %w3 : tensor<2x6xf32>, tensor<6x3xf32> -> tensor<2x3xf32>
  return %5 : tensor<2x3xf32>
}
