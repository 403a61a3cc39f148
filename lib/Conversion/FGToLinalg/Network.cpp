//===- Network.cpp - fg matrix products, convolution, pooling, norms ------===//

#include "Lowering.h"

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::lowering;

namespace {

int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

Value transpose2d(OpBuilder &b, Location loc, Value v) {
  RankedTensorType t = tensorType(v);
  Value init =
      empty(b, loc, {t.getDimSize(1), t.getDimSize(0)}, t.getElementType());
  return linalg::TransposeOp::create(b, loc, v, init,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// Pads the spatial dimensions (2..) of an [N, C, D...] tensor.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> low,
                 ArrayRef<int64_t> high, TypedAttr value) {
  if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(high, [](int64_t p) { return p == 0; }))
    return x;
  RankedTensorType t = tensorType(x);
  SmallVector<int64_t> lo = {0, 0}, hi = {0, 0}, shape;
  llvm::append_range(lo, low);
  llvm::append_range(hi, high);
  for (int64_t d = 0; d < t.getRank(); ++d)
    shape.push_back(t.getDimSize(d) + lo[d] + hi[d]);
  auto type = RankedTensorType::get(shape, t.getElementType());
  Value pad = arith::ConstantOp::create(b, loc, value);
  auto folded = [&](ArrayRef<int64_t> v) {
    return llvm::to_vector(llvm::map_range(
        v, [&](int64_t p) -> OpFoldResult { return b.getIndexAttr(p); }));
  };
  return tensor::PadOp::create(b, loc, type, x, folded(lo), folded(hi), pad);
}

//===--- Matrix products ------------------------------------------------===//

struct MatMulLowering : OpConversionPattern<fg::MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value a = adaptor.getLhs(), bm = adaptor.getRhs();
    RankedTensorType at = tensorType(a), bt = tensorType(bm);
    if (at.getRank() == 1)
      a = reshape(rewriter, loc, a, {1, at.getDimSize(0)});
    if (bt.getRank() == 1)
      bm = reshape(rewriter, loc, bm, {bt.getDimSize(0), 1});
    ArrayRef<int64_t> as = tensorType(a).getShape(),
                      bs = tensorType(bm).getShape();
    int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
    auto result = cast<RankedTensorType>(op.getType());
    Value c;
    if (bs.size() == 2) {
      // [..., M, K] x [K, N]: one matrix product over all leading rows.
      Value a2 = reshape(rewriter, loc, a, {product(as.drop_back()), k});
      c = matmul(rewriter, loc, a2, bm);
    } else {
      auto batch = fg::broadcastShapes(as.drop_back(2), bs.drop_back(2));
      SmallVector<int64_t> aShape(*batch), bShape(*batch);
      aShape.append({m, k});
      bShape.append({k, n});
      int64_t count = product(*batch);
      Value a3 = reshape(rewriter, loc, broadcastTo(rewriter, loc, a, aShape),
                         {count, m, k});
      Value b3 = reshape(rewriter, loc,
                         broadcastTo(rewriter, loc, bm, bShape), {count, k, n});
      c = batchMatmul(rewriter, loc, a3, b3);
    }
    rewriter.replaceOp(op, reshape(rewriter, loc, c, result.getShape()));
    return success();
  }
};

struct GemmLowering : OpConversionPattern<fg::GemmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value a = adaptor.getA(), bm = adaptor.getB();
    if (op.getTransA())
      a = transpose2d(rewriter, loc, a);
    if (op.getTransB())
      bm = transpose2d(rewriter, loc, bm);
    Value y = matmul(rewriter, loc, a, bm);
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    Value c = adaptor.getC();
    if (alpha != 1.0 || c) {
      auto type = cast<RankedTensorType>(op.getType());
      SmallVector<Value> inputs = {y};
      if (c)
        inputs.push_back(c);
      Type elt = type.getElementType();
      y = elementwise(rewriter, loc, type.getShape(), elt, inputs,
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        Value v = args[0];
                        if (alpha != 1.0)
                          v = arith::MulFOp::create(
                              b, l, scalar(b, l, elt, alpha), v);
                        if (args.size() > 1) {
                          Value cv = args[1];
                          if (beta != 1.0)
                            cv = arith::MulFOp::create(
                                b, l, scalar(b, l, elt, beta), cv);
                          v = arith::AddFOp::create(b, l, v, cv);
                        }
                        return v;
                      });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// Convolution as im2col + one batched matrix product per (sample, group):
