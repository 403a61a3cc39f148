//===- FGJvp.cpp - Forward-mode derivative rules of the fg ops ------------===//
//
// One JvpOpInterface::buildJvp per op: here the elementwise, data-movement
// and training ops; matrix products, convolution, pooling, reductions and
// normalisation in FGJvpLayers.cpp; the pointwise functions in FGMath.cpp.
// Conventions (see JvpBuilder.h): a null tangent is a symbolic zero; with
// K > 1 directions tangents have a leading [K] dimension; a rule may return
// a tangent of a smaller, broadcastable shape (the pass broadcasts it to
// the full tangent type).
// docs/jvp.md lists the rules in mathematical form.
//
//===----------------------------------------------------------------------===//

#include "JvpHelpers.h"

using namespace mlir;
using namespace fgc::fg;
using namespace fgc::fg::jvp;

//===----------------------------------------------------------------------===//
// Ops without tangents
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::buildJvp(JvpBuilder &, SmallVectorImpl<Value> &out) {
  return single(out, nullptr);
}
LogicalResult ShapeOp::buildJvp(JvpBuilder &, SmallVectorImpl<Value> &out) {
  return single(out, nullptr);
}
LogicalResult ParamOp::buildJvp(JvpBuilder &, SmallVectorImpl<Value> &out) {
  // Parameters are differentiated by seeding (fg-jvp wrt=params).
  return single(out, nullptr);
}
LogicalResult StopGradientOp::buildJvp(JvpBuilder &,
                                       SmallVectorImpl<Value> &out) {
  return single(out, nullptr);
}
LogicalResult CompareOp::buildJvp(JvpBuilder &, SmallVectorImpl<Value> &out) {
  return single(out, nullptr);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  return single(
      out, jb.add(alignedTangent(jb, *this, 0), alignedTangent(jb, *this, 1)));
}

LogicalResult SubOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  return single(
      out, jb.sub(alignedTangent(jb, *this, 0), alignedTangent(jb, *this, 1)));
}

LogicalResult MulOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // d(ab) = da b + a db.
  return single(out, jb.add(jb.mul(alignedTangent(jb, *this, 0), getRhs()),
                            jb.mul(getLhs(), alignedTangent(jb, *this, 1))));
}

LogicalResult DivOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // d(a/b) = (da - y db) / b with y = a/b.
  Value num = jb.sub(alignedTangent(jb, *this, 0),
                     jb.mul(getResult(), alignedTangent(jb, *this, 1)));
  return single(out, jb.div(num, getRhs()));
}

LogicalResult PowOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // d(a^b) = b a^(b-1) da + y log(a) db.
  Value a = getLhs(), b = getRhs();
  Value t;
  if (Value ta = alignedTangent(jb, *this, 0)) {
    Value bm1 = jb.create<SubOp>(b, jb.scalar(eltOf(b), 1.0));
    Value d = jb.mul(b, jb.create<PowOp>(a, bm1));
    t = jb.mul(ta, d);
  }
  if (Value tb = alignedTangent(jb, *this, 1))
    t = jb.add(t, jb.mul(tb, jb.mul(getResult(), jb.create<LogOp>(a))));
  return single(out, t);
}

/// The tangent of max/min: that of the operand selected, where `predicate`
/// (lhs against rhs) holds the left one.
static Value selectedTangent(JvpBuilder &jb, Operation *op,
                             StringRef predicate) {
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  if (!isa<FloatType>(eltOf(lhs)))
    return nullptr;
  Value ta = alignedTangent(jb, op, 0), tb = alignedTangent(jb, op, 1);
  Value left = compare(jb, predicate, lhs, rhs);
  Value right = jb.create<SubOp>(jb.scalar(eltOf(lhs), 1.0), left);
  return jb.add(jb.mul(ta, left), jb.mul(tb, right));
}

LogicalResult MaxOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  return single(out, selectedTangent(jb, *this, "ge"));
}

LogicalResult MinOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  return single(out, selectedTangent(jb, *this, "le"));
}

LogicalResult SelectOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Value tl = alignedTangent(jb, *this, 1), tr = alignedTangent(jb, *this, 2);
  if (!tl && !tr)
    return single(out, nullptr);
  Value zero = jb.scalar(eltOf(getLhs()), 0.0);
  return single(out,
                jb.create<SelectOp>(getCond(), tl ? tl : zero, tr ? tr : zero));
}

LogicalResult NegOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  return single(out, jb.neg(jb.tangent(0)));
}

LogicalResult CastOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Type to = eltOf(getResult());
  if (!isa<FloatType>(eltOf(getInput())) || !isa<FloatType>(to))
    return single(out, nullptr);
  return single(out, CastOp::create(jb.b, jb.loc,
                                    jb.tangentType(getType()).clone(to),
                                    jb.tangent(0))
                         .getResult());
}

LogicalResult BroadcastToOp::buildJvp(JvpBuilder &jb,
                                      SmallVectorImpl<Value> &out) {
  // The pass broadcasts the aligned tangent to the result's tangent type.
  return single(
      out, jb.align(jb.tangent(0), rankOf(getInput()), rankOf(getResult())));
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  return single(
      out, jb.reshape(jb.tangent(0), jb.tangentType(getType()).getShape()));
}

