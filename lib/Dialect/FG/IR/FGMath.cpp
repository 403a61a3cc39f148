//===- FGMath.cpp - Derivatives of the pointwise functions ----------------===//
//
// The pointwise functions (FG_MathOp in FGOps.td: activations, exp, log,
// sqrt, erf, abs, trigonometric, hyperbolic and rounding ops) share their
// rules: the JVP multiplies the tangent and the VJP the cotangent by f'(x)
// from buildDerivative, which is null (no derivative) for the
// piecewise-constant rounding ops and for integer data. Derivatives that
// the result gives cheaply (exp, sqrt, sigmoid, tanh, tan) reuse it.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/IR/JvpBuilder.h"

#include <cmath>

using namespace mlir;
using namespace fgc::fg;

namespace {

struct Math {
  OpBuilder &b;
  Location loc;
  Type elt;
  Value c(double v) { return scalar(b, loc, elt, v); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value sq(Value x) { return mul(x, x); }
  Value rsqrt(Value x) { return div(c(1.0), SqrtOp::create(b, loc, x)); }
  /// 1 where `x predicate 0` holds, else 0.
  Value step(StringRef predicate, Value x) {
    return CompareOp::create(b, loc, x, c(0.0), b.getStringAttr(predicate));
  }
};

} // namespace

#define FG_MATH_DERIVATIVE(OP, EXPR)                                           \
  Value OP::buildDerivative(OpBuilder &b, Location loc) {                      \
    Math m{b, loc, eltOf(getInput())};                                         \
    Value x = getInput(), y = getResult();                                     \
    (void)m;                                                                   \
    (void)x;                                                                   \
    (void)y;                                                                   \
    return EXPR;                                                               \
  }                                                                            \
  LogicalResult OP::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {    \
    Value d = buildDerivative(jb.b, jb.loc);                                   \
    out.push_back(d ? jb.mul(jb.tangent(0), d) : Value());                     \
    return success();                                                          \
  }                                                                            \
  FailureOr<Value> OP::buildVjp(OpBuilder &b, unsigned, Value cot) {           \
    Value d = buildDerivative(b, getLoc());                                    \
    return d ? MulOp::create(b, getLoc(), cot, d).getResult() : Value();       \
  }

FG_MATH_DERIVATIVE(AbsOp, isa<FloatType>(m.elt)
                              ? m.sub(m.step("gt", x), m.step("lt", x))
                              : Value())
FG_MATH_DERIVATIVE(ExpOp, y)
FG_MATH_DERIVATIVE(LogOp, m.div(m.c(1.0), x))
FG_MATH_DERIVATIVE(SqrtOp, m.div(m.c(0.5), y))
// 2 / sqrt(pi) exp(-x^2).
FG_MATH_DERIVATIVE(ErfOp,
                   m.mul(ExpOp::create(b, loc, NegOp::create(b, loc, m.sq(x))),
                         m.c(2.0 / std::sqrt(M_PI))))
FG_MATH_DERIVATIVE(ReluOp, m.step("gt", x))
// alpha + (1 - alpha) [x >= 0]: x's derivative at 0 is 1, as PyTorch's.
FG_MATH_DERIVATIVE(LeakyReluOp,
                   m.add(m.mul(m.step("ge", x),
                               m.c(1.0 - getAlpha().convertToDouble())),
                         m.c(getAlpha().convertToDouble())))
FG_MATH_DERIVATIVE(SigmoidOp, m.mul(y, m.sub(m.c(1.0), y)))
FG_MATH_DERIVATIVE(TanhOp, m.sub(m.c(1.0), m.sq(y)))
FG_MATH_DERIVATIVE(SinOp, CosOp::create(b, loc, x).getResult())
FG_MATH_DERIVATIVE(CosOp,
                   NegOp::create(b, loc, SinOp::create(b, loc, x)).getResult())
FG_MATH_DERIVATIVE(TanOp, m.add(m.c(1.0), m.sq(y)))
FG_MATH_DERIVATIVE(AsinOp, m.rsqrt(m.sub(m.c(1.0), m.sq(x))))
FG_MATH_DERIVATIVE(
    AcosOp,
    NegOp::create(b, loc, m.rsqrt(m.sub(m.c(1.0), m.sq(x)))).getResult())
FG_MATH_DERIVATIVE(AtanOp, m.div(m.c(1.0), m.add(m.c(1.0), m.sq(x))))
FG_MATH_DERIVATIVE(SinhOp, CoshOp::create(b, loc, x).getResult())
FG_MATH_DERIVATIVE(CoshOp, SinhOp::create(b, loc, x).getResult())
FG_MATH_DERIVATIVE(AsinhOp, m.rsqrt(m.add(m.sq(x), m.c(1.0))))
FG_MATH_DERIVATIVE(AcoshOp, m.rsqrt(m.sub(m.sq(x), m.c(1.0))))
FG_MATH_DERIVATIVE(AtanhOp, m.div(m.c(1.0), m.sub(m.c(1.0), m.sq(x))))
FG_MATH_DERIVATIVE(FloorOp, Value())
FG_MATH_DERIVATIVE(CeilOp, Value())
FG_MATH_DERIVATIVE(RoundOp, Value())