///   cols[n, g, c, k.., o..] = xpad[n, g*Cg + c, o*s + k*d ..]
///   y[(n, g), mg, (o..)] = w[g, mg, (c, k..)] x cols[(n, g), (c, k..), (o..)]
/// which is already [N, M, O..]; the bias is added in one generic. Every
/// sample gets a product of the same shape, so results do not depend on
/// the batch size (K tangent directions folded into the batch give the
/// same bits as K separate runs).
struct ConvLowering : OpConversionPattern<fg::ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput(), w = adaptor.getWeight();
    RankedTensorType xt = tensorType(x), wt = tensorType(w);
    auto result = cast<RankedTensorType>(op.getType());
    Type elt = xt.getElementType();
    int64_t ns = xt.getRank() - 2, group = op.getGroup();
    int64_t batch = xt.getDimSize(0), channels = xt.getDimSize(1);
    int64_t filters = wt.getDimSize(0), cg = channels / group,
            mg = filters / group;
    ArrayRef<int64_t> kernel = wt.getShape().drop_front(2);
    ArrayRef<int64_t> out = result.getShape().drop_front(2);
    ArrayRef<int64_t> pads = op.getPads();

    Value xp = padSpatial(rewriter, loc, x, pads.take_front(ns),
                          pads.drop_front(ns), scalarAttr(elt, 0));
    SmallVector<int64_t> xgShape = {batch, group, cg};
    llvm::append_range(xgShape, tensorType(xp).getShape().drop_front(2));
    Value xg = reshape(rewriter, loc, xp, xgShape);

    // cols dims: n, g, c, k_1..k_ns, o_1..o_ns.
    SmallVector<int64_t> colsShape = {batch, group, cg};
    llvm::append_range(colsShape, kernel);
    llvm::append_range(colsShape, out);
    unsigned rank = colsShape.size();
    SmallVector<AffineExpr> inExprs = {getAffineDimExpr(0, ctx),
                                       getAffineDimExpr(1, ctx),
                                       getAffineDimExpr(2, ctx)};
    for (int64_t i = 0; i < ns; ++i)
      inExprs.push_back(getAffineDimExpr(3 + ns + i, ctx) * op.getStrides()[i] +
                        getAffineDimExpr(3 + i, ctx) * op.getDilations()[i]);
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, inExprs, ctx),
                                   AffineMap::getMultiDimIdentityMap(rank, ctx)};
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);
    Value colsInit = empty(rewriter, loc, colsShape, elt);
    Value cols =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{colsInit.getType()}, ValueRange{xg},
            ValueRange{colsInit}, maps, parallel,
            [](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(b, l, args[0]);
            })
            .getResult(0);
    int64_t taps = cg * product(kernel), positions = product(out);
    Value cols3 =
        reshape(rewriter, loc, cols, {batch * group, taps, positions});
    // The weights, one copy per sample: [N*G, Mg, taps].
    Value w3 = reshape(rewriter, loc, w, {1, group, mg, taps});
    w3 = broadcastTo(rewriter, loc, w3, {batch, group, mg, taps});
    w3 = reshape(rewriter, loc, w3, {batch * group, mg, taps});
    Value y = batchMatmul(rewriter, loc, w3, cols3);
    Value o = reshape(rewriter, loc, y, result.getShape());
    if (Value bias = adaptor.getBias()) {
      SmallVector<int64_t> biasShape(ns + 1, 1);
      biasShape[0] = filters;
      Value b = reshape(rewriter, loc, bias, biasShape);
      o = elementwise(rewriter, loc, result.getShape(), elt, {o, b},
                      [](OpBuilder &bb, Location l, ValueRange args) {
                        return arith::AddFOp::create(bb, l, args[0], args[1]);
                      });
    }
    rewriter.replaceOp(op, o);
    return success();
  }
};

