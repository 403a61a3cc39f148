//===- OnnxIndexing.cpp - ArgMax, ArgMin and Size -------------------------===//
//
// ArgMax and ArgMin are fg.argmax (the first maximum along an axis) of the
// input or of its negation, with the axis reversed for select_last_index
// and kept as size 1 for keepdims. Size is a constant: shapes are static.
// All produce int64 data, which has no derivative.
//
//===----------------------------------------------------------------------===//

#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::typeOf;

namespace {

LogicalResult convertArgExtreme(NodeContext &nc, bool max) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  if (!isa<FloatType>(xt.getElementType()))
    return nc.fail("input must be a floating-point tensor, got " + str(xt));
  TRY(axisAttr, nc.attrInt("axis", 0));
  TRY(keepdims, nc.attrInt("keepdims", 1));
  TRY(last, nc.attrInt("select_last_index", 0));
  TRY(axis, nc.normalizeAxis(axisAttr, xt.getRank()));
  if (!max) {
    TRY(neg, nc.createTyped<fg::NegOp>(xt, x));
    x = neg;
  }
  int64_t n = xt.getDimSize(axis);
  Type i64 = nc.b.getI64Type();
  if (last) {
    // The first extreme of the reversed axis is the last one.
    SmallVector<int64_t> reversed;
    for (int64_t i = n - 1; i >= 0; --i)
      reversed.push_back(i);
    Value idx = nc.constant(DenseElementsAttr::get(
        RankedTensorType::get({n}, i64), ArrayRef(reversed)));
    TRY(flipped,
        nc.create<fg::GatherOp>({x, idx}, {nc.namedI64("axis", axis)}));
    x = flipped;
  }
  TRY(r, nc.create<fg::ArgMaxOp>({x}, {nc.namedI64("axis", axis)}));
  if (last) {
    Value top = nc.constant(
        DenseElementsAttr::get(RankedTensorType::get({}, i64), n - 1));
    TRY(fromEnd, nc.create<fg::SubOp>({top, r}));
    r = fromEnd;
  }
  if (!keepdims)
    return setResult(nc, r);
  SmallVector<int64_t> shape(xt.getShape());
  shape[axis] = 1;
  return setResult(nc, nc.reshape(r, shape));
}

} // namespace

LogicalResult onnximport::convertArgMax(NodeContext &nc) {
  return convertArgExtreme(nc, true);
}

LogicalResult onnximport::convertArgMin(NodeContext &nc) {
  return convertArgExtreme(nc, false);
}

LogicalResult onnximport::convertSize(NodeContext &nc) {
  TRY(x, nc.input(0));
  return setResult(nc, nc.constant(DenseElementsAttr::get(
                           RankedTensorType::get({}, nc.b.getI64Type()),
                           typeOf(x).getNumElements())));
}
