// RUN: fgc-opt %s -fg-localize -fg-train-step | FileCheck %s
// RUN: fgc-opt %s -fg-localize -fg-train-step="algo=lg-fg-w tangents=4 optimizer=adamw weight-decay=0.1" | FileCheck %s --check-prefix=FGW
// RUN: fgc-opt %s -fg-localize="global=true" -fg-train-step="algo=readout" | FileCheck %s --check-prefix=READOUT
// RUN: fgc-opt %s -fg-localize -fg-train-step="explicit-tangents=true tangents=3" | FileCheck %s --check-prefix=EXPLICIT
// RUN: fgc-opt %s -fg-localize -fg-train-step="schedule=warmup-cosine" | FileCheck %s --check-prefix=COSINE

// lg-fg-a: parameters (model, then heads), one momentum per trained
// parameter, the data, step, seed and lr; updated parameters, momenta and
// the metrics come back.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: {bufferization.writable = false, fg.param = "fc1.weight"}
// CHECK-SAME: {bufferization.writable = false, fg.param = "head.1.bias"}
// CHECK-SAME: fg.name = "fc1.weight.momentum"
// CHECK-SAME: %[[STEP:[a-z0-9]+]]: tensor<i64> {bufferization.writable = false, fg.name = "step"}, %[[SEED:[a-z0-9]+]]: tensor<i64> {bufferization.writable = false, fg.name = "seed"}, %[[LR:[a-z0-9]+]]: tensor<f32> {bufferization.writable = false, fg.name = "lr"})
// CHECK-SAME: tensor<f32> {fg.name = "loss.block0"}, tensor<f32> {fg.name = "loss.block1"}, tensor<f32> {fg.name = "loss.readout"}, tensor<f32> {fg.name = "correct"})
// CHECK-SAME: fg.algo = "lg-fg-a", fg.tangents = 1
// Activity perturbation draws one direction per perturbation point, per
// example, and none for any weight: weights have symbolic zero tangents.
// CHECK: fg.random_normal %[[SEED]], %[[STEP]] {site = 0 : i64} : (tensor<i64>, tensor<i64>) -> tensor<2x3xf32>
// CHECK-NEXT: fg.random_normal %[[SEED]], %[[STEP]] {site = 1 : i64} : (tensor<i64>, tensor<i64>) -> tensor<2x3xf32>
// CHECK-NOT: fg.random_normal
// CHECK: fg.local_xent
// The estimate J u (ReLU mask) becomes x^T g for the first layer.
// CHECK: fg.compare "gt"
// CHECK: fg.transpose
// CHECK: fg.matmul {{.*}} : tensor<4x2xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
// CHECK: fg.transpose {{.*}} : tensor<4x3xf32> -> tensor<3x4xf32>
// SGD with momentum: m' = 0.9 m + g; w' = w - lr m'.
// CHECK: fg.sub %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<3x4xf32>
// CHECK: fg.argmax
// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME: -> (tensor<2xf32> {fg.name = "loss"}, tensor<2xf32> {fg.name = "correct"})
// CHECK-LABEL: func.func @learning_rate(
// CHECK-SAME: attributes {fg.schedule = "linear"}
// CHECK: arith.divf

// lg-fg-w with K = 4: one direction per backbone parameter, shared by the
// batch, [K, ...]; none for the heads or the readout. Adam state twice.
// FGW-LABEL: func.func @train_step(
// FGW-SAME: fg.name = "fc1.weight.adam_m"
// FGW-SAME: fg.name = "fc1.weight.adam_v"
// FGW: fg.random_normal {{.*}} {site = 1048576 : i64} : (tensor<i64>, tensor<i64>) -> tensor<4x3x4xf32>
// FGW: fg.random_normal {{.*}} {site = 1048577 : i64} : (tensor<i64>, tensor<i64>) -> tensor<4x3xf32>
// FGW: fg.random_normal {{.*}} {site = 1048578 : i64} : (tensor<i64>, tensor<i64>) -> tensor<4x3x3xf32>
// FGW: fg.random_normal {{.*}} {site = 1048579 : i64} : (tensor<i64>, tensor<i64>) -> tensor<4x3xf32>
// FGW-NOT: fg.random_normal
// FGW: fg.pow

// readout: no directions at all; the backbone is returned as it came.
// READOUT-LABEL: func.func @train_step(
// READOUT-SAME: %[[W1:arg0]]: tensor<3x4xf32> {bufferization.writable = false, fg.param = "fc1.weight"}
// READOUT-NOT: fg.random_normal
// READOUT: return %[[W1]],

// Explicit tangents are arguments named after the layers.
// EXPLICIT-LABEL: func.func @train_step(
// EXPLICIT-SAME: tensor<3x2x3xf32> {bufferization.writable = false, fg.name = "fc1.z.tangent"}, %{{.*}}: tensor<3x2x3xf32> {bufferization.writable = false, fg.name = "fc2.z.tangent"})
// EXPLICIT-NOT: fg.random_normal

// COSINE-LABEL: func.func @learning_rate(
// COSINE: math.cos
// COSINE: arith.select
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
