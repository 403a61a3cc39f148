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

/// A tensor of `type` with every element `value` (converted to an integer
/// for integer element types).
inline mlir::Value splat(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, double value) {
  mlir::Type elt = type.getElementType();
  mlir::Attribute v = llvm::isa<mlir::FloatType>(elt)
                          ? mlir::Attribute(mlir::FloatAttr::get(elt, value))
                          : mlir::Attribute(mlir::IntegerAttr::get(
                                elt, static_cast<int64_t>(value)));
  return ConstantOp::create(b, loc, mlir::DenseElementsAttr::get(type, v));
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
  return BroadcastToOp::create(b, loc,
                               mlir::RankedTensorType::get(shape, eltOf(v)), v);
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

/// Swaps the last two axes.
inline mlir::Value transposeLast(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value v) {
  llvm::SmallVector<int64_t> perm;
  for (int64_t i = 0; i < rankOf(v); ++i)
    perm.push_back(i);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return transpose(b, loc, v, perm);
}

/// Elements [from, from + size) of axis `axis`.
inline mlir::Value sliceAxis(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value v, int64_t axis, int64_t from,
                             int64_t size) {
  llvm::ArrayRef<int64_t> shape = shapeOf(v);
  llvm::SmallVector<int64_t> starts(shape.size(), 0), ends(shape),
      steps(shape.size(), 1);
  starts[axis] = from;
  ends[axis] = from + size;
  return SliceOp::create(b, loc, v, b.getDenseI64ArrayAttr(starts),
                         b.getDenseI64ArrayAttr(ends),
                         b.getDenseI64ArrayAttr(steps));
}

/// `v` with `before` and `after` elements of value `fill` added along
/// `axis`.
inline mlir::Value padAxis(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v, int64_t axis, int64_t before,
                           int64_t after, double fill = 0.0) {
  llvm::SmallVector<mlir::Value> parts;
  auto zerosOf = [&](int64_t n) {
    llvm::SmallVector<int64_t> shape(shapeOf(v));
    shape[axis] = n;
    return splat(b, loc, mlir::RankedTensorType::get(shape, eltOf(v)), fill);
  };
  if (before)
    parts.push_back(zerosOf(before));
  parts.push_back(v);
  if (after)
    parts.push_back(zerosOf(after));
  if (parts.size() == 1)
    return v;
  return ConcatOp::create(b, loc, parts, b.getI64IntegerAttr(axis));
}

/// Elements `idx` (constants) of axis `axis`, in that order.
inline mlir::Value gatherAxis(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value v, int64_t axis,
                              llvm::ArrayRef<int64_t> idx) {
  auto type = mlir::RankedTensorType::get({static_cast<int64_t>(idx.size())},
                                          b.getI64Type());
  mlir::Value indices =
      ConstantOp::create(b, loc, mlir::DenseElementsAttr::get(type, idx));
  return GatherOp::create(b, loc, v, indices, b.getI64IntegerAttr(axis));
}

/// `v` reversed along `axis`.
inline mlir::Value reverseAxis(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value v, int64_t axis) {
  llvm::SmallVector<int64_t> idx;
  for (int64_t i = shapeOf(v)[axis] - 1; i >= 0; --i)
    idx.push_back(i);
  return gatherAxis(b, loc, v, axis, idx);
}

/// `v` with `step - 1` zeros after each element along `axis`, without the
/// trailing ones: element j lands at j * step.
inline mlir::Value spreadAxis(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value v, int64_t axis, int64_t step) {
  llvm::SmallVector<int64_t> shape(shapeOf(v));
  int64_t n = shape[axis];
  llvm::SmallVector<int64_t> split(shape);
  split.insert(split.begin() + axis + 1, 1);
  llvm::SmallVector<int64_t> gap(split);
  gap[axis + 1] = step - 1;
  mlir::Value parts[] = {
      reshape(b, loc, v, split),
      splat(b, loc, mlir::RankedTensorType::get(gap, eltOf(v)), 0.0)};
  mlir::Value wide =
      ConcatOp::create(b, loc, parts, b.getI64IntegerAttr(axis + 1));
  shape[axis] = n * step;
  return sliceAxis(b, loc, reshape(b, loc, wide, shape), axis, 0,
                   (n - 1) * step + 1);
}

/// Integer indices `idx` with the negative ones counted from the end of an
/// axis of `n` elements (`n` an i64 tensor broadcasting against `idx`).
inline mlir::Value wrapNegative(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value idx, mlir::Value n) {
  mlir::Value negative = CompareOp::create(
      b, loc, idx, scalar(b, loc, b.getI64Type(), 0), b.getStringAttr("lt"));
  return AddOp::create(b, loc, idx, MulOp::create(b, loc, negative, n));
}

/// Sums a cotangent of a broadcast result down to an operand's type (the
/// adjoint of NumPy broadcasting).
inline mlir::Value unbroadcast(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value cot, mlir::Type target) {
  auto t = llvm::cast<mlir::RankedTensorType>(target);
  llvm::ArrayRef<int64_t> from = typeOf(cot).getShape();
  llvm::ArrayRef<int64_t> to = t.getShape();
  if (from == to)
    return cot;
  int64_t lead = static_cast<int64_t>(from.size() - to.size());
  llvm::SmallVector<int64_t> axes;
  for (int64_t i = 0; i < static_cast<int64_t>(from.size()); ++i)
    if (i < lead || (to[i - lead] == 1 && from[i] != 1))
      axes.push_back(i);
  mlir::Value v = axes.empty() ? cot : reduceSum(b, loc, cot, axes, true);
  return reshape(b, loc, v, to);
}

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_IR_FGBUILDERS_H
