//===- Passes.h - fgc lowering passes ---------------------------*- C++ -*-===//

#ifndef FGC_CONVERSION_PASSES_H
#define FGC_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace fgc {

#define GEN_PASS_DECL
#include "fgc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "fgc/Conversion/Passes.h.inc"

} // namespace fgc

#endif // FGC_CONVERSION_PASSES_H
