//===- ReductionsAndNorms.cpp - fg reductions, softmax and norms ----------===//
//
// Reductions, softmax and layer/batch normalisation as linalg.generic
// reductions; float sums over f32 data accumulate in f64.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Reduces over the op's axes (all axes when empty) and restores the
/// reduced axes as size 1 with keepdims.
template <typename Op>
Value lowerReduction(ConversionPatternRewriter &rewriter, Op op, Value input,
                     TypedAttr init, CombineFn combine, bool wide = false) {
  RankedTensorType type = tensorType(input);
  SmallVector<int64_t> axes(op.getAxes());
  if (axes.empty())
    for (int64_t d = 0; d < type.getRank(); ++d)
      axes.push_back(d);
  Value reduced =
      reduce(rewriter, op.getLoc(), input, axes, init, combine, wide);
  return reshape(rewriter, op.getLoc(), reduced,
                 cast<RankedTensorType>(op.getType()).getShape());
}

struct ReduceSumLowering : OpConversionPattern<fg::ReduceSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ReduceSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type elt = tensorType(adaptor.getInput()).getElementType();
    rewriter.replaceOp(op, lowerReduction(rewriter, op, adaptor.getInput(),
                                          scalarAttr(elt, 0), add,
                                          /*wide=*/true));
    return success();
  }
};

struct ReduceMaxLowering : OpConversionPattern<fg::ReduceMaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ReduceMaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type elt = tensorType(adaptor.getInput()).getElementType();
    rewriter.replaceOp(op, lowerReduction(rewriter, op, adaptor.getInput(),
                                          lowestAttr(elt), max));
    return success();
  }
};

struct ReduceMeanLowering : OpConversionPattern<fg::ReduceMeanOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ReduceMeanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType in = tensorType(adaptor.getInput());
    Type elt = in.getElementType();
    Value sum = lowerReduction(rewriter, op, adaptor.getInput(),
                               scalarAttr(elt, 0), add, /*wide=*/true);
    auto out = cast<RankedTensorType>(op.getType());
    double count = static_cast<double>(in.getNumElements()) /
                   static_cast<double>(out.getNumElements());
    Value mean = elementwise(rewriter, op.getLoc(), out.getShape(), elt, sum,
                             [&](OpBuilder &b, Location loc, ValueRange args) {
                               return arith::DivFOp::create(
                                   b, loc, args[0], scalar(b, loc, elt, count));
                             });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

/// One pass over the input for sums of x and x^2 (f64 for f32 data), then
/// mean = sum / n and variance = max(sumsq / n - mean^2, 0) in the wide
/// type, rounded to the element type at the end.
struct MomentsLowering : OpConversionPattern<fg::MomentsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::MomentsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    RankedTensorType in = tensorType(x);
    ArrayRef<int64_t> shape = in.getShape();
    auto elt = cast<FloatType>(in.getElementType());
    FloatType wide = elt.isF32() ? rewriter.getF64Type() : elt;
    SmallVector<int64_t> axes(op.getAxes());
    if (axes.empty())
      for (int64_t d = 0; d < in.getRank(); ++d)
        axes.push_back(d);
    ReductionSpace space = reductionSpace(ctx, shape, axes);
    ArrayRef<int64_t> outShape = space.outputShape;
    double count = static_cast<double>(in.getNumElements()) /
                   static_cast<double>(product(outShape));
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(shape.size(), ctx), space.outputMap,
        space.outputMap};
    Value zero = filled(rewriter, loc, outShape, scalarAttr(wide, 0));
    Value zero2 = filled(rewriter, loc, outShape, scalarAttr(wide, 0));
    auto reassoc = arith::FastMathFlags::reassoc;
    auto sums = linalg::GenericOp::create(
        rewriter, loc, TypeRange{zero.getType(), zero.getType()}, ValueRange{x},
        ValueRange{zero, zero2}, maps, space.iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = args[0];
          if (wide != elt)
            v = arith::ExtFOp::create(b, l, wide, v);
          // As in every float sum here: the order is free (f64), so LLVM
          // may keep partial sums in vector lanes.
          Value s = arith::AddFOp::create(b, l, args[1], v, reassoc);
          Value sq = arith::AddFOp::create(
              b, l, args[2], arith::MulFOp::create(b, l, v, v), reassoc);
          linalg::YieldOp::create(b, l, ValueRange{s, sq});
        });
    auto statistic = [&](bool variance) {
      return elementwise(
          rewriter, loc, outShape, elt, sums.getResults(),
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value n = scalar(b, l, wide, count);
            Value mean = arith::DivFOp::create(b, l, args[0], n);
            Value r = mean;
            if (variance) {
              Value meanSq = arith::DivFOp::create(b, l, args[1], n);
              Value diff = arith::SubFOp::create(
                  b, l, meanSq, arith::MulFOp::create(b, l, mean, mean));
              // Rounding can leave a constant row's variance just below 0.
              r = arith::MaximumFOp::create(b, l, diff, scalar(b, l, wide, 0));
            }
            return wide == elt ? r : arith::TruncFOp::create(b, l, elt, r);
          });
    };
    ArrayRef<int64_t> resultShape =
        cast<RankedTensorType>(op.getMean().getType()).getShape();
    rewriter.replaceOp(op,
                       {reshape(rewriter, loc, statistic(false), resultShape),
                        reshape(rewriter, loc, statistic(true), resultShape)});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax and normalisation
//===----------------------------------------------------------------------===//

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
    Value m =
        reshape(rewriter, loc,
                reduce(rewriter, loc, x, {axis}, lowestAttr(elt), max), kept);
    Value e =
        elementwise(rewriter, loc, t.getShape(), elt, {x, m},
                    [](OpBuilder &b, Location l, ValueRange args) {
                      return math::ExpOp::create(
                          b, l, arith::SubFOp::create(b, l, args[0], args[1]));
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
    SmallVector<int64_t> axes = op.getNormalizedAxes();
    SmallVector<int64_t> kept = keptShape(t.getShape(), axes);
    double n =
        static_cast<double>(product(t.getShape().drop_front(op.getAxis())));
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
                       reduce(
                           rewriter, loc, d, axes, scalarAttr(elt, 0),
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
          Value var =
              arith::DivFOp::create(b, l, args[1], scalar(b, l, elt, n));
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
              b, l,
              arith::AddFOp::create(b, l, args[4], scalar(b, l, elt, eps)));
          Value v = arith::DivFOp::create(b, l, centered, stddev);
          v = arith::MulFOp::create(b, l, v, args[1]);
          return arith::AddFOp::create(b, l, v, args[2]);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void fgc::lowering::populateReductionAndNormPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReduceSumLowering, ReduceMaxLowering, ReduceMeanLowering,
               MomentsLowering, SoftmaxLowering<fg::SoftmaxOp, false>,
               SoftmaxLowering<fg::LogSoftmaxOp, true>, LayerNormLowering,
               BatchNormLowering>(patterns.getContext());
}
