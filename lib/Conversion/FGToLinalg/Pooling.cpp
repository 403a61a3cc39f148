//===- Pooling.cpp - fg max and average pooling ---------------------------===//
//
// Pooling windows as linalg.generic reductions over the padded input,
// and the tangent of max pooling (fg.max_pool_jvp).
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::lowering;

namespace {

/// Sum or max over each window: a generic over (n, c, o.., k..) whose input
/// map is o*s + k*d on the padded input; a shape-only [k..] operand gives
/// the window dimensions their range.
Value poolWindows(OpBuilder &b, Location loc, Value xp, RankedTensorType result,
                  ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                  ArrayRef<int64_t> dilations, TypedAttr init,
                  CombineFn combine) {
  MLIRContext *ctx = b.getContext();
  int64_t ns = kernel.size();
  unsigned rank = 2 + 2 * ns;
  Type elt = result.getElementType();
  SmallVector<AffineExpr> inExprs = {getAffineDimExpr(0, ctx),
                                     getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> winExprs,
      outExprs = {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)};
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
    int64_t needed = (out[i] - 1) * strides[i] +
                     (kernel[i] - 1) * dilations[i] + 1 - in[i] - pads[i];
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
    SmallVector<int64_t> high = endPadding(
        xt.getShape().drop_front(2), result.getShape().drop_front(2 + lead),
        kernel, strides, dilations, pads);
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
              ValueRange{
                  arith::SelectOp::create(b, l, larger, args[0], args[3]),
                  arith::SelectOp::create(b, l, larger, args[1], args[4])});
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

    SmallVector<double> divisor = fg::avgPoolDivisor(
        in, out, kernel, strides, pads, op.getCountIncludePad());
    auto divType = RankedTensorType::get(out, elt);
    DenseElementsAttr divAttr;
    if (elt.isF32())
      divAttr = DenseElementsAttr::get(
          divType,
          ArrayRef<float>(llvm::to_vector(llvm::map_range(
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

} // namespace

void fgc::lowering::populatePoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPoolLowering, MaxPoolJvpLowering, AvgPoolLowering>(
      patterns.getContext());
}
