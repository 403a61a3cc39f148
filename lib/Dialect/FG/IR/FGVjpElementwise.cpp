//===- FGVjpElementwise.cpp - Reverse-mode rules of elementwise ops -------===//
//
// VjpOpInterface::buildVjp of the unary and binary elementwise ops, the
// softmaxes, casts and comparisons (conventions in FGVjp.cpp). Each rule
// multiplies the cotangent by the same local derivative its JVP rule
// (FGJvp.cpp) multiplies the tangent by, and sums broadcast operands back
// to their shapes.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGBuilders.h"

#include <cmath>

using namespace mlir;
using namespace fgc::fg;

namespace {

Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return MulOp::create(b, loc, x, y);
}

/// The cotangent times a local derivative `d` of the (single) operand.
FailureOr<Value> times(OpBuilder &b, Operation *op, Value cot, Value d) {
  return mul(b, op->getLoc(), cot, d);
}

} // namespace

FailureOr<Value> NegOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  return NegOp::create(b, getLoc(), cot).getResult();
}

FailureOr<Value> AbsOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  Location loc = getLoc();
  if (!isa<FloatType>(eltOf(getInput())))
    return Value();
  Value zero = scalar(b, loc, eltOf(getInput()), 0.0);
  auto cmp = [&](StringRef p) {
    return CompareOp::create(b, loc, getInput(), zero, b.getStringAttr(p));
  };
  Value sign = SubOp::create(b, loc, cmp("gt"), cmp("lt"));
  return times(b, *this, cot, sign);
}

FailureOr<Value> ExpOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  return times(b, *this, cot, getResult());
}

FailureOr<Value> LogOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  return DivOp::create(b, getLoc(), cot, getInput()).getResult();
}

FailureOr<Value> SqrtOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  Location loc = getLoc();
  Value twice = mul(b, loc, getResult(), scalar(b, loc, eltOf(cot), 2.0));
  return DivOp::create(b, loc, cot, twice).getResult();
}

FailureOr<Value> ErfOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  Location loc = getLoc();
  Value x = getInput();
  Value e = ExpOp::create(b, loc, NegOp::create(b, loc, mul(b, loc, x, x)));
  return times(b, *this, cot,
               mul(b, loc, e, scalar(b, loc, eltOf(x), 2.0 / std::sqrt(M_PI))));
}

FailureOr<Value> SigmoidOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  Location loc = getLoc();
  Value y = getResult();
  Value d =
      mul(b, loc, y, SubOp::create(b, loc, scalar(b, loc, eltOf(y), 1.0), y));
  return times(b, *this, cot, d);
}

FailureOr<Value> TanhOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  Location loc = getLoc();
  Value y = getResult();
  Value d =
      SubOp::create(b, loc, scalar(b, loc, eltOf(y), 1.0), mul(b, loc, y, y));
  return times(b, *this, cot, d);
}

FailureOr<Value> LeakyReluOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  // alpha + (1 - alpha) [x >= 0].
  Location loc = getLoc();
  Type elt = eltOf(getInput());
  double alpha = getAlpha().convertToDouble();
  Value step = CompareOp::create(b, loc, getInput(), scalar(b, loc, elt, 0.0),
                                 b.getStringAttr("ge"));
  Value d =
      AddOp::create(b, loc, mul(b, loc, step, scalar(b, loc, elt, 1 - alpha)),
                    scalar(b, loc, elt, alpha));
  return times(b, *this, cot, d);
}

FailureOr<Value> DivOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  // y = a / b: da = g / b, db = -g y / b.
  Location loc = getLoc();
  if (!isa<FloatType>(eltOf(getResult())))
    return Value();
  Value q = DivOp::create(b, loc, cot, getRhs());
  if (i == 1)
    q = NegOp::create(b, loc, mul(b, loc, q, getResult()));
  return unbroadcast(b, loc, q, getOperand(i).getType());
}

FailureOr<Value> PowOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  // y = a^b: da = g b a^(b-1), db = g y log(a).
  Location loc = getLoc();
  Value a = getLhs(), e = getRhs();
  Value d;
  if (i == 0) {
    Value em1 = SubOp::create(b, loc, e, scalar(b, loc, eltOf(e), 1.0));
    d = mul(b, loc, e, PowOp::create(b, loc, a, em1));
  } else {
    d = mul(b, loc, getResult(), LogOp::create(b, loc, a));
  }
  return unbroadcast(b, loc, mul(b, loc, cot, d), getOperand(i).getType());
}

FailureOr<Value> SoftmaxOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  // dx = y (g - sum(g y)) over the axis.
  Location loc = getLoc();
  Value y = getResult();
  Value s = reduceSum(b, loc, mul(b, loc, cot, y),
                      {static_cast<int64_t>(getAxis())}, true);
  return mul(b, loc, y, SubOp::create(b, loc, cot, s));
}

FailureOr<Value> LogSoftmaxOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  // dx = g - softmax(x) sum(g) over the axis.
  Location loc = getLoc();
  Value p = ExpOp::create(b, loc, getResult());
  Value s = reduceSum(b, loc, cot, {static_cast<int64_t>(getAxis())}, true);
  return SubOp::create(b, loc, cot, mul(b, loc, p, s)).getResult();
}

FailureOr<Value> CastOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  // Only float-to-float casts carry a derivative (rounded back).
  Type from = eltOf(getInput());
  if (!isa<FloatType>(from) || !isa<FloatType>(eltOf(getResult())))
    return Value();
  return CastOp::create(b, getLoc(), typeOf(getInput()), cot).getResult();
}

FailureOr<Value> CompareOp::buildVjp(OpBuilder &, unsigned, Value) {
  return Value(); // piecewise constant
}
