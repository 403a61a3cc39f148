//===- OnnxIndexing.cpp - Arg extremes, one-hots and TopK -----------------===//
//
// ArgMax and ArgMin are fg.argmax (the first maximum along an axis) of the
// input or of its negation, with the axis reversed for select_last_index
// and kept as size 1 for keepdims. Size is a constant: shapes are static.
// These produce int64 data, which has no derivative.
//
// OneHot and Hardmax compare indices with a constant iota (a zero
// derivative; OneHot's off/on values are differentiable through the
// select). TopK takes the first maximum k times, masking each after it is
// taken.
//
//===----------------------------------------------------------------------===//

#include "Converters.h"
#include "IndexHelpers.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

#include <limits>

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

/// Integer indices: i64 as they are, floats truncated (as OneHot says).
FailureOr<Value> indicesOf(NodeContext &nc, Value v) {
  Type elt = typeOf(v).getElementType();
  if (elt.isInteger(64))
    return v;
  if (!isa<FloatType>(elt))
    return nc.fail("indices must be numeric, got " + str(typeOf(v)));
  return nc.createTyped<fg::CastOp>(typeOf(v).clone(nc.b.getI64Type()), v);
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

LogicalResult onnximport::convertHardmax(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  if (!isa<FloatType>(xt.getElementType()))
    return nc.fail("input must be a floating-point tensor, got " + str(xt));
  // Before opset 13 the input is seen as 2-D, [prod(:axis), prod(axis:)].
  bool coerced = nc.opset < 13;
  TRY(axisAttr, nc.attrInt("axis", coerced ? 1 : -1));
  TRY(axis, nc.normalizeAxis(axisAttr, xt.getRank()));
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  Value v = x;
  if (coerced) {
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= xt.getDimSize(d);
    v = fg::reshape(b, loc, x, {outer, xt.getNumElements() / outer});
    axis = 1;
  }
  int64_t rank = typeOf(v).getRank(), n = typeOf(v).getDimSize(axis);
  TRY(arg, nc.create<fg::ArgMaxOp>({v}, {nc.namedI64("axis", axis)}));
  SmallVector<int64_t> kept(typeOf(v).getShape());
  kept[axis] = 1;
  Value hot =
      fg::CompareOp::create(b, loc, fg::reshape(b, loc, arg, kept),
                            iota(nc, n, axis, rank), b.getStringAttr("eq"));
  Value r =
      fg::CastOp::create(b, loc, typeOf(hot).clone(xt.getElementType()), hot);
  return setResult(nc, fg::reshape(b, loc, r, xt.getShape()));
}

LogicalResult onnximport::convertOneHot(NodeContext &nc) {
  TRY(raw, nc.input(0));
  TRY(indices, indicesOf(nc, raw));
  TRY(depthValue, nc.constantScalar(1, "depth"));
  int64_t depth = static_cast<int64_t>(depthValue);
  if (depth < 1)
    return nc.fail("input 'depth' must be positive, got " + Twine(depth));
  TRY(values, nc.input(2));
  if (typeOf(values).getNumElements() != 2)
    return nc.fail("input 'values' must hold two elements (off, on), got " +
                   str(typeOf(values)));
  int64_t rank = typeOf(indices).getRank() + 1;
  TRY(axisAttr, nc.attrInt("axis", -1));
  TRY(axis, nc.normalizeAxis(axisAttr, rank));
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  SmallVector<int64_t> shape(typeOf(indices).getShape());
  shape.insert(shape.begin() + axis, 1);
  Value idx = fg::wrapNegative(b, loc, fg::reshape(b, loc, indices, shape),
                               fg::scalar(b, loc, b.getI64Type(), depth));
  Value hot =
      toBool(b, loc,
             fg::CompareOp::create(b, loc, idx, iota(nc, depth, axis, rank),
                                   b.getStringAttr("eq")));
  Value flat = fg::reshape(b, loc, values, {2});
  Value off = fg::reshape(b, loc, fg::sliceAxis(b, loc, flat, 0, 0, 1), {});
  Value on = fg::reshape(b, loc, fg::sliceAxis(b, loc, flat, 0, 1, 1), {});
  return setResult(nc, nc.create<fg::SelectOp>({hot, on, off}));
}

/// k rounds of "take the first largest, then mask it": values through a
/// select (differentiable), indices as int64 (none).
LogicalResult onnximport::convertTopK(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  if (!isa<FloatType>(xt.getElementType()))
    return nc.fail("input must be a floating-point tensor, got " + str(xt));
  TRY(ks, nc.constantInts(1, "K"));
  if (ks.size() != 1)
    return nc.fail("input 'K' must hold one element");
  TRY(axisAttr, nc.attrInt("axis", -1));
  TRY(axis, nc.normalizeAxis(axisAttr, xt.getRank()));
  TRY(largest, nc.attrInt("largest", 1));
  TRY(sorted, nc.attrInt("sorted", 1));
  (void)sorted; // The results are always sorted, which "unsorted" allows.
  int64_t k = ks[0], n = xt.getDimSize(axis), rank = xt.getRank();
  if (k < 1 || k > n)
    return nc.fail("K = " + Twine(k) + " is not in 1.." + Twine(n) +
                   " (the size of axis " + Twine(axis) + ")");
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  Type elt = xt.getElementType();
  Value key = largest ? x : Value(fg::NegOp::create(b, loc, x));
  Value positions = iota(nc, n, axis, rank);
  Value zero = fg::scalar(b, loc, elt, 0.0);
  Value lowest =
      fg::scalar(b, loc, elt, -std::numeric_limits<double>::infinity());
  SmallVector<int64_t> kept(xt.getShape());
  kept[axis] = 1;
  SmallVector<Value> values, indices;
  for (int64_t p = 0; p < k; ++p) {
    TRY(arg, nc.create<fg::ArgMaxOp>({key}, {nc.namedI64("axis", axis)}));
    Value at = fg::reshape(b, loc, arg, kept);
    Value hot = toBool(
        b, loc,
        fg::CompareOp::create(b, loc, positions, at, b.getStringAttr("eq")));
    values.push_back(fg::reduceSum(
        b, loc, fg::SelectOp::create(b, loc, hot, x, zero), {axis}, true));
    indices.push_back(at);
    if (p + 1 < k)
      key = fg::SelectOp::create(b, loc, hot, lowest, key);
  }
  auto join = [&](ArrayRef<Value> parts) -> Value {
    if (parts.size() == 1)
      return parts.front();
    return fg::ConcatOp::create(b, loc, parts, b.getI64IntegerAttr(axis));
  };
  nc.setOutput(0, join(values));
  nc.setOutput(1, join(indices));
  return success();
}
