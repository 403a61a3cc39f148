// RUN: fgc-opt %s -split-input-file -fg-localize | FileCheck %s
// RUN: fgc-opt %s -split-input-file -fg-localize="global=true" | FileCheck %s --check-prefix=GLOBAL
// RUN: fgc-opt %s -split-input-file -fg-localize="modular-loss=false spatial-loss=false head-norm=false" | FileCheck %s --check-prefix=ABLATE

// An MLP: each linear -> activation unit is a block; the last layer, whose
// output is the result, is the readout.
// CHECK: fg.parameter @head.0.weight = dense<{{.*}}> : tensor<3x5xf32>
// CHECK: fg.parameter @head.0.bias = dense<0.000000e+00> : tensor<5xf32>
// CHECK: fg.parameter @head.1.weight
// CHECK-LABEL: func.func @forward(
// CHECK-NOT: fg.perturb
// CHECK-LABEL: func.func @local_losses(
// CHECK-SAME: %[[X:.*]]: tensor<2x4xf32> {fg.name = "image"}, %[[L:.*]]: tensor<2xi64> {fg.name = "labels"})
// CHECK-SAME: -> (tensor<2x1x1xf32> {fg.name = "loss.block0"}, tensor<2x1x1xf32> {fg.name = "loss.block1"}, tensor<2xf32> {fg.name = "loss.readout"}, tensor<2x5xf32> {fg.name = "logits"})
// CHECK-SAME: fg.blocks = ["block0:NC:G1", "block1:NC:G1"], fg.local = true
// Perturbation point before the activation; the block output feeds its
// head (rearranged to [N, P, G, C/G], normalised) and, behind a cut, the
// next block.
// CHECK: %[[Y0:.*]] = fg.gemm %[[X]]
// CHECK: %[[Z0:.*]] = fg.perturb %[[Y0]] {site = 0 : i64}
// CHECK: %[[A0:.*]] = fg.relu %[[Z0]]
// CHECK: %[[H0:.*]] = fg.reshape %[[A0]] : tensor<2x3xf32> -> tensor<2x1x1x3xf32>
// CHECK: %[[N0:.*]] = fg.layer_norm %[[H0]] {axis = 3 : i64}
// CHECK: %[[LOSS0:.*]] = fg.local_xent %[[N0]], %{{.*}}, %{{.*}}, %[[L]] {fg.block = 0 : i64}
// CHECK: %[[CUT:.*]] = fg.stop_gradient %[[A0]]
// CHECK: fg.gemm %[[CUT]]
// CHECK: fg.perturb %{{.*}} {site = 1 : i64}
// CHECK: %[[LOSS1:.*]] = fg.local_xent {{.*}} {fg.block = 1 : i64}
// The readout reads its input through a stop-gradient.
// CHECK: %[[R:.*]] = fg.stop_gradient
// CHECK: %[[LOGITS:.*]] = fg.gemm %[[R]], {{.*}} {fg.readout
// CHECK: %[[CE:.*]] = fg.cross_entropy %[[LOGITS]], %[[L]] {fg.readout}
// CHECK: return %[[LOSS0]], %[[LOSS1]], %[[CE]], %[[LOGITS]]

// GLOBAL-NOT: fg.parameter @head
// GLOBAL-LABEL: func.func @local_losses(
// GLOBAL-SAME: -> (tensor<2xf32> {fg.name = "loss.readout"}, tensor<2x5xf32> {fg.name = "logits"})
// GLOBAL-SAME: fg.local = false
// GLOBAL-NOT: fg.stop_gradient
// GLOBAL-NOT: fg.local_xent
// GLOBAL: fg.perturb {{.*}} {site = 0 : i64}
// GLOBAL: fg.perturb {{.*}} {site = 1 : i64}
// GLOBAL: fg.cross_entropy