//===--- Pooling --------------------------------------------------------===//

/// Sum or max over each window: a generic over (n, c, o.., k..) whose input
/// map is o*s + k*d on the padded input; a shape-only [k..] operand gives
/// the window dimensions their range.
Value poolWindows(OpBuilder &b, Location loc, Value xp,
                  RankedTensorType result, ArrayRef<int64_t> kernel,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                  TypedAttr init, CombineFn combine) {
  MLIRContext *ctx = b.getContext();
  int64_t ns = kernel.size();
  unsigned rank = 2 + 2 * ns;
  Type elt = result.getElementType();
  SmallVector<AffineExpr> inExprs = {getAffineDimExpr(0, ctx),
                                     getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> winExprs, outExprs = {getAffineDimExpr(0, ctx),
                                                getAffineDimExpr(1, ctx)};
  for (int64_t i = 0; i < ns; ++i) {
    inExprs.push_back(getAffineDimExpr(2 + i, ctx) * strides[i] +
                      getAffineDimExpr(2 + ns + i, ctx) * dilations[i]);
    winExprs.push_back(getAffineDimExpr(2 + ns + i, ctx));
    outExprs.push_back(getAffineDimExpr(2 + i, ctx));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, inExprs, ctx),
                                 AffineMap::get(rank, 0, winExprs, ctx),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(2 + ns,
                                             utils::IteratorType::parallel);
  iterators.append(ns, utils::IteratorType::reduction);
  Value window = empty(b, loc, kernel, elt);
  Value acc = filled(b, loc, result.getShape(), init);
  return linalg::GenericOp::create(
             b, loc, TypeRange{acc.getType()}, ValueRange{xp, window},
             ValueRange{acc}, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, combine(nb, l, args[2], args[0]));
             })
      .getResult(0);
}

/// The end padding that makes every output window fit (ceil_mode windows
/// may run past the explicit padding).
SmallVector<int64_t> endPadding(ArrayRef<int64_t> in, ArrayRef<int64_t> out,
                                ArrayRef<int64_t> kernel,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> dilations,
                                ArrayRef<int64_t> pads) {
  int64_t ns = kernel.size();
  SmallVector<int64_t> high;
  for (int64_t i = 0; i < ns; ++i) {
    int64_t needed = (out[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] +
                     1 - in[i] - pads[i];
    high.push_back(std::max(pads[ns + i], needed));
  }
  return high;
}

struct MaxPoolLowering : OpConversionPattern<fg::MaxPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::MaxPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType xt = tensorType(adaptor.getInput());
    auto result = cast<RankedTensorType>(op.getType());
    int64_t ns = op.getKernelShape().size();
    TypedAttr lowest = lowestAttr(xt.getElementType());
    SmallVector<int64_t> high = endPadding(
        xt.getShape().drop_front(2), result.getShape().drop_front(2),
        op.getKernelShape(), op.getStrides(), op.getDilations(), op.getPads());
    Value xp = padSpatial(rewriter, loc, adaptor.getInput(),
                          op.getPads().take_front(ns), high, lowest);
    rewriter.replaceOp(op, poolWindows(rewriter, loc, xp, result,
                                       op.getKernelShape(), op.getStrides(),
                                       op.getDilations(), lowest, max));
    return success();
  }
};

