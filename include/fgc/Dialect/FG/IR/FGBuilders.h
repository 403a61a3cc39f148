//===- FGBuilders.h - Small builders of fg ops ------------------*- C++ -*-===//
//
// Type accessors and one-op builders over fg ops at an OpBuilder's insertion
// point, for code that writes fg IR: the reverse-mode rules (FGVjp.cpp), the
// loss heads' shared terms and the fg-localize / fg-train-step passes. The
// forward-mode rules have their own, tangent-aware set (JvpBuilder).
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_IR_FGBUILDERS_H
#define FGC_DIALECT_FG_IR_FGBUILDERS_H

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/Sequence.h"

namespace fgc::fg {

inline mlir::RankedTensorType typeOf(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}
inline llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  return typeOf(v).getShape();
}
inline int64_t rankOf(mlir::Value v) { return typeOf(v).getRank(); }
inline mlir::Type eltOf(mlir::Value v) { return typeOf(v).getElementType(); }

/// A tensor of `type` with every element `value`.
inline mlir::Value splat(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, double value) {
  return ConstantOp::create(
      b, loc,
      mlir::DenseElementsAttr::get(
          type, mlir::FloatAttr::get(type.getElementType(), value)));
}
/// A rank-0 constant of element type `elt`.
inline mlir::Value scalar(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type elt, double value) {
  return splat(b, loc, mlir::RankedTensorType::get({}, elt), value);
}

/// `v` reshaped to `shape` (`v` itself when it has that shape).
inline mlir::Value reshape(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v, llvm::ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  return ReshapeOp::create(b, loc, mlir::RankedTensorType::get(shape, eltOf(v)),
                           v);
}

/// `v` with its axes permuted (`v` itself for the identity).
inline mlir::Value transpose(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value v, llvm::ArrayRef<int64_t> perm) {
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return v;
  return TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr(perm));
}

/// `v` broadcast to `shape` (`v` itself when it has that shape).
inline mlir::Value broadcastTo(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value v, llvm::ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  return BroadcastToOp::create(
      b, loc, mlir::RankedTensorType::get(shape, eltOf(v)), v);
}

inline mlir::Value reduceSum(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value v, llvm::ArrayRef<int64_t> axes,
                             bool keepdims) {
  return ReduceSumOp::create(b, loc, v, b.getDenseI64ArrayAttr(axes),
                             b.getBoolAttr(keepdims));
}

inline mlir::Value reduceMean(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value v, llvm::ArrayRef<int64_t> axes,
                              bool keepdims) {
  return ReduceMeanOp::create(b, loc, v, b.getDenseI64ArrayAttr(axes),
                              b.getBoolAttr(keepdims));
}

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_IR_FGBUILDERS_H
