//===- FGVjp.cpp - Reverse-mode derivative rules of the fg ops ------------===//
//
// VjpOpInterface::buildVjp of every fg op that carries float data: here the
// shape ops, reductions, matrix products, normalisations and losses; in
// FGVjpElementwise.cpp the elementwise ops, FGVjpMovement.cpp concat, slice
// and gather, FGVjpPooling.cpp pooling, FGVjpConv.cpp convolution. A rule
// gets the cotangent of the result (same type as the result) and returns
// the cotangent of one operand with that operand's type, or null for zero.
// The reverse sweep that drives them is fgc::fg::propagateCotangents
// (lib/Dialect/FG/Transforms/Differentiation.cpp), which fg-vjp and
// fg-train-step run.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGBuilders.h"

using namespace mlir;
using namespace fgc::fg;

namespace {

/// A reduced cotangent broadcast back over the reduced axes.
Value expandReduced(OpBuilder &b, Location loc, Value cot, Value input,
                    ArrayRef<int64_t> opAxes) {
  ArrayRef<int64_t> shape = typeOf(input).getShape();
  SmallVector<int64_t> kept(shape);
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    if (opAxes.empty() || llvm::is_contained(opAxes, i))
      kept[i] = 1;
  return BroadcastToOp::create(b, loc, typeOf(input),
                               reshape(b, loc, cot, kept));
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise and shape
//===----------------------------------------------------------------------===//

FailureOr<Value> AddOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  return unbroadcast(b, getLoc(), cot, getOperand(i).getType());
}

FailureOr<Value> SubOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  Value c = unbroadcast(b, getLoc(), cot, getOperand(i).getType());
  return i == 0 ? c : NegOp::create(b, getLoc(), c).getResult();
}

FailureOr<Value> MulOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  Value prod = MulOp::create(b, getLoc(), cot, getOperand(1 - i));
  return unbroadcast(b, getLoc(), prod, getOperand(i).getType());
}

/// The cotangent of operand `i` of max/min: the result's where that operand
/// was selected (`predicate`, lhs against rhs, holds for the left one).
FailureOr<Value> selectedCotangent(OpBuilder &b, Operation *op, unsigned i,
                                   StringRef predicate, Value cot) {
  Location loc = op->getLoc();
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  if (!isa<FloatType>(eltOf(lhs)))
    return Value();
  Value mask = CompareOp::create(b, loc, lhs, rhs, b.getStringAttr(predicate));
  if (i == 1)
    mask = SubOp::create(b, loc, scalar(b, loc, eltOf(lhs), 1.0), mask);
  Value masked = MulOp::create(b, loc, cot, mask);
  return unbroadcast(b, loc, masked, op->getOperand(i).getType());
}

FailureOr<Value> MaxOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  return selectedCotangent(b, *this, i, "ge", cot);
}

FailureOr<Value> MinOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  return selectedCotangent(b, *this, i, "le", cot);
}

FailureOr<Value> SelectOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  if (i == 0 || !isa<FloatType>(eltOf(getResult())))
    return Value();
  Location loc = getLoc();
  Value zero = scalar(b, loc, eltOf(cot), 0.0);
  Value picked = i == 1 ? SelectOp::create(b, loc, getCond(), cot, zero)
                        : SelectOp::create(b, loc, getCond(), zero, cot);
  return unbroadcast(b, loc, picked, getOperand(i).getType());
}

FailureOr<Value> ReshapeOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  return reshape(b, getLoc(), cot, typeOf(getInput()).getShape());
}

FailureOr<Value> TransposeOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = static_cast<int64_t>(i);
  return transpose(b, getLoc(), cot, inverse);
}

FailureOr<Value> BroadcastToOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  return unbroadcast(b, getLoc(), cot, getInput().getType());
}

FailureOr<Value> StopGradientOp::buildVjp(OpBuilder &, unsigned, Value) {
  return Value();
}

FailureOr<Value> PerturbOp::buildVjp(OpBuilder &, unsigned, Value cot) {
  return cot;
}

FailureOr<Value> DropoutOp::buildVjp(OpBuilder &, unsigned, Value cot) {
  return cot;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

FailureOr<Value> ReduceSumOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  return expandReduced(b, getLoc(), cot, getInput(), getAxes());
}

