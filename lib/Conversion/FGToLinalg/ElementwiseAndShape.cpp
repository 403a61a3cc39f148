//===- ElementwiseAndShape.cpp - fg elementwise, reduction, data ops ------===//

#include "Lowering.h"

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::lowering;

namespace {

//===--- Constants ------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<fg::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct ShapeLowering : OpConversionPattern<fg::ShapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ShapeOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, DenseElementsAttr::get(type, op.getInput().getType().getShape()));
    return success();
  }
};

//===--- Elementwise ----------------------------------------------------===//

/// Lowers an elementwise op to a broadcasting linalg.generic whose body is
/// built by `Derived::build`.
template <typename Op, typename Derived>
struct ElementwiseLowering : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result = elementwise(
        rewriter, op.getLoc(), type.getShape(), type.getElementType(),
        adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return Derived::build(b, loc, op, args);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

#define FG_ELEMENTWISE(NAME, OP, EXPR)                                         \
  struct NAME : ElementwiseLowering<OP, NAME> {                                \
    using ElementwiseLowering::ElementwiseLowering;                            \
    static Value build(OpBuilder &b, Location loc, OP op, ValueRange args) {   \
      (void)op;                                                                \
      return EXPR;                                                             \
    }                                                                          \
  };

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

FG_ELEMENTWISE(AddLowering, fg::AddOp, add(b, loc, args[0], args[1]))
FG_ELEMENTWISE(SubLowering, fg::SubOp, sub(b, loc, args[0], args[1]))
FG_ELEMENTWISE(MulLowering, fg::MulOp, mul(b, loc, args[0], args[1]))
FG_ELEMENTWISE(DivLowering, fg::DivOp, div(b, loc, args[0], args[1]))
FG_ELEMENTWISE(PowLowering, fg::PowOp,
               math::PowFOp::create(b, loc, args[0], args[1]))
FG_ELEMENTWISE(NegLowering, fg::NegOp,
               isFloat(args[0])
                   ? Value(arith::NegFOp::create(b, loc, args[0]))
                   : Value(arith::SubIOp::create(
                         b, loc, scalar(b, loc, args[0].getType(), 0),
                         args[0])))
FG_ELEMENTWISE(AbsLowering, fg::AbsOp,
               isFloat(args[0]) ? Value(math::AbsFOp::create(b, loc, args[0]))
                                : Value(math::AbsIOp::create(b, loc, args[0])))
FG_ELEMENTWISE(ExpLowering, fg::ExpOp, math::ExpOp::create(b, loc, args[0]))
FG_ELEMENTWISE(LogLowering, fg::LogOp, math::LogOp::create(b, loc, args[0]))
FG_ELEMENTWISE(SqrtLowering, fg::SqrtOp,
               math::SqrtOp::create(b, loc, args[0]))
FG_ELEMENTWISE(ErfLowering, fg::ErfOp, math::ErfOp::create(b, loc, args[0]))
FG_ELEMENTWISE(TanhLowering, fg::TanhOp,
               math::TanhOp::create(b, loc, args[0]))
// max(x, 0) that keeps NaN (ONNX Relu propagates it).
FG_ELEMENTWISE(ReluLowering, fg::ReluOp,
               arith::MaximumFOp::create(
                   b, loc, args[0], scalar(b, loc, args[0].getType(), 0.0)))
// 1 / (1 + exp(-x)).
FG_ELEMENTWISE(SigmoidLowering, fg::SigmoidOp,
               arith::DivFOp::create(
                   b, loc, scalar(b, loc, args[0].getType(), 1.0),
                   arith::AddFOp::create(
                       b, loc, scalar(b, loc, args[0].getType(), 1.0),
                       math::ExpOp::create(
                           b, loc, arith::NegFOp::create(b, loc, args[0])))))
// x < 0 ? alpha * x : x.
FG_ELEMENTWISE(
    LeakyReluLowering, fg::LeakyReluOp,
    arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, args[0],
                              scalar(b, loc, args[0].getType(), 0.0)),
        arith::MulFOp::create(
            b, loc,
            scalar(b, loc, args[0].getType(),
                   op.getAlpha().convertToDouble()),
            args[0]),
        args[0]))