// Without modular losses only the last block keeps its head, with no cuts.
// ABLATE-NOT: fg.parameter @head.0
// ABLATE: fg.parameter @head.1.weight
// ABLATE-LABEL: func.func @local_losses(
// ABLATE-SAME: -> (tensor<2x1x1xf32> {fg.name = "loss.block1"}
// ABLATE-NOT: fg.layer_norm
// ABLATE: fg.local_xent {{.*}} {fg.block = 1 : i64, spatial = false}
fg.parameter @fc1.weight = dense<0.5> : tensor<3x4xf32>
fg.parameter @fc1.bias = dense<0.0> : tensor<3xf32>
fg.parameter @fc2.weight = dense<0.25> : tensor<3x3xf32>
fg.parameter @fc2.bias = dense<0.0> : tensor<3xf32>
fg.parameter @fc3.weight = dense<0.1> : tensor<5x3xf32>
fg.parameter @fc3.bias = dense<0.0> : tensor<5xf32>
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> (tensor<2x5xf32> {fg.name = "logits"}) {
  %w1 = fg.param @fc1.weight : tensor<3x4xf32>
  %b1 = fg.param @fc1.bias : tensor<3xf32>
  %w2 = fg.param @fc2.weight : tensor<3x3xf32>
  %b2 = fg.param @fc2.bias : tensor<3xf32>
  %w3 = fg.param @fc3.weight : tensor<5x3xf32>
  %b3 = fg.param @fc3.bias : tensor<5xf32>
  %y1 = fg.gemm %x, %w1, %b1 {trans_b = true} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %a1 = fg.relu %y1 : tensor<2x3xf32>
  %y2 = fg.gemm %a1, %w2, %b2 {trans_b = true} : (tensor<2x3xf32>, tensor<3x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %a2 = fg.relu %y2 : tensor<2x3xf32>
  %y3 = fg.gemm %a2, %w3, %b3 {trans_b = true} : (tensor<2x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<2x5xf32>
  return %y3 : tensor<2x5xf32>
}

// -----

// Tokens and channel groups: a dense layer feeding a grouped one is one
// block (layout NPGC, G from the grouped weight), with the perturbation
// points after each post-linear norm.
// CHECK-LABEL: func.func @local_losses(
// CHECK-SAME: -> (tensor<2x3x2xf32> {fg.name = "loss.block0"}
// CHECK-SAME: fg.blocks = ["block0:NPGC:G2"]
// CHECK: fg.matmul
// CHECK: fg.add
// CHECK: %[[N:.*]] = fg.layer_norm
// CHECK-NEXT: fg.perturb %[[N]] {site = 0 : i64} : tensor<2x3x4xf32>
// CHECK: fg.matmul {{.*}} : tensor<2x6x2xf32>, tensor<2x2x2xf32>
// CHECK: fg.perturb {{.*}} {site = 1 : i64} : tensor<2x3x2x2xf32>
// CHECK: fg.local_xent {{.*}} : (tensor<2x3x2x2xf32>, tensor<4x7xf32>, tensor<7xf32>, tensor<2xi64>) -> tensor<2x3x2xf32>
// ABLATE-LABEL: func.func @local_losses(
// ABLATE-SAME: -> (tensor<2x1x2xf32> {fg.name = "loss.block0"}
fg.parameter @d.weight = dense<0.5> : tensor<5x4xf32>
fg.parameter @d.bias = dense<0.0> : tensor<4xf32>
fg.parameter @g.weight = dense<0.5> : tensor<2x2x2xf32>
fg.parameter @g.bias = dense<0.0> : tensor<2x2xf32>
fg.parameter @c.weight = dense<0.0> : tensor<4x7xf32>
fg.parameter @c.bias = dense<0.0> : tensor<7xf32>
func.func @forward(%x: tensor<2x3x5xf32> {fg.name = "tokens"}) -> tensor<2x7xf32> {
  %wd = fg.param @d.weight : tensor<5x4xf32>
  %bd = fg.param @d.bias : tensor<4xf32>
  %wg = fg.param @g.weight : tensor<2x2x2xf32>
  %bg = fg.param @g.bias : tensor<2x2xf32>
  %wc = fg.param @c.weight : tensor<4x7xf32>
  %bc = fg.param @c.bias : tensor<7xf32>
  %0 = fg.matmul %x, %wd : tensor<2x3x5xf32>, tensor<5x4xf32> -> tensor<2x3x4xf32>
  %1 = fg.add %0, %bd : tensor<2x3x4xf32>, tensor<4xf32> -> tensor<2x3x4xf32>
  %2 = fg.layer_norm %1 {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %3 = fg.relu %2 : tensor<2x3x4xf32>
  %4 = fg.reshape %3 : tensor<2x3x4xf32> -> tensor<2x3x2x2xf32>
  %5 = fg.transpose %4 {perm = array<i64: 2, 0, 1, 3>} : tensor<2x3x2x2xf32> -> tensor<2x2x3x2xf32>
  %6 = fg.reshape %5 : tensor<2x2x3x2xf32> -> tensor<2x6x2xf32>
  %7 = fg.matmul %6, %wg : tensor<2x6x2xf32>, tensor<2x2x2xf32> -> tensor<2x6x2xf32>
  %8 = fg.reshape %7 : tensor<2x6x2xf32> -> tensor<2x2x3x2xf32>
  %9 = fg.transpose %8 {perm = array<i64: 1, 2, 0, 3>} : tensor<2x2x3x2xf32> -> tensor<2x3x2x2xf32>
  %10 = fg.add %9, %bg : tensor<2x3x2x2xf32>, tensor<2x2xf32> -> tensor<2x3x2x2xf32>
  %11 = fg.layer_norm %10 {axis = 3 : i64} : (tensor<2x3x2x2xf32>) -> tensor<2x3x2x2xf32>
  %12 = fg.relu %11 : tensor<2x3x2x2xf32>
  %13 = fg.reshape %12 : tensor<2x3x2x2xf32> -> tensor<2x3x4xf32>
  %14 = fg.reduce_mean %13 {axes = array<i64: 1>, keepdims = false} : tensor<2x3x4xf32> -> tensor<2x4xf32>
  %15 = fg.matmul %14, %wc : tensor<2x4xf32>, tensor<4x7xf32> -> tensor<2x7xf32>
  %16 = fg.add %15, %bc : tensor<2x7xf32>, tensor<7xf32> -> tensor<2x7xf32>
  return %16 : tensor<2x7xf32>
}