FailureOr<Value> ReduceMeanOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  int64_t in = typeOf(getInput()).getNumElements();
  int64_t outN = typeOf(getResult()).getNumElements();
  Value c = MulOp::create(
      b, getLoc(), cot,
      scalar(b, getLoc(), eltOf(cot), static_cast<double>(outN) / in));
  return expandReduced(b, getLoc(), c, getInput(), getAxes());
}

FailureOr<Value> ReduceMaxOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  Location loc = getLoc();
  if (!isa<FloatType>(eltOf(getInput())))
    return Value();
  Value c = expandReduced(b, loc, cot, getInput(), getAxes());
  Value m = expandReduced(b, loc, getResult(), getInput(), getAxes());
  Value mask = CompareOp::create(b, loc, getInput(), m, b.getStringAttr("eq"));
  return MulOp::create(b, loc, c, mask).getResult();
}

//===----------------------------------------------------------------------===//
// Linear layers
//===----------------------------------------------------------------------===//

FailureOr<Value> MatMulOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  Location loc = getLoc();
  Value a = getLhs(), w = getRhs();
  // NumPy promotes a vector lhs to a row [1, K] and a vector rhs to a
  // column [K, 1], and drops that axis from the result: differentiate the
  // matrix product and reshape back.
  if (rankOf(a) == 1 || rankOf(w) == 1) {
    SmallVector<int64_t> as(shapeOf(a)), ws(shapeOf(w));
    if (as.size() == 1)
      as.insert(as.begin(), 1);
    if (ws.size() == 1)
      ws.push_back(1);
    Value a2 = reshape(b, loc, a, as), w2 = reshape(b, loc, w, ws);
    auto full = MatMulOp::create(b, loc, a2, w2);
    Value c2 = reshape(b, loc, cot, shapeOf(full.getResult()));
    FailureOr<Value> d = full.buildVjp(b, i, c2);
    full.erase();
    if (failed(d))
      return failure();
    return reshape(b, loc, *d, shapeOf(getOperand(i)));
  }
  if (i == 0) {
    Value d = MatMulOp::create(b, loc, cot, transposeLast(b, loc, w));
    return unbroadcast(b, loc, d, a.getType());
  }
  ArrayRef<int64_t> as = typeOf(a).getShape();
  if (rankOf(w) == 2) {
    // Fold every leading dimension into rows: one [K, rows] x [rows, N]
    // product instead of a batch of them summed afterwards.
    int64_t rows = typeOf(a).getNumElements() / as.back();
    int64_t n = typeOf(cot).getShape().back();
    Value a2 = reshape(b, loc, a, {rows, as.back()});
    Value c2 = reshape(b, loc, cot, {rows, n});
    return MatMulOp::create(b, loc, transposeLast(b, loc, a2), c2).getResult();
  }
  Value d = MatMulOp::create(b, loc, transposeLast(b, loc, a), cot);
  return unbroadcast(b, loc, d, w.getType());
}

FailureOr<Value> GemmOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  // Y = alpha op(A) op(B) + beta C.
  Location loc = getLoc();
  Type elt = eltOf(cot);
  if (i == 2)
    return unbroadcast(
        b, loc,
        MulOp::create(b, loc, cot,
                      scalar(b, loc, elt, getBeta().convertToDouble())),
        getC().getType());
  Value scaled = MulOp::create(
      b, loc, cot, scalar(b, loc, elt, getAlpha().convertToDouble()));
  Value opA = getTransA() ? transposeLast(b, loc, getA()) : getA();
  Value opB = getTransB() ? transposeLast(b, loc, getB()) : getB();
  if (i == 0) {
    Value d = MatMulOp::create(b, loc, scaled, transposeLast(b, loc, opB));
    return getTransA() ? transposeLast(b, loc, d) : d;
  }
  Value d = MatMulOp::create(b, loc, transposeLast(b, loc, opA), scaled);
  return getTransB() ? transposeLast(b, loc, d) : d;
}

FailureOr<Value> LayerNormOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  // xhat = (x - mu) / sigma; y = xhat s + b.
  // dx = (g - mean(g) - xhat mean(g xhat)) / sigma with g = cot s.
  Location loc = getLoc();
  SmallVector<int64_t> axes = getNormalizedAxes();
  auto mean = [&](Value v) { return reduceMean(b, loc, v, axes, true); };
  Parts parts = buildParts(b);
  Value sigma = parts.stdDev, xhat = parts.normalized;
  if (i == 0) {
    Value g =
        getScale() ? MulOp::create(b, loc, cot, getScale()).getResult() : cot;
    Value gm = mean(g);
    Value gx = mean(MulOp::create(b, loc, g, xhat));
    Value d = SubOp::create(b, loc, SubOp::create(b, loc, g, gm),
                            MulOp::create(b, loc, xhat, gx));
    return DivOp::create(b, loc, d, sigma).getResult();
  }
  if (i == 1)
    return unbroadcast(b, loc, MulOp::create(b, loc, cot, xhat),
                       getScale().getType());
  return unbroadcast(b, loc, cot, getBias().getType());
}