/// The tangent of max pooling: a window generic with two accumulators,
/// (running max, tangent there), updated only on a strictly larger value so
/// that the first maximum wins; padding is -inf for x and 0 for t. An extra
/// leading K dimension of the tangent is one more parallel loop that x's
/// map ignores.
struct MaxPoolJvpLowering : OpConversionPattern<fg::MaxPoolJvpOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::MaxPoolJvpOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType xt = tensorType(adaptor.getInput());
    RankedTensorType tt = tensorType(adaptor.getTangent());
    auto result = cast<RankedTensorType>(op.getType());
    Type elt = xt.getElementType();
    ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                      dilations = op.getDilations(), pads = op.getPads();
    int64_t ns = kernel.size(), lead = tt.getRank() - xt.getRank();
    SmallVector<int64_t> high =
        endPadding(xt.getShape().drop_front(2),
                   result.getShape().drop_front(2 + lead), kernel, strides,
                   dilations, pads);
    Value xp = padSpatial(rewriter, loc, adaptor.getInput(),
                          pads.take_front(ns), high, lowestAttr(elt));
    Value tp = adaptor.getTangent();
    if (lead) {
      // Pad the tangent as [K*N, C, ..] so padSpatial's layout applies.
      SmallVector<int64_t> folded(tt.getShape().drop_front());
      folded[0] *= tt.getDimSize(0);
      Value f = reshape(rewriter, loc, tp, folded);
      f = padSpatial(rewriter, loc, f, pads.take_front(ns), high,
                     scalarAttr(elt, 0));
      SmallVector<int64_t> unfolded = {tt.getDimSize(0)};
      llvm::append_range(unfolded, tensorType(f).getShape());
      unfolded[1] /= tt.getDimSize(0);
      tp = reshape(rewriter, loc, f, unfolded);
    } else {
      tp = padSpatial(rewriter, loc, tp, pads.take_front(ns), high,
                      scalarAttr(elt, 0));
    }
    // Loops: (k?, n, c, o.., w..).
    unsigned rank = lead + 2 + 2 * ns;
    auto dim = [&](int64_t d) { return getAffineDimExpr(d, ctx); };
    SmallVector<AffineExpr> xExprs = {dim(lead), dim(lead + 1)};
    SmallVector<AffineExpr> winExprs, outExprs;
    for (int64_t d = 0; d < lead + 2; ++d)
      outExprs.push_back(dim(d));
    for (int64_t i = 0; i < ns; ++i) {
      xExprs.push_back(dim(lead + 2 + i) * strides[i] +
                       dim(lead + 2 + ns + i) * dilations[i]);
      winExprs.push_back(dim(lead + 2 + ns + i));
      outExprs.push_back(dim(lead + 2 + i));
    }
    SmallVector<AffineExpr> tExprs;
    if (lead)
      tExprs.push_back(dim(0));
    llvm::append_range(tExprs, xExprs);
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, xExprs, ctx),
                                   AffineMap::get(rank, 0, tExprs, ctx),
                                   AffineMap::get(rank, 0, winExprs, ctx),
                                   AffineMap::get(rank, 0, outExprs, ctx),
                                   AffineMap::get(rank, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(lead + 2 + ns,
                                               utils::IteratorType::parallel);
    iterators.append(ns, utils::IteratorType::reduction);
    Value window = empty(rewriter, loc, kernel, elt);
    Value best = filled(rewriter, loc, result.getShape(), lowestAttr(elt));
    Value picked = filled(rewriter, loc, result.getShape(), scalarAttr(elt, 0));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{best.getType(), picked.getType()},
        ValueRange{xp, tp, window}, ValueRange{best, picked}, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value larger = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                               args[0], args[3]);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, larger, args[0], args[3]),
                         arith::SelectOp::create(b, l, larger, args[1],
                                                 args[4])});
        });
    rewriter.replaceOp(op, generic.getResult(1));
    return success();
  }
};

