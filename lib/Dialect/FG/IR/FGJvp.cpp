//===- FGJvp.cpp - Forward-mode derivative rules of the fg ops ------------===//
//
// One JvpOpInterface::buildJvp per op. Conventions (see JvpBuilder.h): a
// null tangent is a symbolic zero; with K > 1 directions tangents have a
// leading [K] dimension; a rule may return a tangent of a smaller,
// broadcastable shape (the pass broadcasts it to the full tangent type).
// docs/jvp.md lists the rules in mathematical form.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/IR/JvpBuilder.h"

#include <cmath>

using namespace mlir;
using namespace fgc::fg;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }
int64_t rankOf(Value v) { return typeOf(v).getRank(); }
Type eltOf(Value v) { return typeOf(v).getElementType(); }

/// Tangent of a broadcasting binary op's operand, aligned to the result.
Value alignedTangent(JvpBuilder &jb, Operation *op, unsigned i) {
  return jb.align(jb.tangent(i), rankOf(op->getOperand(i)),
                  rankOf(op->getResult(0)));
}

LogicalResult single(SmallVectorImpl<Value> &out, Value t) {
  out.push_back(t);
  return success();
}

/// `op` rebuilt on `operands` with its attributes, through its type
/// inference: the same linear op applied to tangents (avg_pool, conv).
template <typename OpTy>
Value sameOpOn(JvpBuilder &jb, OpTy op, ValueRange operands) {
  OperationState state(jb.loc, OpTy::getOperationName());
  state.addOperands(operands);
  state.addAttributes(op->getAttrs());
  SmallVector<Type> types;
  if (failed(OpTy::inferReturnTypes(
          jb.b.getContext(), jb.loc, state.operands,
          state.attributes.getDictionary(jb.b.getContext()), nullptr, {},
          types)))
    return nullptr;
  state.addTypes(types);
  return jb.b.create(state)->getResult(0);
}

/// Axes of a primal reduction as axes of the tangent (all primal axes when
/// the op's list is empty, so that the K dimension is never reduced).
SmallVector<int64_t> tangentAxes(JvpBuilder &jb, ArrayRef<int64_t> axes,
                                 int64_t rank) {
  SmallVector<int64_t> out;
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      out.push_back(jb.axis(d));
  else
    for (int64_t a : axes)
      out.push_back(jb.axis(a));
  return out;
}

Value reduceSum(JvpBuilder &jb, Value v, ArrayRef<int64_t> axes,
                bool keepdims) {
  return ReduceSumOp::create(jb.b, jb.loc, v, jb.b.getDenseI64ArrayAttr(axes),
                             jb.b.getBoolAttr(keepdims));
}

Value reduceMean(JvpBuilder &jb, Value v, ArrayRef<int64_t> axes,
                 bool keepdims) {
  return ReduceMeanOp::create(jb.b, jb.loc, v, jb.b.getDenseI64ArrayAttr(axes),
                              jb.b.getBoolAttr(keepdims));
}

Value compare(JvpBuilder &jb, StringRef predicate, Value x, Value y) {
  return CompareOp::create(jb.b, jb.loc, x, y, jb.b.getStringAttr(predicate));
}

/// matmul of a (tangent or primal) lhs with rank `rankA` primal and rhs
/// with `rankB`, both given as stored (tangents possibly with K).
Value matmul(JvpBuilder &jb, Value a, Value b) {
  return MatMulOp::create(jb.b, jb.loc, a, b);
}

/// Concatenates the primal (as [1, ...]) with its tangents ([K, ...] or
/// [1, ...]): the stacked operand of one matrix product for all.
Value stack(JvpBuilder &jb, Value primal, Value tangent) {
  SmallVector<int64_t> one = {1};
  llvm::append_range(one, typeOf(primal).getShape());
  Value p = jb.reshape(primal, one);
  Value t = jb.batched() ? tangent : jb.reshape(tangent, one);
  return ConcatOp::create(jb.b, jb.loc, ValueRange{p, t},
                          jb.b.getI64IntegerAttr(0));
}

