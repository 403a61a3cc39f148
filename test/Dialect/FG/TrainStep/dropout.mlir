// RUN: fgc-opt %s -fg-localize -fg-train-step="dropout=train" | FileCheck %s
// RUN: fgc-opt %s -fg-localize -fg-train-step | FileCheck %s --check-prefix=IDENTITY
// RUN: fgc-opt %s -fg-localize -fg-train-step="dropout=train tangents=3" | FileCheck %s --check-prefix=STACKED

// With dropout=train, @train_step multiplies by a Bernoulli(0.8) mask of
// its own normal stream (site 2^21 on): u < Phi^-1(0.8) = 0.8416, scaled
// by 1 / 0.8. The mask is drawn once; the tangent is multiplied by it too.
// @eval_step keeps fg.dropout, the identity.
// CHECK-LABEL: func.func @train_step(
// CHECK-NOT: fg.dropout
// CHECK: %[[A:.*]] = fg.relu
// CHECK: %[[U:.*]] = fg.random_normal %{{.*}}, %{{.*}} {site = 2097152 : i64} : (tensor<i64>, tensor<i64>) -> tensor<2x3xf32>
// CHECK: %[[Q:.*]] = fg.constant dense<0.841621{{[0-9]*}}> : tensor<f32>
// CHECK: %[[K:.*]] = fg.compare "lt", %[[U]], %[[Q]]
// CHECK: %[[S:.*]] = fg.constant dense<1.250000e+00> : tensor<f32>
// CHECK: %[[M:.*]] = fg.mul %[[K]], %[[S]]
// CHECK: %[[D:.*]] = fg.mul %[[A]], %[[M]]
// CHECK-NEXT: fg.mul %{{.*}}, %[[M]]
// CHECK-NOT: fg.random_normal {{.*}}site = 2097152
// CHECK: fg.gemm {{.*}}fg.readout
// CHECK-NOT: fg.random_normal {{.*}}site = 2097152
// CHECK-LABEL: func.func @eval_step(
// CHECK: fg.dropout %{{.*}} {ratio = 2.000000e-01 : f64}

// By default the step does not drop.
// IDENTITY-LABEL: func.func @train_step(
// IDENTITY-NOT: fg.dropout
// IDENTITY-NOT: site = 2097152
// IDENTITY-LABEL: func.func @eval_step(

// K tangents share the one mask: it is drawn without the [K] axis.
// STACKED-LABEL: func.func @train_step(
// STACKED: fg.random_normal %{{.*}}, %{{.*}} {site = 2097152 : i64} : (tensor<i64>, tensor<i64>) -> tensor<2x3xf32>
fg.parameter @fc1.weight = dense<0.5> : tensor<3x4xf32>
fg.parameter @fc1.bias = dense<0.0> : tensor<3xf32>
fg.parameter @fc3.weight = dense<0.1> : tensor<5x3xf32>
fg.parameter @fc3.bias = dense<0.0> : tensor<5xf32>
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> (tensor<2x5xf32> {fg.name = "logits"}) {
  %w1 = fg.param @fc1.weight : tensor<3x4xf32>
  %b1 = fg.param @fc1.bias : tensor<3xf32>
  %w3 = fg.param @fc3.weight : tensor<5x3xf32>
  %b3 = fg.param @fc3.bias : tensor<5xf32>
  %y1 = fg.gemm %x, %w1, %b1 {trans_b = true} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %a1 = fg.relu %y1 : tensor<2x3xf32>
  %d1 = fg.dropout %a1 {ratio = 0.2 : f64} : tensor<2x3xf32>
  %y3 = fg.gemm %d1, %w3, %b3 {trans_b = true} : (tensor<2x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<2x5xf32>
  return %y3 : tensor<2x5xf32>
}
