//===- Passes.h - fgc transforms on upstream dialects -----------*- C++ -*-===//

#ifndef FGC_TRANSFORMS_PASSES_H
#define FGC_TRANSFORMS_PASSES_H

#include "fgc/Transforms/Attributes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace fgc {

#define GEN_PASS_DECL
#include "fgc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "fgc/Transforms/Passes.h.inc"

} // namespace fgc

#endif // FGC_TRANSFORMS_PASSES_H
