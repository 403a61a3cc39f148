//===- IndexHelpers.h - Index arithmetic shared by converters ---*- C++ -*-===//
//
// Internal to lib/Import: the constant iotas, negative-index wrapping and
// row-major strides that the one-hot, gather and scatter converters build
// their index tensors from.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_IMPORT_INDEXHELPERS_H
#define FGC_LIB_IMPORT_INDEXHELPERS_H

#include "NodeContext.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

namespace fgc::onnximport {

using mlir::ArrayRef;
using mlir::DenseElementsAttr;
using mlir::Location;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::SmallVector;
using mlir::Type;
using mlir::Value;

/// [0, 1, .., n-1] shaped to broadcast along `axis` of a rank-`rank` tensor.
inline mlir::Value iota(NodeContext &nc, int64_t n, int64_t axis,
                        int64_t rank) {
  SmallVector<int64_t> values = llvm::to_vector(llvm::seq<int64_t>(0, n));
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = n;
  return nc.constant(DenseElementsAttr::get(
      RankedTensorType::get(shape, nc.b.getI64Type()), ArrayRef(values)));
}

/// `idx` with negative entries counted from the end of an axis of `n`.
inline mlir::Value wrapNegative(OpBuilder &b, Location loc, Value idx,
                                Value n) {
  Type i64 = b.getI64Type();
  Value negative = fg::CompareOp::create(
      b, loc, idx, fg::scalar(b, loc, i64, 0), b.getStringAttr("lt"));
  return fg::AddOp::create(b, loc, idx, fg::MulOp::create(b, loc, negative, n));
}

/// `v` (i64) as a bool mask.
inline mlir::Value toBool(OpBuilder &b, Location loc, Value v) {
  return fg::CastOp::create(b, loc, fg::typeOf(v).clone(b.getI1Type()), v);
}

/// The strides of a row-major `shape`.
inline llvm::SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

} // namespace fgc::onnximport

#endif // FGC_LIB_IMPORT_INDEXHELPERS_H
