//===- FGJvpLayers.cpp - Forward-mode rules of the layer ops --------------===//
//
// JvpOpInterface::buildJvp of matrix products, convolution, pooling,
// reductions, softmaxes and normalisation (conventions in FGJvp.cpp). The
// linear layers stack the primal and the K tangents into one product.
//
//===----------------------------------------------------------------------===//

#include "JvpHelpers.h"

using namespace mlir;
using namespace fgc::fg;
using namespace fgc::fg::jvp;

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

/// Whether [x; dx] W as one product pays for stacking x and dx: the stack
/// is a copy of the primal and of every tangent, which a product of a few
/// hundred rows repays in matrix-kernel efficiency, and one of thousands of
/// rows per matrix (already at the kernel's full speed) does not.
static bool stackingPays(Value a, Value b) {
  // The stack's leading axis would meet a batch axis of the rhs.
  if (rankOf(b) > rankOf(a))
    return false;
  ArrayRef<int64_t> shape = shapeOf(a);
  int64_t rows = shape[shape.size() - 2];
  if (rankOf(b) == 2) // the leading dimensions fold into the rows
    for (int64_t d : shape.drop_back(2))
      rows *= d;
  return rows < 4096;
}

LogicalResult MatMulOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  Value a = getLhs(), b = getRhs(), ta = jb.tangent(0), tb = jb.tangent(1);
  RankedTensorType tangentType = jb.tangentType(getType());
  // Only the lhs is active and is a matrix: one stacked product computes the
  // primal and all K tangents, [x; dx] W = [y; dy].
  if (ta && !tb && rankOf(a) >= 2 && stackingPays(a, b)) {
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
  if (ta && !tb && stackingPays(a, b)) {
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
  return single(out, reduceSum(jb.b, jb.loc, jb.tangent(0),
                               tangentAxes(jb, getAxes(), rankOf(getInput())),
                               getKeepdims()));
}

LogicalResult ReduceMeanOp::buildJvp(JvpBuilder &jb,
                                     SmallVectorImpl<Value> &out) {
  return single(out, reduceMean(jb.b, jb.loc, jb.tangent(0),
                                tangentAxes(jb, getAxes(), rankOf(getInput())),
                                getKeepdims()));
}

LogicalResult MomentsOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // d mean = mean(dx);  d var = 2 mean((x - mean) dx), since the mean of
  // x - mean is zero.
  Value tx = jb.tangent(0);
  if (!tx) {
    out.append({nullptr, nullptr});
    return success();
  }
  Value x = getInput();
  SmallVector<int64_t> axes(getAxes());
  if (axes.empty())
    for (int64_t d = 0; d < rankOf(x); ++d)
      axes.push_back(d);
  SmallVector<int64_t> keptShape(typeOf(x).getShape());
  for (int64_t a : axes)
    keptShape[a] = 1;
  SmallVector<int64_t> taxes = tangentAxes(jb, axes, rankOf(x));
  Value centered = SubOp::create(jb.b, jb.loc, x,
                                 reshape(jb.b, jb.loc, getMean(), keptShape));
  Value dvar =
      reduceMean(jb.b, jb.loc, jb.mul(centered, tx), taxes, getKeepdims());
  out.push_back(reduceMean(jb.b, jb.loc, tx, taxes, getKeepdims()));
  out.push_back(jb.mul(dvar, scalar(jb.b, jb.loc, eltOf(x), 2.0)));
  return success();
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
  Value num = reduceSum(jb.b, jb.loc, jb.mul(jb.tangent(0), mask),
                        tangentAxes(jb, axes, rankOf(x)), getKeepdims());
  Value count = reduceSum(jb.b, jb.loc, mask, axes, getKeepdims());
  return single(out, jb.div(num, count));
}

LogicalResult SoftmaxOp::buildJvp(JvpBuilder &jb, SmallVectorImpl<Value> &out) {
  // dy = y (dx - sum(y dx)).
  Value y = getResult(), t = jb.tangent(0);
  Value s = reduceSum(jb.b, jb.loc, jb.mul(y, t), {jb.axis(getAxis())}, true);
  return single(out, jb.mul(y, jb.sub(t, s)));
}

LogicalResult LogSoftmaxOp::buildJvp(JvpBuilder &jb,
                                     SmallVectorImpl<Value> &out) {
  // dy = dx - sum(softmax(x) dx).
  Value p = jb.create<ExpOp>(getResult()), t = jb.tangent(0);
  Value s = reduceSum(jb.b, jb.loc, jb.mul(p, t), {jb.axis(getAxis())}, true);
  return single(out, jb.sub(t, s));
}

LogicalResult LayerNormOp::buildJvp(JvpBuilder &jb,
                                    SmallVectorImpl<Value> &out) {
  // xhat = (x - mu) / sigma;  dxhat = (c - xhat mean(xhat c)) / sigma with
  // c = dx - mean(dx);  y = xhat s + b  =>  dy = dxhat s + xhat ds + db.
  // mean(xhat c) = mean(xhat dx) since mean(xhat) = 0: the two means of dx
  // are then independent, and fgc-fuse-sibling-reductions reads each
  // tangent row once for both.
  // The statistics are the primal op's own (buildParts): once the op is
  // decomposed for code generation, CSE computes them once for both.
  int64_t rank = rankOf(getInput());
  SmallVector<int64_t> taxes = tangentAxes(jb, getNormalizedAxes(), rank);
  Parts parts = buildParts(jb.b);
  Value sigma = parts.stdDev, xhat = parts.normalized;
  Value t;
  if (Value tx = jb.tangent(0)) {
    Value m1 = reduceMean(jb.b, jb.loc, tx, taxes, true);
    Value m2 = reduceMean(jb.b, jb.loc, jb.mul(xhat, tx), taxes, true);
    Value c = jb.sub(tx, m1);
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
