// Every verifier error of the fg dialect.
// RUN: fgc-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{element type must be f32, f64 or i64, got 'i32'}}
fg.parameter @p = dense<1> : tensor<2xi32>

// -----

func.func @param_missing() -> tensor<2xf32> {
  // expected-error @+1 {{'nope' does not name an fg.parameter}}
  %0 = fg.param @nope : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

fg.parameter @p = dense<1.0> : tensor<2xf32>
func.func @param_type() -> tensor<3xf32> {
  // expected-error @+1 {{type 'tensor<3xf32>' does not match parameter type 'tensor<2xf32>'}}
  %0 = fg.param @p : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @constant_type() {
  // expected-error @+1 {{value type 'tensor<2xi64>' does not match result type 'tensor<3xi64>'}}
  %0 = "fg.constant"() {value = dense<1> : tensor<2xi64>} : () -> tensor<3xi64>
  return
}

// -----

func.func @dynamic(%a: tensor<?x3xf32>) {
  // expected-error @+1 {{must be statically shaped tensor}}
  %0 = fg.relu %a : tensor<?x3xf32>
  return
}

// -----

func.func @broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes [2x3] and [4] are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.add %a, %b : tensor<2x3xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.mul %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @element_types(%a: tensor<2xf32>, %b: tensor<2xf64>) {
  // expected-error @+1 {{all of {lhs, rhs, result} have same element type}}
  %0 = fg.sub %a, %b : tensor<2xf32>, tensor<2xf64> -> tensor<2xf32>
  return
}

// -----

func.func @float_only(%a: tensor<2xi64>) {
  // expected-error @+1 {{must be statically shaped tensor of 32-bit float or 64-bit float values}}
  %0 = fg.exp %a : tensor<2xi64>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contracting dimensions differ: lhs [2x3] and rhs [4x5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x2x3xf32>, %b: tensor<3x3x5xf32>) {
  // expected-error @+2 {{batch dimensions of [2x2x3] and [3x3x5] are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.matmul %a, %b : tensor<2x2x3xf32>, tensor<3x3x5xf32> -> tensor<2x2x5xf32>
  return
}

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{operands must have rank >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.matmul %a, %b : tensor<f32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{A and B must be matrices, got [2x3x4] and [4x5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.gemm %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{inner dimensions differ: op(A) is 2x3, op(B) is 4x5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.gemm %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_c(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>, %c: tensor<4xf32>) {
  // expected-error @+2 {{C of shape [4] is not broadcastable to [2x5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.gemm %a, %b, %c : (tensor<2x3xf32>, tensor<3x5xf32>, tensor<4xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<2x4xf32>, %w: tensor<6x4xf32>) {
  // expected-error @+2 {{input must be [N, C, D1..Dn] with n in 1..3, got [2x4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.conv %x, %w {strides = array<i64>, pads = array<i64>, dilations = array<i64>} : (tensor<2x4xf32>, tensor<6x4xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @conv_weight_rank(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{weight rank 4 differs from input rank 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<2x4x8xf32>, tensor<6x4x3x3xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

func.func @conv_group(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>) {
  // expected-error @+2 {{channels 4 and filters 6 must be divisible by group 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 4} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<2x4x8xf32>, %w: tensor<6x3x3xf32>) {
  // expected-error @+2 {{weight expects 3 input channels, input has 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<2x4x8xf32>, tensor<6x3x3xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+2 {{bias must have shape [6], got [5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.conv %x, %w, %b {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<5xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

func.func @conv_strides(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>) {
  // expected-error @+2 {{'strides' has 2 entries, expected 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

func.func @conv_fit(%x: tensor<2x4x2xf32>, %w: tensor<6x4x3xf32>) {
  // expected-error @+2 {{kernel does not fit spatial axis 0 of input [2x4x2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<2x4x2xf32>, tensor<6x4x3xf32>) -> tensor<2x6x1xf32>
  return
}

// -----

func.func @pool_pads(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{padding must be smaller than the kernel}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 2, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x4x4xf32> -> tensor<1x1x5x3xf32>
  return
}

// -----

func.func @pool_kernel(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{'kernel_shape' entries must be >= 1, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.avg_pool %x {kernel_shape = array<i64: 0, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x1x4x3xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = fg.softmax %x {axis = 2} : tensor<2x3xf32>
  return
}

// -----

func.func @missing_attribute(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'fg.log_softmax' op requires attribute 'axis'}}
  %0 = fg.log_softmax %x : tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x3xf32>, %s: tensor<2xf32>) {
  // expected-error @+2 {{scale of type 'tensor<2xf32>' does not broadcast to the normalised shape [3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.layer_norm %x affine(%s) {axis = 1} : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_affine(%x: tensor<2x3xf32>, %s: tensor<3xf32>) {
  // expected-error @+2 {{takes at most two affine operands (scale, bias), got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.layer_norm %x affine(%s, %s, %s) {axis = 1} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_eps(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{epsilon must be non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.layer_norm %x {axis = 1, epsilon = -1.0 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @batch_norm_stats(%x: tensor<2x3x4xf32>, %c: tensor<3xf32>, %d: tensor<4xf32>) {
  // expected-error @+2 {{statistics and affine operands must be [3] of 'f32', got 'tensor<4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.batch_norm %x, %c, %c, %c, %d : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 3 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.reduce_sum %x {axes = array<i64: 3>} : tensor<2x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_order(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axes must be strictly increasing}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.reduce_max %x {axes = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<1x1xf32>
  return
}

// -----

func.func @moments_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %m, %v = fg.moments %x {axes = array<i64: 2>} : tensor<2x3xf32> -> tensor<2x1xf32>, tensor<2x1xf32>
  return
}

// -----

func.func @moments_types(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x1xf32>', 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2x1xf32>', 'tensor<2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %m, %v = fg.moments %x {axes = array<i64: 1>} : tensor<2x3xf32> -> tensor<2x1xf32>, tensor<2xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot reshape 'tensor<2x3xf32>' (6 elements) to 'tensor<7xf32>' (7 elements)}}
  %0 = fg.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @transpose_size(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{perm has 3 entries for an input of rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.transpose %x {perm = array<i64: 0, 1, 2>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{perm is not a permutation of [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.transpose %x {perm = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @concat_shapes(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+2 {{input shapes [2x3] and [3x3] differ outside axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.concat %a, %b {axis = 1} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_types(%a: tensor<2x3xf32>, %b: tensor<2x3xf64>) {
  // expected-error @+2 {{inputs must have the same rank and element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.concat %a, %b {axis = 0} : (tensor<2x3xf32>, tensor<2x3xf64>) -> tensor<4x3xf32>
  return
}

// -----

func.func @slice_count(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{starts, ends and steps need one entry per dimension (2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.slice %x {starts = array<i64: 0>, ends = array<i64: 2>, steps = array<i64: 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_step(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{step of dimension 1 is 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.slice %x {starts = array<i64: 0, 0>, ends = array<i64: 2, 3>, steps = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_range(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{start 0 / end 4 out of range for dimension 1 of size 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.slice %x {starts = array<i64: 0, 0>, ends = array<i64: 2, 4>, steps = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<2x3xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.gather %x[%i] {axis = 2} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gather_indices(%x: tensor<2x3xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of 64-bit signless integer values}}
  %0 = fg.gather %x[%i] {axis = 0} : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = fg.cast %x : tensor<2x3xf32> -> tensor<3x2xi64>
  return
}

// -----

func.func @local_xent_rank(%x: tensor<2x3x8xf32>, %w: tensor<8x5xf32>, %b: tensor<5xf32>, %l: tensor<2xi64>) {
  // expected-error @+2 {{input [2x3x8] must be [N, P, G, C/G]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.local_xent %x, %w, %b, %l : (tensor<2x3x8xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<2xi64>) -> tensor<2x3x1xf32>
  return
}

// -----

func.func @local_xent_weight(%x: tensor<2x3x4x2xf32>, %w: tensor<6x5xf32>, %b: tensor<5xf32>, %l: tensor<2xi64>) {
  // expected-error @+2 {{weight [6x5] must be [8, K] for input [2x3x4x2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.local_xent %x, %w, %b, %l : (tensor<2x3x4x2xf32>, tensor<6x5xf32>, tensor<5xf32>, tensor<2xi64>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @local_xent_labels(%x: tensor<2x3x4x2xf32>, %w: tensor<8x5xf32>, %b: tensor<5xf32>, %l: tensor<3xi64>) {
  // expected-error @+2 {{labels [3] must be [2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.local_xent %x, %w, %b, %l : (tensor<2x3x4x2xf32>, tensor<8x5xf32>, tensor<5xf32>, tensor<3xi64>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @cross_entropy_shapes(%x: tensor<2x5xf32>, %l: tensor<3xi64>) {
  // expected-error @+2 {{logits [2x5] and labels [3] must be [N, K] and [N]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.cross_entropy %x, %l : tensor<2x5xf32>, tensor<3xi64> -> tensor<2xf32>
  return
}

// -----

func.func @one_hot_shape(%l: tensor<3xi64>) {
  // expected-error @+1 {{result 'tensor<2x5xf32>' must be the labels' shape [3] followed by the number of classes}}
  %0 = fg.one_hot %l : tensor<3xi64> -> tensor<2x5xf32>
  return
}

// -----

func.func @dropout_ratio(%x: tensor<3xf32>) {
  // expected-error @+1 {{ratio must be in [0, 1), got 1}}
  %0 = fg.dropout %x {ratio = 1.0 : f64} : tensor<3xf32>
  return
}

// -----

func.func @random_seed(%s: tensor<2xi64>, %t: tensor<i64>) {
  // expected-error @+1 {{seed and step must be rank-0 i64 tensors}}
  %0 = fg.random_normal %s, %t {site = 0} : (tensor<2xi64>, tensor<i64>) -> tensor<3xf32>
  return
}

// -----

func.func @select_cond(%c: tensor<3xf32>, %x: tensor<3xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 1-bit signless integer values}}
  %0 = fg.select %c, %x, %x : tensor<3xf32>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @select_shape(%c: tensor<4xi1>, %x: tensor<3xf32>) {
  // expected-error @+2 {{condition shape [4] does not broadcast with the values' [3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = fg.select %c, %x, %x : tensor<4xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @add_bool(%x: tensor<3xi1>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float or 64-bit float or 64-bit signless integer values}}
  %0 = fg.add %x, %x : tensor<3xi1>, tensor<3xi1> -> tensor<3xi1>
  return
}