#undef FG_ELEMENTWISE

struct CompareLowering : ElementwiseLowering<fg::CompareOp, CompareLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value build(OpBuilder &b, Location loc, fg::CompareOp op,
                     ValueRange args) {
    auto predicate = llvm::StringSwitch<arith::CmpFPredicate>(op.getPredicate())
                         .Case("eq", arith::CmpFPredicate::OEQ)
                         .Case("ne", arith::CmpFPredicate::UNE)
                         .Case("lt", arith::CmpFPredicate::OLT)
                         .Case("le", arith::CmpFPredicate::OLE)
                         .Case("gt", arith::CmpFPredicate::OGT)
                         .Default(arith::CmpFPredicate::OGE);
    Type elt = args[0].getType();
    Value cond = arith::CmpFOp::create(b, loc, predicate, args[0], args[1]);
    return arith::SelectOp::create(b, loc, cond, scalar(b, loc, elt, 1.0),
                                   scalar(b, loc, elt, 0.0));
  }
};

struct StopGradientLowering : OpConversionPattern<fg::StopGradientOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::StopGradientOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct BroadcastToLowering : OpConversionPattern<fg::BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, broadcastTo(rewriter, op.getLoc(),
                                       adaptor.getInput(),
                                       op.getType().getShape()));
    return success();
  }
};

struct CastLowering : ElementwiseLowering<fg::CastOp, CastLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value build(OpBuilder &b, Location loc, fg::CastOp op,
                     ValueRange args) {
    Value x = args[0];
    Type from = x.getType();
    Type to = cast<RankedTensorType>(op.getType()).getElementType();
    if (from == to)
      return x;
    bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
    if (fromFloat && toFloat)
      return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
                 ? Value(arith::ExtFOp::create(b, loc, to, x))
                 : Value(arith::TruncFOp::create(b, loc, to, x));
    if (fromFloat)
      return arith::FPToSIOp::create(b, loc, to, x);
    return arith::SIToFPOp::create(b, loc, to, x);
  }
};

//===--- Reductions -----------------------------------------------------===//

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
    Value mean = elementwise(
        rewriter, op.getLoc(), out.getShape(), elt, sum,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return arith::DivFOp::create(b, loc, args[0],
                                       scalar(b, loc, elt, count));
        });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

//===--- Data movement --------------------------------------------------===//