/// Average pooling: a window sum divided by a compile-time constant that
/// holds, per output position, the number of taps that count (inside the
/// input, or also inside the explicit padding with count_include_pad).
struct AvgPoolLowering : OpConversionPattern<fg::AvgPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::AvgPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType xt = tensorType(adaptor.getInput());
    auto result = cast<RankedTensorType>(op.getType());
    Type elt = xt.getElementType();
    ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                      pads = op.getPads();
    ArrayRef<int64_t> in = xt.getShape().drop_front(2),
                      out = result.getShape().drop_front(2);
    int64_t ns = kernel.size();
    SmallVector<int64_t> ones(ns, 1);
    SmallVector<int64_t> high =
        endPadding(in, out, kernel, strides, ones, pads);
    Value xp = padSpatial(rewriter, loc, adaptor.getInput(),
                          pads.take_front(ns), high, scalarAttr(elt, 0));
    Value sum = poolWindows(rewriter, loc, xp, result, kernel, strides, ones,
                            scalarAttr(elt, 0), add);

    // Per-axis tap counts, multiplied into a [O..] divisor.
    SmallVector<SmallVector<int64_t>> counts(ns);
    for (int64_t i = 0; i < ns; ++i) {
      int64_t lo = op.getCountIncludePad() ? -pads[i] : 0;
      int64_t hi = op.getCountIncludePad() ? in[i] + pads[ns + i] : in[i];
      for (int64_t o = 0; o < out[i]; ++o) {
        int64_t c = 0;
        for (int64_t t = 0; t < kernel[i]; ++t) {
          int64_t pos = o * strides[i] + t - pads[i];
          c += pos >= lo && pos < hi;
        }
        counts[i].push_back(std::max<int64_t>(c, 1));
      }
    }
    SmallVector<double> divisor(product(out), 1.0);
    for (size_t linear = 0; linear < divisor.size(); ++linear) {
      int64_t rest = linear;
      for (int64_t i = ns - 1; i >= 0; --i) {
        divisor[linear] *= counts[i][rest % out[i]];
        rest /= out[i];
      }
    }
    auto divType = RankedTensorType::get(out, elt);
    DenseElementsAttr divAttr;
    if (elt.isF32())
      divAttr = DenseElementsAttr::get(
          divType, ArrayRef<float>(llvm::to_vector(llvm::map_range(
                       divisor, [](double d) { return static_cast<float>(d); }))));
    else
      divAttr = DenseElementsAttr::get(divType, ArrayRef(divisor));
    Value div = arith::ConstantOp::create(rewriter, loc, divAttr);
    rewriter.replaceOp(
        op, elementwise(rewriter, loc, result.getShape(), elt, {sum, div},
                        [](OpBuilder &b, Location l, ValueRange args) {
                          return arith::DivFOp::create(b, l, args[0], args[1]);
                        }));
    return success();
  }
};

//===--- Softmax and normalisation --------------------------------------===//

template <typename Op, bool isLog>
struct SoftmaxLowering : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    RankedTensorType t = tensorType(x);
    Type elt = t.getElementType();
    int64_t axis = op.getAxis();
    SmallVector<int64_t> kept = keptShape(t.getShape(), {axis});
    Value m = reshape(rewriter, loc,
                      reduce(rewriter, loc, x, {axis}, lowestAttr(elt), max),
                      kept);
    Value e = elementwise(rewriter, loc, t.getShape(), elt, {x, m},
                          [](OpBuilder &b, Location l, ValueRange args) {
                            return math::ExpOp::create(
                                b, l, arith::SubFOp::create(b, l, args[0],
                                                            args[1]));
                          });
    Value s = reshape(rewriter, loc,
                      reduce(rewriter, loc, e, {axis}, scalarAttr(elt, 0), add,
                             /*wide=*/true),
                      kept);
    Value y;
    if (isLog)
      y = elementwise(rewriter, loc, t.getShape(), elt, {x, m, s},
                      [](OpBuilder &b, Location l, ValueRange args) {
                        Value shifted =
                            arith::SubFOp::create(b, l, args[0], args[1]);
                        return arith::SubFOp::create(
                            b, l, shifted, math::LogOp::create(b, l, args[2]));
                      });
    else
      y = elementwise(rewriter, loc, t.getShape(), elt, {e, s},
                      [](OpBuilder &b, Location l, ValueRange args) {
                        return arith::DivFOp::create(b, l, args[0], args[1]);
                      });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// (x - mean) / sqrt(mean((x - mean)^2) + eps) [* scale + bias], two-pass
