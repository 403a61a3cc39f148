// RUN: not fgc-opt %s -fg-train-step 2>&1 | FileCheck %s --check-prefix=NOLOCAL
// RUN: not fgc-opt %s -fg-localize -fg-train-step="algo=sgd" 2>&1 | FileCheck %s --check-prefix=ALGO
// RUN: not fgc-opt %s -fg-localize -fg-train-step="optimizer=rmsprop" 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not fgc-opt %s -fg-localize -fg-train-step="algo=fg-a" 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: not fgc-opt %s -fg-localize -fg-train-step="tangents=0" 2>&1 | FileCheck %s --check-prefix=K
// RUN: not fgc-opt %s -fg-localize -fg-train-step="schedule=cyclic" 2>&1 | FileCheck %s --check-prefix=SCHED
// NOLOCAL: error: fg-train-step: the module needs @forward and @local_losses (run fg-localize first)
// ALGO: for the --algo option: Cannot find option named 'sgd'!
// OPT: for the --optimizer option: Cannot find option named 'rmsprop'!
// FORM: error: fg-train-step: algo 'fg-a' needs fg-localize with global=true (got the local form)
// K: error: fg-train-step: tangents must be at least 1, got 0
// SCHED: for the --schedule option: Cannot find option named 'cyclic'!
fg.parameter @w = dense<0.5> : tensor<4x3xf32>
fg.parameter @c = dense<0.5> : tensor<3x2xf32>
func.func @forward(%x: tensor<2x4xf32> {fg.name = "image"}) -> tensor<2x2xf32> {
  %w = fg.param @w : tensor<4x3xf32>
  %c = fg.param @c : tensor<3x2xf32>
  %0 = fg.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = fg.relu %0 : tensor<2x3xf32>
  %2 = fg.matmul %1, %c : tensor<2x3xf32>, tensor<3x2xf32> -> tensor<2x2xf32>
  return %2 : tensor<2x2xf32>
}
