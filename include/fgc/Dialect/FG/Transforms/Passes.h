//===- Passes.h - fg dialect passes -----------------------------*- C++ -*-===//

#ifndef FGC_DIALECT_FG_TRANSFORMS_PASSES_H
#define FGC_DIALECT_FG_TRANSFORMS_PASSES_H

#include "fgc/Dialect/FG/Transforms/TrainingEnums.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace fgc::fg {

#define GEN_PASS_DECL
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_TRANSFORMS_PASSES_H
