// RUN: fgc-opt %s -fgc-emit-c-interface | FileCheck %s

// Public definitions get a C interface; private and external functions not.
// CHECK: func.func @train_step() attributes {llvm.emit_c_interface}
// CHECK: func.func private @helper() {
// CHECK: func.func private @fgc_blas_sgemm()
// CHECK-NOT: llvm.emit_c_interface
func.func @train_step() {
  return
}
func.func private @helper() {
  return
}
func.func private @fgc_blas_sgemm()