/// Rows [from, to) of the leading dimension.
Value leading(JvpBuilder &jb, Value v, int64_t from, int64_t to) {
  RankedTensorType t = typeOf(v);
  SmallVector<int64_t> starts(t.getRank(), 0), ends(t.getShape()),
      steps(t.getRank(), 1);
  starts[0] = from;
  ends[0] = to;
  return SliceOp::create(jb.b, jb.loc, v, jb.b.getDenseI64ArrayAttr(starts),
                         jb.b.getDenseI64ArrayAttr(ends),
                         jb.b.getDenseI64ArrayAttr(steps));
}

} // namespace

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
Value selectedTangent(JvpBuilder &jb, Operation *op, StringRef predicate) {
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

LogicalResult AbsOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  if (!isa<FloatType>(eltOf(getInput())))
    return single(out, nullptr);
  Value zero = jb.scalar(eltOf(getInput()), 0.0);
  Value sign = jb.create<SubOp>(compare(jb, "gt", getInput(), zero),
                                compare(jb, "lt", getInput(), zero));
  return single(out, jb.mul(jb.tangent(0), sign));
}

LogicalResult ExpOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  return single(out, jb.mul(jb.tangent(0), getResult()));
}

LogicalResult LogOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  return single(out, jb.div(jb.tangent(0), getInput()));
}

LogicalResult SqrtOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // d sqrt(x) = dx / (2 y).
  Value twoY = jb.mul(getResult(), jb.scalar(eltOf(getInput()), 2.0));
  return single(out, jb.div(jb.tangent(0), twoY));
}

LogicalResult ErfOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // d erf(x) = 2/sqrt(pi) exp(-x^2) dx.
  Value x = getInput();
  Value e = jb.create<ExpOp>(jb.neg(jb.mul(x, x)));
  Value d = jb.mul(e, jb.scalar(eltOf(x), 2.0 / std::sqrt(M_PI)));
  return single(out, jb.mul(jb.tangent(0), d));
}

LogicalResult ReluOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Value mask = compare(jb, "gt", getInput(), jb.scalar(eltOf(getInput()), 0.0));
  return single(out, jb.mul(jb.tangent(0), mask));
}

LogicalResult LeakyReluOp::buildJvp(JvpBuilder &jb,
                                    SmallVectorImpl<Value> &out) {
  // alpha + (1 - alpha) [x >= 0].
  Type elt = eltOf(getInput());
  double alpha = getAlpha().convertToDouble();
  Value step = compare(jb, "ge", getInput(), jb.scalar(elt, 0.0));
  Value d =
      jb.add(jb.mul(step, jb.scalar(elt, 1.0 - alpha)), jb.scalar(elt, alpha));
  return single(out, jb.mul(jb.tangent(0), d));
}

LogicalResult SigmoidOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Value y = getResult();
  Value d = jb.mul(y, jb.sub(jb.scalar(eltOf(y), 1.0), y));
  return single(out, jb.mul(jb.tangent(0), d));
}

LogicalResult TanhOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Value y = getResult();
  Value d = jb.sub(jb.scalar(eltOf(y), 1.0), jb.mul(y, y));
  return single(out, jb.mul(jb.tangent(0), d));
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
// Matrix products and convolution
//===----------------------------------------------------------------------===//

/// Promotes 1-D matmul operands (and their tangents) to matrices.
static void promoteVector(JvpBuilder &jb, Value &primal, Value &tangent,
                          bool isLhs) {
  if (rankOf(primal) != 1)
    return;
  int64_t n = typeOf(primal).getDimSize(0);
  SmallVector<int64_t> shape =
      isLhs ? SmallVector<int64_t>{1, n} : SmallVector<int64_t>{n, 1};
  primal = jb.reshape(primal, shape);
  if (tangent) {
    SmallVector<int64_t> tshape;
    if (jb.batched())
      tshape.push_back(jb.numTangents());
    llvm::append_range(tshape, shape);
    tangent = jb.reshape(tangent, tshape);
  }
}