LogicalResult TransposeOp::buildJvp(JvpBuilder &jb,
                                    SmallVectorImpl<Value> &out) {
  SmallVector<int64_t> perm;
  if (jb.batched())
    perm.push_back(0);
  for (int64_t p : getPerm())
    perm.push_back(jb.axis(p));
  return single(out, jb.create<TransposeOp>(jb.tangent(0),
                                            jb.b.getDenseI64ArrayAttr(perm)));
}

LogicalResult ConcatOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  SmallVector<Value> parts;
  for (auto [i, in] : llvm::enumerate(getInputs())) {
    Value t = jb.tangent(i);
    parts.push_back(t ? t : jb.zero(in.getType()));
  }
  return single(out, jb.create<ConcatOp>(
                         parts, jb.b.getI64IntegerAttr(jb.axis(getAxis()))));
}

LogicalResult SliceOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  SmallVector<int64_t> starts, ends, steps;
  if (jb.batched()) {
    starts.push_back(0);
    ends.push_back(jb.numTangents());
    steps.push_back(1);
  }
  llvm::append_range(starts, getStarts());
  llvm::append_range(ends, getEnds());
  llvm::append_range(steps, getSteps());
  return single(out, SliceOp::create(jb.b, jb.loc, jb.tangent(0),
                                     jb.b.getDenseI64ArrayAttr(starts),
                                     jb.b.getDenseI64ArrayAttr(ends),
                                     jb.b.getDenseI64ArrayAttr(steps)));
}

LogicalResult GatherOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Value t = jb.tangent(0);
  if (!t)
    return single(out, nullptr);
  return single(out,
                GatherOp::create(jb.b, jb.loc, t, getIndices(),
                                 jb.b.getI64IntegerAttr(jb.axis(getAxis()))));
}

//===----------------------------------------------------------------------===//
// Local-loss training
//===----------------------------------------------------------------------===//

LogicalResult PerturbOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // The site's own direction is added by whoever seeds it (fg-train-step).
  return single(out, jb.tangent(0));
}
LogicalResult DropoutOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // The identity; a training step that drops rewrites the op beforehand.
  return single(out, jb.tangent(0));
}
LogicalResult OneHotOp::buildJvp(JvpBuilder &, SmallVectorImpl<Value> &out) {
  return single(out, nullptr);
}
LogicalResult ArgMaxOp::buildJvp(JvpBuilder &, SmallVectorImpl<Value> &out) {
  return single(out, nullptr);
}
LogicalResult RandomNormalOp::buildJvp(JvpBuilder &,
                                       SmallVectorImpl<Value> &out) {
  return single(out, nullptr);
}

LogicalResult CrossEntropyOp::buildJvp(JvpBuilder &jb,
                                       SmallVectorImpl<Value> &out) {
  Value delta =
      CrossEntropyOp::buildDelta(jb.b, jb.loc, getLogits(), getLabels());
  return single(out, reduceSum(jb.b, jb.loc, jb.mul(jb.tangent(0), delta),
                               {jb.axis(1)}, false));
}

LogicalResult LocalXentOp::buildJvp(JvpBuilder &jb,
                                    SmallVectorImpl<Value> &out) {
  // dl[n,p,g] = (1/P) sum_c dx[n,p,g,c] (W_g delta_n)[c]
  //             + (xbar_n dW + db) . delta_n             (spec §4.1)
  Value x = getInput(), w = getWeight();
  ArrayRef<int64_t> xs = typeOf(x).getShape();
  int64_t n = xs[0], p = xs[1], g = xs[2], cg = xs[3];
  auto [xbar, delta] = buildHead(jb.b);
  Value t;
  if (Value tx = jb.tangent(0)) {
    Value wt = jb.create<TransposeOp>(w, jb.b.getDenseI64ArrayAttr({1, 0}));
    Value v = jb.reshape(matmul(jb, delta, wt), {n, 1, g, cg});
    t = reduceSum(jb.b, jb.loc, jb.mul(tx, v), {jb.axis(3)}, false);
    t = jb.mul(t, jb.scalar(eltOf(x), 1.0 / static_cast<double>(p)));
    if (!getSpatial())
      t = reduceSum(jb.b, jb.loc, t, {jb.axis(1)}, true);
  }
  Value dlogits;
  if (Value tw = jb.tangent(1))
    dlogits = matmul(jb, xbar, tw);
  if (Value tb = jb.tangent(2))
    dlogits = jb.add(dlogits, jb.align(tb, 1, 2));
  if (dlogits) {
    Value shared =
        reduceSum(jb.b, jb.loc, jb.mul(dlogits, delta), {jb.axis(1)}, false);
    SmallVector<int64_t> shape;
    if (jb.batched())
      shape.push_back(jb.numTangents());
    llvm::append_range(shape, ArrayRef<int64_t>{n, 1, 1});
    t = jb.add(t, jb.reshape(shared, shape));
  }
  return single(out, t);
}
