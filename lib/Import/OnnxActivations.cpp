//===- OnnxActivations.cpp - ONNX activations as compositions of fg ops ---===//
//
// The activation functions ONNX defines as formulas (HardSigmoid, HardSwish,
// Softplus, Softsign, Elu, Selu, Celu, PRelu, ThresholdedRelu, Shrink,
// Reciprocal, Sign) and GlobalMaxPool, imported as the fg ops they are made
// of. Each composition is differentiable in both modes through its parts'
// rules, and is written so that no intermediate overflows where the
// function itself does not: exponentials only ever see min(x, 0) or -|x|,
// so a large input never produces inf * 0 = NaN in a derivative.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::typeOf;

namespace {

/// alpha * (exp(min(x, 0) / scale) - 1): the negative branch of Elu, Selu
/// and Celu, with an exponent that never overflows.
Value expm1OfNegativePart(Composer &k, Value x, double alpha, double scale) {
  Value neg = k.min(x, k.c(0.0));
  if (scale != 1.0)
    neg = k.div(neg, k.c(scale));
  return k.mul(k.c(alpha), k.sub(k.exp(neg), k.c(1.0)));
}

} // namespace

/// max(0, min(1, alpha x + beta)).
LogicalResult onnximport::convertHardSigmoid(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  double alpha = k.attr("alpha", 0.2), beta = k.attr("beta", 0.5);
  Value lin = k.add(k.mul(x, k.c(alpha)), k.c(beta));
  return k.finish(k.max(k.min(lin, k.c(1.0)), k.c(0.0)));
}

/// x * HardSigmoid(x) with alpha = 1/6, beta = 1/2.
LogicalResult onnximport::convertHardSwish(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  Value lin = k.add(k.mul(x, k.c(1.0 / 6.0)), k.c(0.5));
  return k.finish(k.mul(x, k.max(k.min(lin, k.c(1.0)), k.c(0.0))));
}

/// log(1 + exp(x)) as relu(x) + log(1 + exp(-|x|)): no overflow.
LogicalResult onnximport::convertSoftplus(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  Value tail =
      k.unary<fg::LogOp>(k.add(k.c(1.0), k.exp(k.unary<fg::NegOp>(k.abs(x)))));
  return k.finish(k.add(k.relu(x), tail));
}

/// x / (1 + |x|).
LogicalResult onnximport::convertSoftsign(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  return k.finish(k.div(x, k.add(k.c(1.0), k.abs(x))));
}

/// x > 0 ? x : alpha (exp(x) - 1).
LogicalResult onnximport::convertElu(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  double alpha = k.attr("alpha", 1.0);
  return k.finish(k.add(k.relu(x), expm1OfNegativePart(k, x, alpha, 1.0)));
}

/// gamma (x > 0 ? x : alpha (exp(x) - 1)).
LogicalResult onnximport::convertSelu(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  double alpha = k.attr("alpha", 1.67326319217681884765625);
  double gamma = k.attr("gamma", 1.05070102214813232421875);
  Value elu = k.add(k.relu(x), expm1OfNegativePart(k, x, alpha, 1.0));
  return k.finish(k.mul(k.c(gamma), elu));
}

/// max(0, x) + min(0, alpha (exp(x / alpha) - 1)).
LogicalResult onnximport::convertCelu(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  double alpha = k.attr("alpha", 1.0);
  if (alpha == 0.0)
    return nc.fail("alpha must not be 0");
  return k.finish(k.add(k.relu(x), expm1OfNegativePart(k, x, alpha, alpha)));
}

/// x >= 0 ? x : slope x, the slope broadcast against x.
LogicalResult onnximport::convertPRelu(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  FailureOr<Value> slope = nc.input(1);
  if (failed(slope))
    return failure();
  return k.finish(k.add(k.relu(x), k.mul(*slope, k.min(x, k.c(0.0)))));
}

/// x > alpha ? x : 0.
LogicalResult onnximport::convertThresholdedRelu(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  double alpha = k.attr("alpha", 1.0);
  return k.finish(k.mul(x, k.mask("gt", x, k.c(alpha))));
}

/// x < -lambd ? x + bias : x > lambd ? x - bias : 0.
LogicalResult onnximport::convertShrink(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  double bias = k.attr("bias", 0.0), lambd = k.attr("lambd", 0.5);
  Value low = k.mul(k.add(x, k.c(bias)), k.mask("lt", x, k.c(-lambd)));
  Value high = k.mul(k.sub(x, k.c(bias)), k.mask("gt", x, k.c(lambd)));
  return k.finish(k.add(low, high));
}

/// 1 / x.
LogicalResult onnximport::convertReciprocal(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  return k.finish(k.div(k.c(1.0), x));
}

/// (x > 0) - (x < 0): piecewise constant, so its derivatives are zero.
LogicalResult onnximport::convertSign(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  return k.finish(k.sub(k.mask("gt", x, k.c(0.0)), k.mask("lt", x, k.c(0.0))));
}

/// The maximum over every axis after the first two, kept as size 1.
LogicalResult onnximport::convertGlobalMaxPool(NodeContext &nc) {
  FailureOr<Value> x = nc.input(0);
  if (failed(x))
    return failure();
  int64_t rank = typeOf(*x).getRank();
  if (rank < 3)
    return nc.fail("input must have rank 3 or more (N, C, spatial...), got " +
                   str(typeOf(*x)));
  SmallVector<int64_t> axes;
  for (int64_t a = 2; a < rank; ++a)
    axes.push_back(a);
  FailureOr<Value> y = nc.create<fg::ReduceMaxOp>(
      {*x}, {nc.namedArray("axes", axes), nc.namedBool("keepdims", true)});
  if (failed(y))
    return failure();
  nc.setOutput(0, *y);
  return success();
}