LogicalResult MatMulOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Value a = getLhs(), b = getRhs(), ta = jb.tangent(0), tb = jb.tangent(1);
  RankedTensorType tangentType = jb.tangentType(getType());
  // Only the lhs is active and is a matrix: one stacked product computes the
  // primal and all K tangents, [x; dx] W = [y; dy].
  if (ta && !tb && rankOf(a) >= 2) {
    Value stacked = matmul(jb, stack(jb, a, ta), b);
    int64_t k = jb.numTangents();
    Value primal =
        jb.reshape(leading(jb, stacked, 0, 1), typeOf(getResult()).getShape());
    jb.replacePrimal(getResult(), primal);
    return single(out, jb.reshape(leading(jb, stacked, 1, 1 + k),
                                  tangentType.getShape()));
  }
  promoteVector(jb, a, ta, /*isLhs=*/true);
  promoteVector(jb, b, tb, /*isLhs=*/false);
  if (rankOf(b) == 2 && rankOf(a) > 2) {
    // [..., M, Kd] x [Kd, N]: fold the leading dimensions into rows, so that
    // K weight tangents [K, Kd, N] meet one [rows, Kd] matrix instead of a
    // batch-broadcast copy of the weight tangent per leading index.
    ArrayRef<int64_t> shape = typeOf(a).getShape();
    int64_t rows = 1;
    for (int64_t d : shape.drop_back())
      rows *= d;
    a = jb.reshape(a, {rows, shape.back()});
    if (ta) {
      SmallVector<int64_t> tshape;
      if (jb.batched())
        tshape.push_back(jb.numTangents());
      tshape.append({rows, shape.back()});
      ta = jb.reshape(ta, tshape);
    }
  }
  int64_t rank = std::max(rankOf(a), rankOf(b));
  ta = jb.align(ta, rankOf(a), rank);
  tb = jb.align(tb, rankOf(b), rank);
  Value t = jb.add(ta ? matmul(jb, ta, b) : Value(),
                   tb ? matmul(jb, a, tb) : Value());
  return single(out, jb.reshape(t, tangentType.getShape()));
}

LogicalResult GemmOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Type elt = eltOf(getA());
  double alpha = getAlpha().convertToDouble(),
         beta = getBeta().convertToDouble();
  auto transposed = [&](Value v, bool isTangent) -> Value {
    SmallVector<int64_t> perm = {1, 0};
    if (isTangent && jb.batched())
      perm = {0, 2, 1};
    return jb.create<TransposeOp>(v, jb.b.getDenseI64ArrayAttr(perm));
  };
  Value a = getA(), b = getB(), ta = jb.tangent(0), tb = jb.tangent(1);
  if (getTransA()) {
    a = transposed(a, false);
    if (ta)
      ta = transposed(ta, true);
  }
  if (getTransB()) {
    b = transposed(b, false);
    if (tb)
      tb = transposed(tb, true);
  }
  auto scale = [&](Value v, double s) {
    return s == 1.0 ? v : jb.mul(v, jb.scalar(elt, s));
  };
  Value tc = getC() ? jb.align(jb.tangent(2), rankOf(getC()), 2) : Value();
  if (ta && !tb) {
    // [A; dA] B in one product; the primal is rebuilt from row block 0.
    Value stacked = matmul(jb, stack(jb, a, ta), b);
    int64_t k = jb.numTangents();
    Value primal =
        jb.reshape(leading(jb, stacked, 0, 1), typeOf(getResult()).getShape());
    primal = scale(primal, alpha);
    if (getC())
      primal = jb.add(primal, scale(getC(), beta));
    jb.replacePrimal(getResult(), primal);
    Value t = jb.reshape(leading(jb, stacked, 1, 1 + k),
                         jb.tangentType(getType()).getShape());
    return single(out, jb.add(scale(t, alpha), tc ? scale(tc, beta) : tc));
  }
  Value t = jb.add(ta ? matmul(jb, ta, b) : Value(),
                   tb ? matmul(jb, a, tb) : Value());
  return single(out,
                jb.add(t ? scale(t, alpha) : t, tc ? scale(tc, beta) : tc));
}

LogicalResult ConvOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  auto conv = [&](Value x, Value w) {
    return sameOpOn(jb, *this, ValueRange{x, w});
  };
  Value t;
  if (Value tx = jb.tangent(0)) // K folds into the batch dimension.
    t = jb.unfoldK(conv(jb.foldK(tx, 0), getWeight()), 0);
  if (Value tw = jb.tangent(1)) {
    if (!jb.batched()) {
      t = jb.add(t, conv(getInput(), tw));
    } else {
      // One conv per direction (the convolution is linear in the weight):
      // each is the product a K = 1 run computes, so K directions give the
      // same bits as K separate runs.
      int64_t k = jb.numTangents();
      RankedTensorType wt = typeOf(getWeight());
      SmallVector<Value> parts;
      for (int64_t d = 0; d < k; ++d) {
        Value w = jb.reshape(leading(jb, tw, d, d + 1), wt.getShape());
        Value y = conv(getInput(), w);
        SmallVector<int64_t> one = {1};
        llvm::append_range(one, typeOf(y).getShape());
        parts.push_back(jb.reshape(y, one));
      }
      t = jb.add(t, jb.create<ConcatOp>(parts, jb.b.getI64IntegerAttr(0)));
    }
  }
  if (getBias())
    if (Value tbias = jb.tangent(2)) {
      // [K?, M] -> [K?, M, 1, ..] broadcasting over [K?, N, M, o..].
      int64_t rank = rankOf(getResult());
      SmallVector<int64_t> shape;
      if (jb.batched())
        shape = {jb.numTangents(), 1};
      shape.push_back(typeOf(getBias()).getDimSize(0));
      shape.append(rank - 2, 1);
      t = jb.add(t, jb.reshape(tbias, shape));
    }
  return single(out, t);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

