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
  FailureOr<Value> in = nc.input(0);
  if (failed(in))
    return failure();
  RankedTensorType xt = typeOf(*in);
  if (!isa<FloatType>(xt.getElementType()))
    return nc.fail("input must be a floating-point tensor, got " + str(xt));
  FailureOr<int64_t> axisAttr = nc.attrInt("axis", 0);
  FailureOr<int64_t> keepdims = nc.attrInt("keepdims", 1);
  FailureOr<int64_t> last = nc.attrInt("select_last_index", 0);
  if (failed(axisAttr) || failed(keepdims) || failed(last))
    return failure();
  FailureOr<int64_t> axis = nc.normalizeAxis(*axisAttr, xt.getRank());
  if (failed(axis))
    return failure();
  Value x = *in;
  if (!max) {
    FailureOr<Value> neg = nc.createTyped<fg::NegOp>(xt, x);
    if (failed(neg))
      return failure();
    x = *neg;
  }
  int64_t n = xt.getDimSize(*axis);
  if (*last) {
    // The first extreme of the reversed axis is the last one.
    SmallVector<int64_t> reversed;
    for (int64_t i = n - 1; i >= 0; --i)
      reversed.push_back(i);
    Value idx = nc.constant(DenseElementsAttr::get(
        RankedTensorType::get({n}, nc.b.getI64Type()), ArrayRef(reversed)));
    FailureOr<Value> flipped =
        nc.create<fg::GatherOp>({x, idx}, {nc.namedI64("axis", *axis)});
    if (failed(flipped))
      return failure();
    x = *flipped;
  }
  FailureOr<Value> index =
      nc.create<fg::ArgMaxOp>({x}, {nc.namedI64("axis", *axis)});
  if (failed(index))
    return failure();
  Value r = *index;
  if (*last) {
    Value top = nc.constant(DenseElementsAttr::get(
        RankedTensorType::get({}, nc.b.getI64Type()), int64_t(n - 1)));
    FailureOr<Value> fromEnd = nc.create<fg::SubOp>({top, r});
    if (failed(fromEnd))
      return failure();
    r = *fromEnd;
  }
  if (*keepdims) {
    SmallVector<int64_t> shape(xt.getShape());
    shape[*axis] = 1;
    FailureOr<Value> kept = nc.reshape(r, shape);
    if (failed(kept))
      return failure();
    r = *kept;
  }
  nc.setOutput(0, r);
  return success();
}

} // namespace

LogicalResult onnximport::convertArgMax(NodeContext &nc) {
  return convertArgExtreme(nc, true);
}

LogicalResult onnximport::convertArgMin(NodeContext &nc) {
  return convertArgExtreme(nc, false);
}

LogicalResult onnximport::convertSize(NodeContext &nc) {
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  nc.setOutput(0, nc.constant(DenseElementsAttr::get(
                      RankedTensorType::get({}, nc.b.getI64Type()),
                      typeOf(*x).getNumElements())));
  return success();
}