FailureOr<Value> BatchNormOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  // y = (x - m) r s + c with r = 1 / sqrt(v + eps), per channel (axis 1).
  Location loc = getLoc();
  Value x = getInput();
  Type elt = eltOf(x);
  int64_t rank = rankOf(x), channels = shapeOf(x)[1];
  SmallVector<int64_t> perChannel(rank, 1);
  perChannel[1] = channels;
  auto channel = [&](Value v) { return reshape(b, loc, v, perChannel); };
  // Sum over every axis but the channel axis, as [C].
  auto total = [&](Value v) {
    SmallVector<int64_t> axes = {0};
    for (int64_t d = 2; d < rank; ++d)
      axes.push_back(d);
    return reduceSum(b, loc, v, axes, false);
  };
  Value r = DivOp::create(
      b, loc, scalar(b, loc, elt, 1.0),
      SqrtOp::create(
          b, loc,
          AddOp::create(b, loc, channel(getVar()),
                        scalar(b, loc, elt, getEpsilon().convertToDouble()))));
  Value s = channel(getScale());
  Value centered = SubOp::create(b, loc, x, channel(getMean()));
  switch (i) {
  case 0:
    return MulOp::create(b, loc, cot, MulOp::create(b, loc, r, s)).getResult();
  case 1:
    return total(
        MulOp::create(b, loc, cot, MulOp::create(b, loc, centered, r)));
  case 2:
    return total(cot);
  case 3:
    return NegOp::create(
               b, loc,
               total(MulOp::create(b, loc, cot, MulOp::create(b, loc, r, s))))
        .getResult();
  default: {
    // d r / d v = -r^3 / 2.
    Value r3 = MulOp::create(b, loc, MulOp::create(b, loc, r, r), r);
    Value d =
        MulOp::create(b, loc, MulOp::create(b, loc, centered, s),
                      MulOp::create(b, loc, r3, scalar(b, loc, elt, -0.5)));
    return total(MulOp::create(b, loc, cot, d));
  }
  }
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

FailureOr<Value> CrossEntropyOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  if (i != 0)
    return Value();
  Location loc = getLoc();
  Value delta = buildDelta(b, loc, getLogits(), getLabels());
  int64_t n = typeOf(cot).getDimSize(0);
  return MulOp::create(b, loc, delta, reshape(b, loc, cot, {n, 1})).getResult();
}

FailureOr<Value> LocalXentOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  // The exact VJP of the replicated construction (spec §2.2): every copy
  // has the head's full gradient; copy (p, g) sends W_g delta / P to slice
  // (p, g) only.
  if (i == 3)
    return Value();
  Location loc = getLoc();
  Value x = getInput(), w = getWeight();
  ArrayRef<int64_t> xs = typeOf(x).getShape();
  int64_t n = xs[0], p = xs[1], g = xs[2], cg = xs[3];
  auto [xbar, delta] = buildHead(b);
  if (i == 0) {
    Value v = reshape(
        b, loc, MatMulOp::create(b, loc, delta, transpose(b, loc, w, {1, 0})),
        {n, 1, g, cg});
    Value c = reshape(b, loc, cot, {n, typeOf(cot).getDimSize(1), g, 1});
    Value d =
        MulOp::create(b, loc, MulOp::create(b, loc, c, v),
                      scalar(b, loc, eltOf(x), 1.0 / static_cast<double>(p)));
    return BroadcastToOp::create(b, loc, typeOf(x), d).getResult();
  }
  Value gamma = reshape(b, loc, reduceSum(b, loc, cot, {1, 2}, false), {n, 1});
  Value scaled = MulOp::create(b, loc, delta, gamma);
  if (i == 1)
    return MatMulOp::create(b, loc, transpose(b, loc, xbar, {1, 0}), scaled)
        .getResult();
  return reduceSum(b, loc, scaled, {0}, false);
}