/// like PyTorch, over the axes [axis, rank).
struct LayerNormLowering : OpConversionPattern<fg::LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    RankedTensorType t = tensorType(x);
    Type elt = t.getElementType();
    SmallVector<int64_t> axes;
    for (int64_t d = op.getAxis(); d < t.getRank(); ++d)
      axes.push_back(d);
    SmallVector<int64_t> kept = keptShape(t.getShape(), axes);
    double n = static_cast<double>(product(t.getShape().drop_front(op.getAxis())));
    double eps = op.getEpsilon().convertToDouble();
    Value sum = reshape(rewriter, loc,
                        reduce(rewriter, loc, x, axes, scalarAttr(elt, 0), add,
                               /*wide=*/true),
                        kept);
    Value d = elementwise(rewriter, loc, t.getShape(), elt, {x, sum},
                          [&](OpBuilder &b, Location l, ValueRange args) {
                            Value mean = arith::DivFOp::create(
                                b, l, args[1], scalar(b, l, elt, n));
                            return arith::SubFOp::create(b, l, args[0], mean);
                          });
    Value sq = reshape(rewriter, loc,
                       reduce(rewriter, loc, d, axes, scalarAttr(elt, 0),
                              [](OpBuilder &b, Location l, Value acc, Value v) {
                                return arith::AddFOp::create(
                                    b, l, acc, arith::MulFOp::create(b, l, v, v));
                              },
                              /*wide=*/true),
                       kept);
    SmallVector<Value> inputs = {d, sq};
    llvm::append_range(inputs, adaptor.getAffine());
    Value y = elementwise(
        rewriter, loc, t.getShape(), elt, inputs,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value var = arith::DivFOp::create(b, l, args[1], scalar(b, l, elt, n));
          Value stddev = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, var, scalar(b, l, elt, eps)));
          Value v = arith::DivFOp::create(b, l, args[0], stddev);
          if (args.size() > 2)
            v = arith::MulFOp::create(b, l, v, args[2]);
          if (args.size() > 3)
            v = arith::AddFOp::create(b, l, v, args[3]);
          return v;
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct BatchNormLowering : OpConversionPattern<fg::BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType t = tensorType(adaptor.getInput());
    Type elt = t.getElementType();
    // [C] -> [C, 1, ..] so that right-aligned broadcasting hits axis 1.
    SmallVector<int64_t> channelShape(t.getRank() - 1, 1);
    channelShape[0] = t.getDimSize(1);
    SmallVector<Value> inputs = {adaptor.getInput()};
    for (Value v : {adaptor.getScale(), adaptor.getBias(), adaptor.getMean(),
                    adaptor.getVar()})
      inputs.push_back(reshape(rewriter, loc, v, channelShape));
    double eps = op.getEpsilon().convertToDouble();
    Value y = elementwise(
        rewriter, loc, t.getShape(), elt, inputs,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value centered = arith::SubFOp::create(b, l, args[0], args[3]);
          Value stddev = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, args[4], scalar(b, l, elt, eps)));
          Value v = arith::DivFOp::create(b, l, centered, stddev);
          v = arith::MulFOp::create(b, l, v, args[1]);
          return arith::AddFOp::create(b, l, v, args[2]);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void fgc::lowering::populateNetworkPatterns(RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, GemmLowering, ConvLowering, MaxPoolLowering,
               MaxPoolJvpLowering,
               AvgPoolLowering, SoftmaxLowering<fg::SoftmaxOp, false>,
               SoftmaxLowering<fg::LogSoftmaxOp, true>, LayerNormLowering,
               BatchNormLowering>(patterns.getContext());
}
