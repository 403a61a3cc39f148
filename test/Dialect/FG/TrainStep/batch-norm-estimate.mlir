// RUN: fgc-opt %s -fg-localize="global=true" -fg-train-step="algo=fg-a" | FileCheck %s
// RUN: fgc-opt %s -fg-localize="blocks=relu2" -fg-train-step | FileCheck %s --check-prefix=LOCAL

// The first layer's loss is reached through the second layer's batch
// statistics, which mix the examples. The activity estimate still scores
// each example's direction with that example's loss (J [2] times u [2, 3]),
// as fg.batch_norm maps per example in inference form and as the
// spatial-loss estimate maps a position through a convolution: summing J
// over the batch would be unbiased but multiply the variance by the batch.
// CHECK-LABEL: func.func @train_step(
// CHECK: %[[U0:.*]] = fg.random_normal %{{.*}} {site = 0 : i64} : (tensor<i64>, tensor<i64>) -> tensor<2x3xf32>
// CHECK: fg.cross_entropy
// CHECK: fg.mul %{{.*}}, %[[U0]] : tensor<2x1xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK-NOT: fg.reduce_sum {{.*}} -> tensor<1x1xf32>
// CHECK: return

// The same for a local loss whose block holds both layers.
// LOCAL-LABEL: func.func @train_step(
// LOCAL: %[[U0:.*]] = fg.random_normal %{{.*}} {site = 0 : i64} : (tensor<i64>, tensor<i64>) -> tensor<2x3xf32>
// LOCAL: fg.local_xent
// LOCAL: fg.mul %{{.*}}, %[[U0]] : tensor<2x1xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
// LOCAL: return
fg.parameter @fc1.weight = dense<0.5> : tensor<3x4xf32>
fg.parameter @fc1.bias = dense<0.0> : tensor<3xf32>
fg.parameter @bn1.weight = dense<1.0> : tensor<3xf32>
fg.parameter @bn1.bias = dense<0.0> : tensor<3xf32>
fg.parameter @bn1.running_mean = dense<0.0> : tensor<3xf32>
fg.parameter @bn1.running_var = dense<1.0> : tensor<3xf32>
fg.parameter @fc2.weight = dense<0.3> : tensor<3x3xf32>
fg.parameter @fc2.bias = dense<0.0> : tensor<3xf32>
fg.parameter @bn2.weight = dense<1.0> : tensor<3xf32>
fg.parameter @bn2.bias = dense<0.0> : tensor<3xf32>
fg.parameter @bn2.running_mean = dense<0.0> : tensor<3xf32>
fg.parameter @bn2.running_var = dense<1.0> : tensor<3xf32>
fg.parameter @fc3.weight = dense<0.1> : tensor<5x3xf32>
fg.parameter @fc3.bias = dense<0.0> : tensor<5xf32>
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> (tensor<2x5xf32> {fg.name = "logits"}) {
  %w1 = fg.param @fc1.weight : tensor<3x4xf32>
  %b1 = fg.param @fc1.bias : tensor<3xf32>
  %s1 = fg.param @bn1.weight : tensor<3xf32>
  %t1 = fg.param @bn1.bias : tensor<3xf32>
  %m1 = fg.param @bn1.running_mean : tensor<3xf32>
  %v1 = fg.param @bn1.running_var : tensor<3xf32>
  %w2 = fg.param @fc2.weight : tensor<3x3xf32>
  %b2 = fg.param @fc2.bias : tensor<3xf32>
  %s2 = fg.param @bn2.weight : tensor<3xf32>
  %t2 = fg.param @bn2.bias : tensor<3xf32>
  %m2 = fg.param @bn2.running_mean : tensor<3xf32>
  %v2 = fg.param @bn2.running_var : tensor<3xf32>
  %w3 = fg.param @fc3.weight : tensor<5x3xf32>
  %b3 = fg.param @fc3.bias : tensor<5xf32>
  %y1 = fg.gemm %x, %w1, %b1 {trans_b = true} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %n1 = fg.batch_norm %y1, %s1, %t1, %m1, %v1 {momentum = 9.0e-01 : f64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %a1 = fg.relu %n1 : tensor<2x3xf32>
  %y2 = fg.gemm %a1, %w2, %b2 {trans_b = true} : (tensor<2x3xf32>, tensor<3x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %n2 = fg.batch_norm %y2, %s2, %t2, %m2, %v2 {momentum = 9.0e-01 : f64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %a2 = fg.relu %n2 : tensor<2x3xf32> loc("relu2")
  %y3 = fg.gemm %a2, %w3, %b3 {trans_b = true} : (tensor<2x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<2x5xf32>
  return %y3 : tensor<2x5xf32>
}
