// RUN: fgc-opt %s -fg-decompose-losses -split-input-file | FileCheck %s
// RUN: fgc-opt %s -fg-decompose-losses -split-input-file -mlir-print-debuginfo | FileCheck %s --check-prefix=LOC

// The softmax cross-entropy per example: -sum_k onehot * log_softmax.
// CHECK-LABEL: func.func @cross_entropy
// CHECK-SAME: (%[[X:.*]]: tensor<2x5xf32>, %[[L:.*]]: tensor<2xi64>)
// CHECK-NEXT: %[[LSM:.*]] = fg.log_softmax %[[X]] {axis = 1 : i64} : tensor<2x5xf32>
// CHECK-NEXT: %[[HOT:.*]] = fg.one_hot %[[L]] : tensor<2xi64> -> tensor<2x5xf32>
// CHECK-NEXT: %[[MUL:.*]] = fg.mul %[[HOT]], %[[LSM]]
// CHECK-NEXT: %[[SUM:.*]] = fg.reduce_sum %[[MUL]] {axes = array<i64: 1>, keepdims = false} : tensor<2x5xf32> -> tensor<2xf32>
// CHECK-NEXT: %[[NEG:.*]] = fg.neg %[[SUM]] : tensor<2xf32>
// CHECK-NEXT: return %[[NEG]]
// The new ops keep the loss op's location.
// LOC-LABEL: func.func @cross_entropy
// LOC:      fg.log_softmax {{.*}} loc(#[[CE:loc[0-9]+]])
// LOC-NEXT: fg.one_hot {{.*}} loc(#[[CE]])
// LOC-NEXT: fg.mul {{.*}} loc(#[[CE]])
// LOC-NEXT: fg.reduce_sum {{.*}} loc(#[[CE]])
// LOC-NEXT: fg.neg {{.*}} loc(#[[CE]])
// LOC:      #[[CE]] = loc("ce")
func.func @cross_entropy(%logits: tensor<2x5xf32>, %l: tensor<2xi64>) -> tensor<2xf32> {
  %0 = fg.cross_entropy %logits, %l : tensor<2x5xf32>, tensor<2xi64> -> tensor<2xf32>  loc("ce")
  return %0 : tensor<2xf32>
}

// -----

// The fused head: one pooled head per example ([N, P, G, C/G] -> mean over
// P -> [N, C]), its cross-entropy, broadcast over the copies; no
// [N, P, G, C] copy of the features. Without `spatial` the copies are
// [N, 1, G].
// CHECK-LABEL: func.func @local_xent
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4x2xf32>, %[[W:.*]]: tensor<8x5xf32>, %[[B:.*]]: tensor<5xf32>, %[[L:.*]]: tensor<2xi64>)
// CHECK-NEXT: %[[MEAN:.*]] = fg.reduce_mean %[[X]] {axes = array<i64: 1>, keepdims = false} : tensor<2x3x4x2xf32> -> tensor<2x4x2xf32>
// CHECK-NEXT: %[[XBAR:.*]] = fg.reshape %[[MEAN]] : tensor<2x4x2xf32> -> tensor<2x8xf32>
// CHECK-NEXT: %[[MM:.*]] = fg.matmul %[[XBAR]], %[[W]] : tensor<2x8xf32>, tensor<8x5xf32> -> tensor<2x5xf32>
// CHECK-NEXT: %[[LOGITS:.*]] = fg.add %[[MM]], %[[B]]
// CHECK-NEXT: %[[LSM:.*]] = fg.log_softmax %[[LOGITS]] {axis = 1 : i64}
// CHECK-NEXT: %[[HOT:.*]] = fg.one_hot %[[L]]
// CHECK-NEXT: %[[MUL:.*]] = fg.mul %[[HOT]], %[[LSM]]
// CHECK-NEXT: %[[SUM:.*]] = fg.reduce_sum %[[MUL]] {axes = array<i64: 1>, keepdims = false}
// CHECK-NEXT: %[[CE:.*]] = fg.neg %[[SUM]] : tensor<2xf32>
// CHECK-NEXT: %[[COL:.*]] = fg.reshape %[[CE]] : tensor<2xf32> -> tensor<2x1x1xf32>
// CHECK-NEXT: %[[LOSS:.*]] = fg.broadcast_to %[[COL]] : tensor<2x1x1xf32> -> tensor<2x3x4xf32>
// CHECK:      fg.broadcast_to %{{.*}} : tensor<2x1x1xf32> -> tensor<2x1x4xf32>
// CHECK-NOT:  fg.local_xent
// CHECK-NOT:  fg.cross_entropy
// CHECK-NOT:  tensor<2x3x4x8xf32>
// CHECK:      return %[[LOSS]]
func.func @local_xent(%x: tensor<2x3x4x2xf32>, %w: tensor<8x5xf32>, %b: tensor<5xf32>, %l: tensor<2xi64>) -> (tensor<2x3x4xf32>, tensor<2x1x4xf32>) {
  %0 = fg.local_xent %x, %w, %b, %l : (tensor<2x3x4x2xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<2xi64>) -> tensor<2x3x4xf32>
  %1 = fg.local_xent %x, %w, %b, %l {spatial = false} : (tensor<2x3x4x2xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<2xi64>) -> tensor<2x1x4xf32>
  return %0, %1 : tensor<2x3x4xf32>, tensor<2x1x4xf32>
}

// -----

// Other ops, and their attributes (fg.block, fg.readout), are left alone.
// CHECK-LABEL: func.func @others
// CHECK-NEXT: fg.relu
// CHECK-NEXT: fg.log_softmax
// CHECK-NOT:  fg.cross_entropy
// CHECK:      return
func.func @others(%logits: tensor<2x5xf32>, %l: tensor<2xi64>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  %0 = fg.relu %logits {fg.readout} : tensor<2x5xf32>
  %1 = fg.cross_entropy %0, %l {fg.readout} : tensor<2x5xf32>, tensor<2xi64> -> tensor<2xf32>
  return %0, %1 : tensor<2x5xf32>, tensor<2xf32>
}