LogicalResult MaxPoolOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Value t = MaxPoolJvpOp::create(
      jb.b, jb.loc, getInput(), jb.tangent(0), getKernelShapeAttr(),
      getStridesAttr(), getPadsAttr(), getDilationsAttr(), getCeilModeAttr());
  return single(out, t);
}

LogicalResult MaxPoolJvpOp::buildJvp(JvpBuilder &jb,
                                     SmallVectorImpl<Value> &out) {
  // Linear in the tangent operand; the argmax is locally constant in x.
  Value tt = jb.tangent(1);
  if (!tt)
    return single(out, nullptr);
  if (jb.batched() && rankOf(getTangent()) != rankOf(getInput()))
    return emitOpError("cannot take K > 1 tangents of an fg.max_pool_jvp "
                       "whose tangent already has K directions");
  return single(out, MaxPoolJvpOp::create(
                         jb.b, jb.loc, getInput(), tt, getKernelShapeAttr(),
                         getStridesAttr(), getPadsAttr(), getDilationsAttr(),
                         getCeilModeAttr()));
}

LogicalResult AvgPoolOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Value t = sameOpOn(jb, *this, jb.foldK(jb.tangent(0), 0));
  return single(out, jb.unfoldK(t, 0));
}

//===----------------------------------------------------------------------===//
// Reductions, softmax, normalisation
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::buildJvp(JvpBuilder &jb,
                                    SmallVectorImpl<Value> &out) {
  if (!isa<FloatType>(eltOf(getInput())))
    return single(out, nullptr);
  return single(out, reduceSum(jb, jb.tangent(0),
                               tangentAxes(jb, getAxes(), rankOf(getInput())),
                               getKeepdims()));
}

LogicalResult ReduceMeanOp::buildJvp(JvpBuilder &jb,
                                     SmallVectorImpl<Value> &out) {
  return single(out, reduceMean(jb, jb.tangent(0),
                                tangentAxes(jb, getAxes(), rankOf(getInput())),
                                getKeepdims()));
}

LogicalResult ReduceMaxOp::buildJvp(JvpBuilder &jb,
                                    SmallVectorImpl<Value> &out) {
  if (!isa<FloatType>(eltOf(getInput())))
    return single(out, nullptr);
  // The tangent at the maximum; ties share it equally.
  Value x = getInput();
  SmallVector<int64_t> axes(getAxes());
  if (axes.empty())
    for (int64_t d = 0; d < rankOf(x); ++d)
      axes.push_back(d);
  Value kept = getResult();
  if (!getKeepdims()) {
    SmallVector<int64_t> shape(typeOf(x).getShape());
    for (int64_t a : axes)
      shape[a] = 1;
    kept = jb.reshape(kept, shape);
  }
  Value mask = compare(jb, "eq", x, kept);
  Value num = reduceSum(jb, jb.mul(jb.tangent(0), mask),
                        tangentAxes(jb, axes, rankOf(x)), getKeepdims());
  Value count = reduceSum(jb, mask, axes, getKeepdims());
  return single(out, jb.div(num, count));
}

LogicalResult SoftmaxOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // dy = y (dx - sum(y dx)).
  Value y = getResult(), t = jb.tangent(0);
  Value s = reduceSum(jb, jb.mul(y, t), {jb.axis(getAxis())}, true);
  return single(out, jb.mul(y, jb.sub(t, s)));
}

LogicalResult LogSoftmaxOp::buildJvp(JvpBuilder &jb,
                                     SmallVectorImpl<Value> &out) {
  // dy = dx - sum(softmax(x) dx).
  Value p = jb.create<ExpOp>(getResult()), t = jb.tangent(0);
  Value s = reduceSum(jb, jb.mul(p, t), {jb.axis(getAxis())}, true);
  return single(out, jb.sub(t, s));
}

