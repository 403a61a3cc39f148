//===- FGDialect.h - The fg dialect -----------------------------*- C++ -*-===//

#ifndef FGC_DIALECT_FG_IR_FGDIALECT_H
#define FGC_DIALECT_FG_IR_FGDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Operation.h"

#include "fgc/Dialect/FG/IR/FGDialect.h.inc"

#endif // FGC_DIALECT_FG_IR_FGDIALECT_H
