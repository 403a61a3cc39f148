// RUN: fgc-opt %s -fg-localize -fg-train-step | FileCheck %s
// RUN: fgc-opt %s -fg-localize="global=true" -fg-train-step="algo=fg-w" | FileCheck %s --check-prefix=FGW

// Batch normalisation trains with the batch's statistics: @train_step
// normalises with the mean and (population) variance over the batch and
// returns the running statistics updated with the op's momentum; they get
// no optimizer state and no direction. @eval_step keeps fg.batch_norm on
// the running statistics.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[MEAN:[a-z0-9]+]]: tensor<3xf32> {bufferization.writable = false, fg.param = "bn1.running_mean"}
// CHECK-SAME: %[[VAR:[a-z0-9]+]]: tensor<3xf32> {bufferization.writable = false, fg.param = "bn1.running_var"}
// CHECK-NOT: running_mean.momentum
// CHECK-SAME: fg.name = "bn1.weight.momentum"
// CHECK-NOT: fg.batch_norm
// CHECK: fg.random_normal
// CHECK: %[[Y:.*]] = fg.gemm
// CHECK: %[[M:.*]] = fg.reduce_mean %[[Y]] {axes = array<i64: 0>} : tensor<2x3xf32> -> tensor<1x3xf32>
// CHECK: %[[C:.*]] = fg.sub %[[Y]], %[[M]]
// CHECK: %[[SQ:.*]] = fg.mul %[[C]], %[[C]]
// CHECK: %[[V:.*]] = fg.reduce_mean %[[SQ]] {axes = array<i64: 0>}
// CHECK: fg.sqrt
// The running mean: 0.8 * old + 0.2 * batch.
// CHECK: %[[OLD:.*]] = fg.mul %[[MEAN]], %{{.*}}
// CHECK: %[[MV:.*]] = fg.reshape %[[M]] : tensor<1x3xf32> -> tensor<3xf32>
// CHECK: %[[NEW:.*]] = fg.mul %[[MV]], %{{.*}}
// CHECK: %[[UPD:.*]] = fg.add %[[OLD]], %[[NEW]]
// CHECK: fg.mul %[[VAR]],
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[UPD]],
// CHECK-LABEL: func.func @eval_step(
// CHECK: fg.batch_norm

// FG-W perturbs the scale and shift, not the running statistics.
// FGW-LABEL: func.func @train_step(
// FGW-COUNT-4: fg.random_normal
// FGW-NOT: fg.random_normal
// FGW: return
fg.parameter @fc1.weight = dense<0.5> : tensor<3x4xf32>
fg.parameter @fc1.bias = dense<0.0> : tensor<3xf32>
fg.parameter @bn1.weight = dense<1.0> : tensor<3xf32>
fg.parameter @bn1.bias = dense<0.0> : tensor<3xf32>
fg.parameter @bn1.running_mean = dense<0.0> : tensor<3xf32>
fg.parameter @bn1.running_var = dense<1.0> : tensor<3xf32>
fg.parameter @fc3.weight = dense<0.1> : tensor<5x3xf32>
fg.parameter @fc3.bias = dense<0.0> : tensor<5xf32>
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> (tensor<2x5xf32> {fg.name = "logits"}) {
  %w1 = fg.param @fc1.weight : tensor<3x4xf32>
  %b1 = fg.param @fc1.bias : tensor<3xf32>
  %s1 = fg.param @bn1.weight : tensor<3xf32>
  %t1 = fg.param @bn1.bias : tensor<3xf32>
  %m1 = fg.param @bn1.running_mean : tensor<3xf32>
  %v1 = fg.param @bn1.running_var : tensor<3xf32>
  %w3 = fg.param @fc3.weight : tensor<5x3xf32>
  %b3 = fg.param @fc3.bias : tensor<5xf32>
  %y1 = fg.gemm %x, %w1, %b1 {trans_b = true} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %n1 = fg.batch_norm %y1, %s1, %t1, %m1, %v1 {momentum = 8.0e-01 : f64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %a1 = fg.relu %n1 : tensor<2x3xf32>
  %y3 = fg.gemm %a1, %w3, %b3 {trans_b = true} : (tensor<2x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<2x5xf32>
  return %y3 : tensor<2x5xf32>
}
