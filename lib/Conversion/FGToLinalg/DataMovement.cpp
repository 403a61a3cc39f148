//===- DataMovement.cpp - fg reshapes, transposes, slices, gathers --------===//
//
// Reshapes become tensor.collapse_shape/expand_shape, transposes
// linalg.transpose, concatenation tensor.insert_slice, slices
// tensor.extract_slice or a generic, gathers a generic.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::lowering;

namespace {

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
    rewriter.replaceOp(op, linalg::TransposeOp::create(rewriter, op.getLoc(),
                                                       adaptor.getInput(), init,
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
      SmallVector<OpFoldResult> sizes,
          strides(type.getRank(), rewriter.getIndexAttr(1));
      offsets[axis] = rewriter.getIndexAttr(offset);
      for (int64_t d : it.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      result = tensor::InsertSliceOp::create(rewriter, loc, in, result, offsets,
                                             sizes, strides);
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
        return llvm::to_vector(
            llvm::map_range(v, [&](int64_t x) -> OpFoldResult {
              return rewriter.getIndexAttr(x);
            }));
      };
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, type, input, attrs(starts), attrs(type.getShape()), attrs(steps));
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
          linalg::YieldOp::create(
              b, l, tensor::ExtractOp::create(b, l, input, coords).getResult());
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
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank, 0, idxExprs, ctx),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    Value init =
        empty(rewriter, op.getLoc(), type.getShape(), type.getElementType());
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

void fgc::lowering::populateDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, ConcatLowering,
               SliceLowering, GatherLowering>(patterns.getContext());
}
