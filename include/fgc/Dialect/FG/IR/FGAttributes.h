//===- FGAttributes.h - fg argument and result attributes -------*- C++ -*-===//
//
// Typed access to the `fg.*` attributes of function arguments and results.
// Their names and types are declared once, with the op attributes, in the
// `discardableAttrs` of FGDialect.td; ops' attributes are read and written
// with the generated helpers, e.g.
//
//   FGDialect::get(ctx)->getReadoutAttrHelper().isAttrPresent(op)
//
// and these functions do the same for the attributes that sit on arguments
// and results (which the generated helpers, taking an Operation, cannot).
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_IR_FGATTRIBUTES_H
#define FGC_DIALECT_FG_IR_FGATTRIBUTES_H

#include "fgc/Dialect/FG/IR/FGDialect.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

namespace fgc::fg {

/// `fg.name` of argument `index`: the name users see (an ONNX input, a
/// parameter's optimizer state, "labels", "step", ...), or null.
mlir::StringAttr getArgName(mlir::FunctionOpInterface func, unsigned index);
void setArgName(mlir::FunctionOpInterface func, unsigned index,
                llvm::StringRef name);

/// `fg.name` of result `index` (an ONNX output, "loss.block0", ...), or null.
mlir::StringAttr getResultName(mlir::FunctionOpInterface func, unsigned index);
void setResultName(mlir::FunctionOpInterface func, unsigned index,
                   llvm::StringRef name);

/// `fg.param` of argument `index`: the fg.parameter the argument carries
/// (fg-params-to-args, the parameters of @train_step), or null.
mlir::StringAttr getArgParam(mlir::FunctionOpInterface func, unsigned index);
void setArgParam(mlir::FunctionOpInterface func, unsigned index,
                 llvm::StringRef param);

/// `fg.tangent_of` of argument `index` of a `<function>_jvp`: the input or
/// parameter whose tangent the argument is, or null.
mlir::StringAttr getArgTangentOf(mlir::FunctionOpInterface func,
                                 unsigned index);
void setArgTangentOf(mlir::FunctionOpInterface func, unsigned index,
                     llvm::StringRef of);

/// The entry `fg.name = name` of an argument or result dictionary, for
/// code that builds whole dictionaries (setAllResultAttrs).
mlir::NamedAttribute nameEntry(mlir::MLIRContext *ctx, llvm::StringRef name);

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_IR_FGATTRIBUTES_H
