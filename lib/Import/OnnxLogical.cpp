//===- OnnxLogical.cpp - ONNX comparisons, logic, Where and Expand --------===//
//
// ONNX bool tensors are i1 tensors in fg. A comparison is fg.compare (a
// 1 / 0 mask of the operands' type) cast to i1; And, Or, Xor and Not are
// min, max, compare-ne and compare-eq-false on i1 (false < true), so no op
// exists only for logic. Where is fg.select and Expand fg.broadcast_to.
// Exporters use these mostly on shapes, which fold to constants at import;
// on data they are piecewise constant (comparisons, logic) or follow the
// selected operand (Where), and Expand is linear.
//
//===----------------------------------------------------------------------===//

#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

#include "llvm/ADT/StringExtras.h"

#include <limits>

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::typeOf;

namespace {

bool isBool(Value v) { return typeOf(v).getElementType().isInteger(1); }

FailureOr<Value> compare(NodeContext &nc, StringRef predicate, Value lhs,
                         Value rhs) {
  if (typeOf(lhs).getElementType() != typeOf(rhs).getElementType())
    return nc.fail("operands have different element types " +
                   str(typeOf(lhs).getElementType()) + " and " +
                   str(typeOf(rhs).getElementType()));
  FailureOr<Value> mask = nc.create<fg::CompareOp>(
      {lhs, rhs},
      {nc.named("predicate", StringAttr::get(nc.getContext(), predicate))});
  if (failed(mask) || isBool(*mask))
    return mask;
  auto type = typeOf(*mask).clone(IntegerType::get(nc.getContext(), 1));
  return nc.createTyped<fg::CastOp>(type, *mask);
}

/// The two operands, which must both be bool.
FailureOr<std::pair<Value, Value>> boolOperands(NodeContext &nc) {
  TRY(lhs, nc.input(0));
  TRY(rhs, nc.input(1));
  for (Value v : {lhs, rhs})
    if (!isBool(v))
      return nc.fail("operands must be bool tensors, got " + str(typeOf(v)));
  return std::make_pair(lhs, rhs);
}

} // namespace

static LogicalResult convertComparison(NodeContext &nc, StringRef predicate) {
  TRY(lhs, nc.input(0));
  TRY(rhs, nc.input(1));
  return setResult(nc, compare(nc, predicate, lhs, rhs));
}

LogicalResult onnximport::convertEqual(NodeContext &nc) {
  return convertComparison(nc, "eq");
}
LogicalResult onnximport::convertLess(NodeContext &nc) {
  return convertComparison(nc, "lt");
}
LogicalResult onnximport::convertLessOrEqual(NodeContext &nc) {
  return convertComparison(nc, "le");
}
LogicalResult onnximport::convertGreater(NodeContext &nc) {
  return convertComparison(nc, "gt");
}
LogicalResult onnximport::convertGreaterOrEqual(NodeContext &nc) {
  return convertComparison(nc, "ge");
}

LogicalResult onnximport::convertAnd(NodeContext &nc) {
  TRY(ops, boolOperands(nc));
  return setResult(nc, nc.create<fg::MinOp>({ops.first, ops.second}));
}

LogicalResult onnximport::convertOr(NodeContext &nc) {
  TRY(ops, boolOperands(nc));
  return setResult(nc, nc.create<fg::MaxOp>({ops.first, ops.second}));
}

LogicalResult onnximport::convertXor(NodeContext &nc) {
  TRY(ops, boolOperands(nc));
  return setResult(nc, compare(nc, "ne", ops.first, ops.second));
}

LogicalResult onnximport::convertNot(NodeContext &nc) {
  TRY(x, nc.input(0));
  if (!isBool(x))
    return nc.fail("input must be a bool tensor, got " + str(typeOf(x)));
  auto scalarType = RankedTensorType::get({}, typeOf(x).getElementType());
  Value no = nc.constant(DenseElementsAttr::get(scalarType, false));
  return setResult(nc, compare(nc, "eq", x, no));
}

LogicalResult onnximport::convertWhere(NodeContext &nc) {
  TRY(cond, nc.input(0));
  if (!isBool(cond))
    return nc.fail("condition must be a bool tensor, got " + str(typeOf(cond)));
  TRY(x, nc.input(1));
  TRY(y, nc.input(2));
  if (typeOf(x).getElementType() != typeOf(y).getElementType())
    return nc.fail("X and Y have different element types " +
                   str(typeOf(x).getElementType()) + " and " +
                   str(typeOf(y).getElementType()));
  return setResult(nc, nc.create<fg::SelectOp>({cond, x, y}));
}

/// Broadcasts the input with the shape input (both ways, as ONNX Expand
/// does: a dimension 1 in `shape` keeps the input's).
LogicalResult onnximport::convertExpand(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(shape, nc.constantInts(1, "shape"));
  for (int64_t d : shape)
    if (d < 0)
      return nc.fail("shape entry " + Twine(d) + " is negative");
  auto result = fg::broadcastShapes(typeOf(x).getShape(), shape);
  if (failed(result))
    return nc.fail(
        "input shape " + str(typeOf(x)) + " does not broadcast with shape [" +
        llvm::join(
            llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }),
            ", ") +
        "]");
  return setResult(
      nc, nc.createTyped<fg::BroadcastToOp>(typeOf(x).clone(*result), x));
}

/// x != x: only NaN is unordered with itself.
LogicalResult onnximport::convertIsNaN(NodeContext &nc) {
  TRY(x, nc.input(0));
  if (!isa<FloatType>(typeOf(x).getElementType()))
    return nc.fail("input must be a floating-point tensor, got " +
                   str(typeOf(x)));
  return setResult(nc, compare(nc, "ne", x, x));
}

/// x == +inf or x == -inf, as detect_positive and detect_negative ask.
LogicalResult onnximport::convertIsInf(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  if (!isa<FloatType>(xt.getElementType()))
    return nc.fail("input must be a floating-point tensor, got " + str(xt));
  TRY(positive, nc.attrInt("detect_positive", 1));
  TRY(negative, nc.attrInt("detect_negative", 1));
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  double inf = std::numeric_limits<double>::infinity();
  Value hits = fg::splat(b, loc, xt, 0.0);
  for (auto [wanted, value] : {std::pair{positive, inf}, {negative, -inf}})
    if (wanted)
      hits = fg::AddOp::create(
          b, loc, hits,
          fg::CompareOp::create(b, loc, x,
                                fg::scalar(b, loc, xt.getElementType(), value),
                                b.getStringAttr("eq")));
  return setResult(nc,
                   nc.createTyped<fg::CastOp>(xt.clone(b.getI1Type()), hits));
}
