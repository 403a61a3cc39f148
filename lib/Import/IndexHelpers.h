//===- IndexHelpers.h - Index arithmetic shared by converters ---*- C++ -*-===//
//
// Internal to lib/Import: the constant iotas, row-major strides and index
// range checks that the one-hot, gather and scatter converters share.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_IMPORT_INDEXHELPERS_H
#define FGC_LIB_IMPORT_INDEXHELPERS_H

#include "NodeContext.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

#include "mlir/IR/Matchers.h"

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

/// Fails when a constant `indices` has an entry outside [-size, size) of
/// the axis it indexes, entry k indexing axes[k % axes.size()] of `shape`
/// (one axis for Gather and GatherElements, the tuple's axes for
/// GatherND): wrapped into flattened data it would name another element.
inline mlir::LogicalResult checkConstantIndices(NodeContext &nc, Value indices,
                                                ArrayRef<int64_t> shape,
                                                ArrayRef<int64_t> axes) {
  mlir::DenseIntElementsAttr values;
  if (!mlir::matchPattern(indices, mlir::m_Constant(&values)))
    return mlir::success();
  size_t k = 0;
  for (int64_t i : values.getValues<int64_t>()) {
    int64_t axis = axes[k++ % axes.size()], size = shape[axis];
    if (i < -size || i >= size)
      return nc.fail("index " + llvm::Twine(i) + " is out of range for axis " +
                     llvm::Twine(axis) + " of size " + llvm::Twine(size));
  }
  return mlir::success();
}

} // namespace fgc::onnximport

#endif // FGC_LIB_IMPORT_INDEXHELPERS_H