LogicalResult LayerNormOp::buildJvp(JvpBuilder &jb,
                                    SmallVectorImpl<Value> &out) {
  // xhat = (x - mu) / sigma;  dxhat = (c - xhat mean(xhat c)) / sigma with
  // c = dx - mean(dx);  y = xhat s + b  =>  dy = dxhat s + xhat ds + db.
  Value x = getInput();
  Type elt = eltOf(x);
  int64_t rank = rankOf(x);
  SmallVector<int64_t> axes;
  for (int64_t d = getAxis(); d < rank; ++d)
    axes.push_back(d);
  SmallVector<int64_t> taxes = tangentAxes(jb, axes, rank);
  Value mu = reduceMean(jb, x, axes, true);
  Value centered = jb.sub(x, mu);
  Value var = reduceMean(jb, jb.mul(centered, centered), axes, true);
  Value sigma = jb.create<SqrtOp>(
      jb.add(var, jb.scalar(elt, getEpsilon().convertToDouble())));
  Value xhat = jb.div(centered, sigma);
  Value t;
  if (Value tx = jb.tangent(0)) {
    Value c = jb.sub(tx, reduceMean(jb, tx, taxes, true));
    Value m2 = reduceMean(jb, jb.mul(xhat, c), taxes, true);
    t = jb.div(jb.sub(c, jb.mul(xhat, m2)), sigma);
    if (Value s = getScale())
      t = jb.mul(t, s);
  }
  if (Value s = getScale())
    if (Value ts = jb.tangent(1))
      t = jb.add(t, jb.mul(xhat, jb.align(ts, rankOf(s), rank)));
  if (Value b = getBias())
    if (Value tb = jb.tangent(2))
      t = jb.add(t, jb.align(tb, rankOf(b), rank));
  return single(out, t);
}

LogicalResult BatchNormOp::buildJvp(JvpBuilder &jb,
                                    SmallVectorImpl<Value> &out) {
  // y = (x - m) / sigma * s + b with sigma = sqrt(v + eps):
  // dy = (dx - dm) s / sigma + (x - m) / sigma ds + db
  //      - (x - m) s / (2 sigma^3) dv.
  Value x = getInput();
  Type elt = eltOf(x);
  int64_t rank = rankOf(x);
  SmallVector<int64_t> channel(rank - 1, 1);
  channel[0] = typeOf(x).getDimSize(1);
  auto asChannel = [&](Value v) { return jb.reshape(v, channel); };
  auto tangentAsChannel = [&](unsigned i) -> Value {
    Value t = jb.tangent(i);
    if (!t)
      return t;
    SmallVector<int64_t> shape;
    if (jb.batched())
      shape.push_back(jb.numTangents());
    llvm::append_range(shape, channel);
    return jb.align(jb.reshape(t, shape), rank - 1, rank);
  };
  Value s = asChannel(getScale()), m = asChannel(getMean());
  Value sigma = jb.create<SqrtOp>(jb.add(
      asChannel(getVar()), jb.scalar(elt, getEpsilon().convertToDouble())));
  Value centered = jb.sub(x, m);
  Value t =
      jb.div(jb.mul(jb.sub(jb.tangent(0), tangentAsChannel(3)), s), sigma);
  t = jb.add(t, jb.mul(jb.div(centered, sigma), tangentAsChannel(1)));
  t = jb.add(t, tangentAsChannel(2));
  if (Value tv = tangentAsChannel(4)) {
    Value sigma3 = jb.mul(jb.mul(sigma, sigma), sigma);
    Value d = jb.div(jb.mul(centered, s), jb.mul(sigma3, jb.scalar(elt, 2.0)));
    t = jb.sub(t, jb.mul(d, tv));
  }
  return single(out, t);
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
  return single(
      out, reduceSum(jb, jb.mul(jb.tangent(0), delta), {jb.axis(1)}, false));
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
    t = reduceSum(jb, jb.mul(tx, v), {jb.axis(3)}, false);
    t = jb.mul(t, jb.scalar(eltOf(x), 1.0 / static_cast<double>(p)));
    if (!getSpatial())
      t = reduceSum(jb, t, {jb.axis(1)}, true);
  }
  Value dlogits;
  if (Value tw = jb.tangent(1))
    dlogits = matmul(jb, xbar, tw);
  if (Value tb = jb.tangent(2))
    dlogits = jb.add(dlogits, jb.align(tb, 1, 2));
  if (dlogits) {
    Value shared = reduceSum(jb, jb.mul(dlogits, delta), {jb.axis(1)}, false);
    SmallVector<int64_t> shape;
    if (jb.batched())
      shape.push_back(jb.numTangents());
    llvm::append_range(shape, ArrayRef<int64_t>{n, 1, 1});
    t = jb.add(t, jb.reshape(shared, shape));
  }
  return single(out, t);
}
