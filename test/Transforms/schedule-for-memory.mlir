// RUN: fgc-opt %s -split-input-file -fgc-schedule-for-memory | FileCheck %s
// RUN: fgc-opt %s -split-input-file -fgc-schedule-for-memory="remarks=true" -verify-diagnostics -o /dev/null

// Two blocks built stage by stage: both forwards, both gradients, both
// updates. Block 0's gradient and update need only block 0's activation,
// so they move before block 1's forward: %t0 dies before %a1 and %t1 are
// made. Returned tensors are the caller's (out-parameters) and do not
// count; %a0 feeds block 1 and lives until %a1 is made.
// CHECK-LABEL: func.func @two_blocks(
// CHECK-SAME: %[[X:.*]]: tensor<1024xf32>, %[[W0:.*]]: tensor<1024xf32>, %[[W1:.*]]: tensor<1024xf32>
// CHECK: %[[A0:.*]] = linalg.mul ins(%[[X]], %[[W0]]
// CHECK: %[[T0:.*]] = linalg.mul ins(%[[A0]], %[[A0]]
// CHECK: %[[U0:.*]] = linalg.add ins(%[[W0]], %[[T0]]
// CHECK: %[[A1:.*]] = linalg.mul ins(%[[A0]], %[[W1]]
// CHECK: %[[T1:.*]] = linalg.mul ins(%[[A1]], %[[A1]]
// CHECK: %[[U1:.*]] = linalg.add ins(%[[W1]], %[[T1]]
// CHECK: return %[[U0]], %[[U1]]
// expected-remark @below {{live tensors at most 12288 bytes before, 8192 after; 16384 in all}}
func.func @two_blocks(%x: tensor<1024xf32>, %w0: tensor<1024xf32>,
                      %w1: tensor<1024xf32>)
    -> (tensor<1024xf32>, tensor<1024xf32>) {
  %e = tensor.empty() : tensor<1024xf32>
  %a0 = linalg.mul ins(%x, %w0 : tensor<1024xf32>, tensor<1024xf32>)
                   outs(%e : tensor<1024xf32>) -> tensor<1024xf32>
  %e1 = tensor.empty() : tensor<1024xf32>
  %a1 = linalg.mul ins(%a0, %w1 : tensor<1024xf32>, tensor<1024xf32>)
                   outs(%e1 : tensor<1024xf32>) -> tensor<1024xf32>
  %e2 = tensor.empty() : tensor<1024xf32>
  %t0 = linalg.mul ins(%a0, %a0 : tensor<1024xf32>, tensor<1024xf32>)
                   outs(%e2 : tensor<1024xf32>) -> tensor<1024xf32>
  %e3 = tensor.empty() : tensor<1024xf32>
  %t1 = linalg.mul ins(%a1, %a1 : tensor<1024xf32>, tensor<1024xf32>)
                   outs(%e3 : tensor<1024xf32>) -> tensor<1024xf32>
  %e4 = tensor.empty() : tensor<1024xf32>
  %u0 = linalg.add ins(%w0, %t0 : tensor<1024xf32>, tensor<1024xf32>)
                   outs(%e4 : tensor<1024xf32>) -> tensor<1024xf32>
  %e5 = tensor.empty() : tensor<1024xf32>
  %u1 = linalg.add ins(%w1, %t1 : tensor<1024xf32>, tensor<1024xf32>)
                   outs(%e5 : tensor<1024xf32>) -> tensor<1024xf32>
  return %u0, %u1 : tensor<1024xf32>, tensor<1024xf32>
}

// -----

// Ops with memory effects keep their order, although the second call's
// operand is shallower; constants and views move next to their users, and
// values a nested region uses count as dependences. The generic writes a
// new buffer: the argument it is initialised from is the caller's.
// CHECK-LABEL: func.func @effects(
// CHECK: %[[C:.*]] = arith.constant 2.000000e+00
// CHECK: %[[LONG:.*]] = linalg.generic
// CHECK: arith.mulf %{{.*}}, %[[C]]
// CHECK: call @tick(%[[LONG]])
// CHECK: %[[SHORT:.*]] = tensor.expand_shape
// CHECK: call @tick2(%[[SHORT]])
// CHECK: return
func.func private @tick(tensor<4xf32>)
func.func private @tick2(tensor<2x2xf32>)
// expected-remark @below {{live tensors at most 16 bytes before, 16 after; 16 in all}}
func.func @effects(%a: tensor<4xf32>) {
  %short = tensor.expand_shape %a [[0, 1]] output_shape [2, 2]
      : tensor<4xf32> into tensor<2x2xf32>
  %c = arith.constant 2.0 : f32
  %long = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>],
                          iterator_types = ["parallel"]}
      outs(%a : tensor<4xf32>) {
  ^bb0(%o: f32):
    %m = arith.mulf %o, %c : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  call @tick(%long) : (tensor<4xf32>) -> ()
  call @tick2(%short) : (tensor<2x2xf32>) -> ()
  return
}

// -----

// A body of several blocks is left as it is.
// CHECK-LABEL: func.func @branches(
// CHECK: %[[E:.*]] = tensor.empty()
// CHECK: %[[C:.*]] = arith.constant
// CHECK: cf.br ^bb1
func.func @branches(%a: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %c = arith.constant 1.0 : f32
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  cf.br ^bb1
^bb1:
  return %f : tensor<4xf32>
}