struct ReshapeLowering : OpConversionPattern<fg::ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshape(rewriter, op.getLoc(), adaptor.getInput(),
                                   op.getType().getShape()));
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<fg::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value init =
        empty(rewriter, op.getLoc(), type.getShape(), type.getElementType());
    rewriter.replaceOp(op, linalg::TransposeOp::create(
                               rewriter, op.getLoc(), adaptor.getInput(), init,
                               op.getPerm())
                               .getResult()[0]);
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<fg::ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    Value result = empty(rewriter, loc, type.getShape(), type.getElementType());
    int64_t axis = op.getAxis(), offset = 0;
    for (Value in : adaptor.getInputs()) {
      RankedTensorType it = tensorType(in);
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes, strides(type.getRank(),
                                               rewriter.getIndexAttr(1));
      offsets[axis] = rewriter.getIndexAttr(offset);
      for (int64_t d : it.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      result = tensor::InsertSliceOp::create(rewriter, loc, in, result,
                                             offsets, sizes, strides);
      offset += it.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Slice: tensor.extract_slice when every step is positive; otherwise a
/// generic over the result that extracts input[start + i * step]. (An
/// indexing map start + i * step on the input would make linalg infer the
/// loop ranges from the input's shape.)
struct SliceLowering : OpConversionPattern<fg::SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    unsigned rank = type.getRank();
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    if (type.getNumElements() == 0) {
      // An empty slice may start at the end of a dimension.
      rewriter.replaceOp(
          op, empty(rewriter, loc, type.getShape(), type.getElementType()));
      return success();
    }
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      auto attrs = [&](ArrayRef<int64_t> v) {
        return llvm::to_vector(llvm::map_range(
            v, [&](int64_t x) -> OpFoldResult {
              return rewriter.getIndexAttr(x);
            }));
      };
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, type, input, attrs(starts), attrs(type.getShape()),
          attrs(steps));
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    Value init = empty(rewriter, loc, type.getShape(), type.getElementType());
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{}, ValueRange{init},
        AffineMap::getMultiDimIdentityMap(rank, ctx), iterators,
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> coords;
          for (unsigned d = 0; d < rank; ++d) {
            Value i = linalg::IndexOp::create(b, l, d);
            Value scaled = arith::MulIOp::create(
                b, l, i, arith::ConstantIndexOp::create(b, l, steps[d]));
            coords.push_back(arith::AddIOp::create(
                b, l, scaled, arith::ConstantIndexOp::create(b, l, starts[d])));
          }
          linalg::YieldOp::create(b, l,
                                  tensor::ExtractOp::create(b, l, input, coords)
                                      .getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Gather: a generic over the result that reads the index from the indices
/// operand and extracts the element of the data operand. Negative indices
/// count from the end; out-of-range ones are clamped (ONNX leaves them
/// undefined; clamping keeps generated code from reading out of bounds).
struct GatherLowering : OpConversionPattern<fg::GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value data = adaptor.getInput(), indices = adaptor.getIndices();
    RankedTensorType dt = tensorType(data), it = tensorType(indices);
    MLIRContext *ctx = rewriter.getContext();
    int64_t axis = op.getAxis(), q = it.getRank(), rank = type.getRank();
    SmallVector<AffineExpr> idxExprs;
    for (int64_t d = 0; d < q; ++d)
      idxExprs.push_back(getAffineDimExpr(axis + d, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, idxExprs, ctx),
                                   AffineMap::getMultiDimIdentityMap(rank, ctx)};
    Value init = empty(rewriter, op.getLoc(), type.getShape(),
                       type.getElementType());
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    int64_t axisSize = dt.getDimSize(axis);
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{type}, ValueRange{indices},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Type i64 = b.getI64Type();
          Value idx = args[0];
          Value size = scalar(b, loc, i64, axisSize);
          Value negative = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::slt, idx, scalar(b, loc, i64, 0));
          idx = arith::SelectOp::create(
              b, loc, negative, arith::AddIOp::create(b, loc, idx, size), idx);
          idx = arith::MaxSIOp::create(b, loc, idx, scalar(b, loc, i64, 0));
          idx = arith::MinSIOp::create(b, loc, idx,
                                       scalar(b, loc, i64, axisSize - 1));
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(b, loc, d));
          coords.push_back(
              arith::IndexCastOp::create(b, loc, b.getIndexType(), idx));
          for (int64_t d = axis + q; d < rank; ++d)
            coords.push_back(linalg::IndexOp::create(b, loc, d));
          Value v = tensor::ExtractOp::create(b, loc, data, coords);
          linalg::YieldOp::create(b, loc, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void fgc::lowering::populateElementwiseAndShapePatterns(
    RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ShapeLowering, AddLowering, SubLowering,
               MulLowering, DivLowering, PowLowering, NegLowering, AbsLowering,
               ExpLowering, LogLowering, SqrtLowering, ErfLowering,
               TanhLowering, ReluLowering, SigmoidLowering, LeakyReluLowering,
               CastLowering, ReduceSumLowering, ReduceMaxLowering,
               ReduceMeanLowering, ReshapeLowering, TransposeLowering,
               ConcatLowering, SliceLowering, GatherLowering, CompareLowering,
               StopGradientLowering, BroadcastToLowering>(
      patterns.getContext());
}
