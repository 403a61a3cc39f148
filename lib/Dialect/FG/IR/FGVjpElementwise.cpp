//===- FGVjpElementwise.cpp - Reverse-mode rules of elementwise ops -------===//
//
// VjpOpInterface::buildVjp of neg, the binary elementwise ops, the
// softmaxes, casts and comparisons (conventions in FGVjp.cpp; the pointwise
// functions share one rule with their JVP in FGMath.cpp). Each rule
// multiplies the cotangent by the same local derivative its JVP rule
// (FGJvp.cpp) multiplies the tangent by, and sums broadcast operands back
// to their shapes.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGBuilders.h"

using namespace mlir;
using namespace fgc::fg;

namespace {

Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return MulOp::create(b, loc, x, y);
}

} // namespace

FailureOr<Value> NegOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  return NegOp::create(b, getLoc(), cot).getResult();
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
