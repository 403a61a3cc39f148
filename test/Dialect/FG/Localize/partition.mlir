// RUN: fgc-opt %s -split-input-file -fg-localize | FileCheck %s
// RUN: fgc-opt %s -split-input-file -fg-localize="blocks=stages" | FileCheck %s --check-prefix=STAGES

// Blocks end where the graph is cut. A residual unit (conv, relu, conv, add
// of the skip, relu) is one block: the relu inside it cuts nothing, the
// relu after the merge does. The depthwise convolution's 4 groups do not
// make local-loss groups. The classifier is a conv + relu + global pooling
// + flatten. Stages merge units of one spatial size.
// CHECK-LABEL: func.func @local_losses(
// CHECK-SAME: fg.blocks = ["block0:NCHW:G1", "block1:NCHW:G1", "block2:NCHW:G1"]
// CHECK: fg.perturb {{.*}} {site = 0 : i64}
// CHECK: fg.local_xent {{.*}} {fg.block = 0 : i64}
// CHECK: fg.perturb {{.*}} {site = 1 : i64}
// CHECK: fg.perturb {{.*}} {site = 2 : i64}
// CHECK: fg.local_xent {{.*}} {fg.block = 1 : i64}
// CHECK: fg.perturb {{.*}} {site = 3 : i64}
// CHECK: fg.local_xent {{.*}} {fg.block = 2 : i64}
// CHECK: fg.stop_gradient
// CHECK-NEXT: fg.conv {{.*}}fg.readout
// CHECK-NOT: fg.perturb
// CHECK: fg.cross_entropy
// STAGES: fg.blocks = ["block0:NCHW:G1", "block1:NCHW:G1"]
fg.parameter @stem.weight = dense<0.1> : tensor<4x1x3x3xf32>
fg.parameter @c1.weight = dense<0.1> : tensor<4x4x3x3xf32>
fg.parameter @c2.weight = dense<0.1> : tensor<4x4x3x3xf32>
fg.parameter @dw.weight = dense<0.1> : tensor<4x1x3x3xf32>
fg.parameter @classifier.weight = dense<0.1> : tensor<3x4x1x1xf32>
func.func @forward(%x: tensor<2x1x6x6xf32> {fg.name = "image"}) -> tensor<2x3xf32> {
  %ws = fg.param @stem.weight : tensor<4x1x3x3xf32>
  %w1 = fg.param @c1.weight : tensor<4x4x3x3xf32>
  %w2 = fg.param @c2.weight : tensor<4x4x3x3xf32>
  %wd = fg.param @dw.weight : tensor<4x1x3x3xf32>
  %wc = fg.param @classifier.weight : tensor<3x4x1x1xf32>
  %s = fg.conv %x, %ws {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<2x1x6x6xf32>, tensor<4x1x3x3xf32>) -> tensor<2x4x6x6xf32> loc("stem")
  %a = fg.relu %s : tensor<2x4x6x6xf32>
  %c1 = fg.conv %a, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<2x4x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x6x6xf32>
  %r1 = fg.relu %c1 : tensor<2x4x6x6xf32>
  %c2 = fg.conv %r1, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<2x4x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x6x6xf32>
  %sum = fg.add %c2, %a : tensor<2x4x6x6xf32>, tensor<2x4x6x6xf32> -> tensor<2x4x6x6xf32>
  %r2 = fg.relu %sum : tensor<2x4x6x6xf32>
  %d = fg.conv %r2, %wd {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 4} : (tensor<2x4x6x6xf32>, tensor<4x1x3x3xf32>) -> tensor<2x4x3x3xf32>
  %rd = fg.relu %d : tensor<2x4x3x3xf32>
  %c = fg.conv %rd, %wc {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<2x4x3x3xf32>, tensor<3x4x1x1xf32>) -> tensor<2x3x3x3xf32> loc("classifier")
  %rc = fg.relu %c : tensor<2x3x3x3xf32>
  %p = fg.reduce_mean %rc {axes = array<i64: 2, 3>} : tensor<2x3x3x3xf32> -> tensor<2x3x1x1xf32>
  %y = fg.reshape %p : tensor<2x3x1x1xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// An exported `x @ W.T` reads its weight through a transpose: still a
// layer. A softmax the model ends with is left to the loss: the readout's
// cross-entropy reads the logits before it. A rank-5 block output gets its
// layout from the input's batch axis and the layer's channel axis.
// CHECK-LABEL: func.func @local_losses(
// CHECK-SAME: fg.blocks = ["block0:NPQRC:G1"]
// CHECK: %[[W:.*]] = fg.transpose
// CHECK: fg.matmul %{{.*}}, %[[W]]
// CHECK: fg.perturb {{.*}} {site = 0 : i64}
// CHECK: %[[LOGITS:.*]] = fg.matmul {{.*}}fg.readout
// CHECK: fg.cross_entropy %[[LOGITS]]
fg.parameter @w = dense<0.5> : tensor<6x4xf32>
fg.parameter @c = dense<0.5> : tensor<6x3xf32>
func.func @forward(%x: tensor<2x1x1x1x4xf32> {fg.name = "image"}) -> tensor<2x3xf32> {
  %w = fg.param @w : tensor<6x4xf32>
  %c = fg.param @c : tensor<6x3xf32>
  %wt = fg.transpose %w {perm = array<i64: 1, 0>} : tensor<6x4xf32> -> tensor<4x6xf32>
  %0 = fg.matmul %x, %wt : tensor<2x1x1x1x4xf32>, tensor<4x6xf32> -> tensor<2x1x1x1x6xf32> loc("first")
  %1 = fg.relu %0 : tensor<2x1x1x1x6xf32>
  %2 = fg.reshape %1 : tensor<2x1x1x1x6xf32> -> tensor<2x6xf32>
  %3 = fg.matmul %2, %c : tensor<2x6xf32>, tensor<6x3xf32> -> tensor<2x3xf32>
  %4 = fg.softmax %3 {axis = 1 : i64} : tensor<2x3xf32>
  return %4 : tensor<2x3xf32>
}

// -----

// A unit ends after its activation even when the activation reads the
// layer's output twice (SiLU as x * sigmoid(x)): the end moves on to the
// next cut while only pointwise ops lie between.
// CHECK-LABEL: func.func @local_losses(
// CHECK: %[[Z:.*]] = fg.perturb {{.*}} {site = 0 : i64}
// CHECK: %[[S:.*]] = fg.sigmoid %[[Z]]
// CHECK: %[[A:.*]] = fg.mul %[[Z]], %[[S]]
// CHECK: fg.reshape %[[A]]
// CHECK: fg.local_xent {{.*}} {fg.block = 0 : i64}
// CHECK: fg.stop_gradient %[[A]]
fg.parameter @fc1.weight = dense<0.1> : tensor<4x5xf32>
fg.parameter @fc2.weight = dense<0.1> : tensor<5x3xf32>
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> tensor<2x3xf32> {
  %w1 = fg.param @fc1.weight : tensor<4x5xf32>
  %w2 = fg.param @fc2.weight : tensor<5x3xf32>
  %0 = fg.matmul %x, %w1 : tensor<2x4xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  %1 = fg.sigmoid %0 : tensor<2x5xf32>
  %2 = fg.mul %0, %1 : tensor<2x5xf32>, tensor<2x5xf32> -> tensor<2x5xf32>
  %3 = fg.matmul %2, %w2 : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}
