// Each JVP rule's IR on small examples.
// RUN: fgc-opt %s -fg-jvp -split-input-file | FileCheck %s

// The derivative function: arguments, then tangents; results, then their
// tangents, named after them.
// CHECK-LABEL: func.func @forward_jvp(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32> {fg.name = "x"}, %[[Y:.*]]: tensor<4xf32> {fg.name = "y"},
// CHECK-SAME: %[[DX:.*]]: tensor<4xf32> {fg.name = "x.tangent", fg.tangent_of = "x"}, %[[DY:.*]]: tensor<4xf32> {fg.name = "y.tangent", fg.tangent_of = "y"})
// CHECK-SAME: -> (tensor<4xf32> {fg.name = "z"}, tensor<4xf32> {fg.name = "z.tangent"})
// mul: dx * y + x * dy
// CHECK: %[[Z:.*]] = fg.mul %[[X]], %[[Y]]
// CHECK: %[[A:.*]] = fg.mul %[[DX]], %[[Y]]
// CHECK: %[[B:.*]] = fg.mul %[[X]], %[[DY]]
// CHECK: %[[T:.*]] = fg.add %[[A]], %[[B]]
// CHECK: return %[[Z]], %[[T]]
func.func @forward(%x: tensor<4xf32> {fg.name = "x"}, %y: tensor<4xf32> {fg.name = "y"}) -> (tensor<4xf32> {fg.name = "z"}) {
  %z = fg.mul %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

// exp reuses the primal result; relu multiplies by the mask x > 0.
// CHECK-LABEL: func.func @forward_jvp(
// CHECK: %[[E:.*]] = fg.exp %[[X:.*]] :
// CHECK: fg.mul %{{.*}}, %[[E]]
// CHECK: %[[R:.*]] = fg.relu %[[E]]
// CHECK: %[[M:.*]] = fg.compare "gt", %[[E]], %{{.*}}
// CHECK: fg.mul %{{.*}}, %[[M]]
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = fg.exp %x : tensor<4xf32>
  %r = fg.relu %e : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Softmax: y * (dx - sum(y * dx)).
// CHECK-LABEL: func.func @forward_jvp(
// CHECK: %[[Y:.*]] = fg.softmax
// CHECK: %[[P:.*]] = fg.mul %[[Y]], %{{.*}}
// CHECK: %[[S:.*]] = fg.reduce_sum %[[P]] {axes = array<i64: 1>} : tensor<2x5xf32> -> tensor<2x1xf32>
// CHECK: %[[C:.*]] = fg.sub %{{.*}}, %[[S]]
// CHECK: fg.mul %[[Y]], %[[C]]
func.func @forward(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %y = fg.softmax %x {axis = 1} : tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// Parameter-free layer norm: (c - xhat mean(xhat dx)) / sigma with
// c = dx - mean(dx) (mean(xhat c) = mean(xhat dx) as mean(xhat) = 0: both
// means read dx alone, in one pass once fused).
// CHECK-LABEL: func.func @forward_jvp(
// CHECK-SAME: %{{.*}}: tensor<2x8xf32>, %[[DX:.*]]: tensor<2x8xf32>
// CHECK: fg.layer_norm
// CHECK: fg.moments
// CHECK: %[[SIGMA:.*]] = fg.sqrt
// CHECK: %[[XHAT:.*]] = fg.div
// CHECK: %[[M1:.*]] = fg.reduce_mean %[[DX]] {axes = array<i64: 1>}
// CHECK: %[[XDX:.*]] = fg.mul %[[XHAT]], %[[DX]]
// CHECK: %[[M2:.*]] = fg.reduce_mean %[[XDX]] {axes = array<i64: 1>}
// CHECK: %[[C:.*]] = fg.sub %[[DX]], %[[M1]]
// CHECK: %[[P:.*]] = fg.mul %[[XHAT]], %[[M2]]
// CHECK: %[[D:.*]] = fg.sub %[[C]], %[[P]]
// CHECK: fg.div %[[D]], %[[SIGMA]]
func.func @forward(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = fg.layer_norm %x {axis = 1} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// A broadcast operand's tangent is broadcast to the result's tangent type.
// CHECK-LABEL: func.func @forward_jvp(
// CHECK-SAME: %{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<3xf32>, %{{.*}}: tensor<2x3xf32> {{.*}}, %[[DB:.*]]: tensor<3xf32>
// CHECK: %[[S:.*]] = fg.sub %{{.*}}, %[[DB]] : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
// CHECK: return %{{.*}}, %[[S]]
func.func @forward(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %y = fg.sub %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Data movement: the same op on the tangent.
// CHECK-LABEL: func.func @forward_jvp(
// CHECK: fg.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK: fg.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK: fg.reshape %{{.*}} : tensor<3x2xf32> -> tensor<6xf32>
// CHECK: fg.reshape %{{.*}} : tensor<3x2xf32> -> tensor<6xf32>
func.func @forward(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %t = fg.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  %r = fg.reshape %t : tensor<3x2xf32> -> tensor<6xf32>
  return %r : tensor<6xf32>
}

// -----

// Max pooling: the tangent at each window's argmax.
// CHECK-LABEL: func.func @forward_jvp(
// CHECK: %[[P:.*]] = fg.max_pool %[[X:[^ ]*]]
// CHECK: fg.max_pool_jvp %[[X]], %{{.*}} {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>
func.func @forward(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %y = fg.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  return %y : tensor<1x1x2x2xf32>
}

// -----

// Dropout is the identity outside a training step: so is its tangent.
// CHECK-LABEL: func.func @forward_jvp(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>, %[[DX:.*]]: tensor<4xf32>
// CHECK: %[[D:.*]] = fg.dropout %[[X]]
// CHECK: return %[[D]], %[[DX]]
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %d = fg.dropout %x {ratio = 0.5 : f64} : tensor<4xf32>
  return %d : tensor<4xf32>
}
