//===- TrainingOps.cpp - fg perturbation points, labels, random numbers ---===//
//
// fg.perturb is the identity; fg.one_hot, fg.argmax and fg.random_normal
// become linalg.generic ops of their own. (The loss ops, fg.cross_entropy
// and fg.local_xent, are not lowered here: fg-decompose-losses rewrites them
// into other fg ops first.)
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Transforms/Attributes.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::lowering;

namespace {

AffineMap identity(MLIRContext *ctx, int64_t rank) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx);
}

/// Markers whose value is their operand: a perturbation point, and a
/// dropout that no training step rewrote (fgc evaluates without dropout).
template <typename OpTy> struct IdentityLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpTy::Adaptor;
  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct OneHotLowering : OpConversionPattern<fg::OneHotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    Type elt = type.getElementType();
    AffineMap labelsMap = identity(ctx, rank).dropResult(rank - 1);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value init = empty(rewriter, loc, type.getShape(), elt);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{adaptor.getLabels()},
        ValueRange{init}, ArrayRef<AffineMap>{labelsMap, identity(ctx, rank)},
        iters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value k = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, rank - 1));
          Value eq =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, k, args[0]);
          Value v = arith::SelectOp::create(b, l, eq, scalar(b, l, elt, 1.0),
                                            scalar(b, l, elt, 0.0));
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// One reduction carrying (best value, its index); the first maximum wins.
struct ArgMaxLowering : OpConversionPattern<fg::ArgMaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ArgMaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    RankedTensorType xt = tensorType(x);
    Type elt = xt.getElementType();
    int64_t rank = xt.getRank(), axis = op.getAxis();
    MLIRContext *ctx = rewriter.getContext();
    ArrayRef<int64_t> outShape = op.getType().getShape();
    Value best = filled(rewriter, loc, outShape, lowestAttr(elt));
    Value index =
        filled(rewriter, loc, outShape, rewriter.getI64IntegerAttr(0));
    AffineMap in = identity(ctx, rank);
    AffineMap out = in.dropResult(axis);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters[axis] = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{best.getType(), index.getType()},
        ValueRange{x}, ValueRange{best, index},
        ArrayRef<AffineMap>{in, out, out}, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          Value better = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                               args[0], args[1]);
          linalg::YieldOp::create(
              b, l,
              ValueRange{
                  arith::SelectOp::create(b, l, better, args[0], args[1]),
                  arith::SelectOp::create(b, l, better, i, args[2])});
        });
    rewriter.replaceOp(op, generic.getResult(1));
    return success();
  }
};

/// The four normal numbers of Philox block `block` (i64) for (seed, step,
/// site): Philox-4x32-10 on (block, step, site) with key seed, then
/// Box-Muller on the words (0, 1) and on (2, 3), each pair giving its
/// cosine and its sine. Matches support::philox4x32 and
/// support::tensorNormal in fgc/Support/Philox.h bit for bit on the integer
/// part; log, cos and sin are polynomial approximations
/// (fgc-approximate-math), a few ulp from libm's, so that the loop has no
/// libm call and vectorises.
SmallVector<Value, 4> philoxNormals(OpBuilder &b, Location l, Value block,
                                    Value seed, Value step, uint32_t site) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type(), f32 = b.getF32Type();
  auto c64 = [&](uint64_t v) -> Value {
    return arith::ConstantOp::create(b, l, b.getI64IntegerAttr(v));
  };
  auto c32 = [&](uint32_t v) -> Value {
    return arith::ConstantOp::create(
        b, l, b.getI32IntegerAttr(static_cast<int32_t>(v)));
  };
  auto lo = [&](Value v) -> Value {
    return arith::TruncIOp::create(b, l, i32, v);
  };
  auto hi = [&](Value v) -> Value {
    return arith::TruncIOp::create(b, l, i32,
                                   arith::ShRUIOp::create(b, l, v, c64(32)));
  };
  Value c[4] = {lo(block), hi(block), lo(step), c32(site)};
  Value k[2] = {lo(seed), hi(seed)};
  auto mulhilo = [&](uint32_t m, Value x, Value &h, Value &lw) {
    Value p = arith::MulIOp::create(b, l, c64(m),
                                    arith::ExtUIOp::create(b, l, i64, x));
    h = hi(p);
    lw = lo(p);
  };
  for (int round = 0; round < 10; ++round) {
    Value h0, l0, h1, l1;
    mulhilo(0xD2511F53u, c[0], h0, l0);
    mulhilo(0xCD9E8D57u, c[2], h1, l1);
    Value n0 = arith::XOrIOp::create(
        b, l, arith::XOrIOp::create(b, l, h1, c[1]), k[0]);
    Value n2 = arith::XOrIOp::create(
        b, l, arith::XOrIOp::create(b, l, h0, c[3]), k[1]);
    c[0] = n0;
    c[1] = l1;
    c[2] = n2;
    c[3] = l0;
    if (round < 9) {
      k[0] = arith::AddIOp::create(b, l, k[0], c32(0x9E3779B9u));
      k[1] = arith::AddIOp::create(b, l, k[1], c32(0xBB67AE85u));
    }
  }
  // u1 in (0, 1], u2 in [0, 1) from the top 24 bits, in f32.
  auto unit = [&](Value bits, bool open) -> Value {
    Value top = arith::ShRUIOp::create(b, l, bits, c32(8));
    if (open)
      top = arith::AddIOp::create(b, l, top, c32(1));
    Value f = arith::UIToFPOp::create(b, l, f32, top);
    return arith::MulFOp::create(b, l, f, scalar(b, l, f32, 1.0 / 16777216.0));
  };
  auto approximate = [&](Operation *op) -> Value {
    op->setAttr(fgc::kApproximateAttr, b.getUnitAttr());
    return op->getResult(0);
  };
  SmallVector<Value, 4> numbers;
  for (int pair = 0; pair < 2; ++pair) {
    Value r = math::SqrtOp::create(
        b, l,
        arith::MulFOp::create(
            b, l, scalar(b, l, f32, -2.0),
            approximate(math::LogOp::create(b, l, unit(c[2 * pair], true)))));
    Value angle =
        arith::MulFOp::create(b, l, scalar(b, l, f32, 6.283185307179586),
                              unit(c[2 * pair + 1], false));
    numbers.push_back(arith::MulFOp::create(
        b, l, r, approximate(math::CosOp::create(b, l, angle))));
    numbers.push_back(arith::MulFOp::create(
        b, l, r, approximate(math::SinOp::create(b, l, angle))));
  }
  return numbers;
}

/// With Q = ceil(count / 4) blocks, element i (row-major) of the result is
/// number i / Q of block i % Q (support::tensorNormal): one generic over the
/// Q blocks writes four rows of Q, so that a loop iteration draws one
/// Philox block and two logarithms for four numbers and the loop
/// vectorises over blocks. The rows are then laid end to end, cut to the
/// element count and given the result's shape.
struct RandomNormalLowering : OpConversionPattern<fg::RandomNormalOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::RandomNormalOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type elt = type.getElementType();
    MLIRContext *ctx = rewriter.getContext();
    Value seed = tensor::ExtractOp::create(rewriter, loc, adaptor.getSeed(),
                                           ValueRange{});
    Value step = tensor::ExtractOp::create(rewriter, loc, adaptor.getStep(),
                                           ValueRange{});
    uint32_t site = static_cast<uint32_t>(op.getSite());
    int64_t count = type.getNumElements(), blocks = (count + 3) / 4;
    // The generic writes its four rows into slices of the flat result.
    // One-shot bufferization still copies rows into place (its analysis
    // does not see that a generic's outputs are disjoint slices of one
    // buffer): up to n floats copied, against a generator several times as
    // costly. A [4, Q] output over iterations
    // (block, number) would need no copy, but LLVM does not unroll a body
    // this large, so the Philox rounds would run once per number.
    auto index = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };
    auto rowType = RankedTensorType::get({blocks}, elt);
    Value flat = empty(rewriter, loc, {4 * blocks}, elt);
    SmallVector<Value> rows;
    for (int64_t r = 0; r < 4; ++r)
      rows.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, rowType, flat,
          ArrayRef<OpFoldResult>{index(r * blocks)},
          ArrayRef<OpFoldResult>{index(blocks)},
          ArrayRef<OpFoldResult>{index(1)}));
    SmallVector<AffineMap> maps(4, identity(ctx, 1));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, ValueRange(rows).getTypes(), ValueRange{}, rows, maps,
        utils::IteratorType::parallel,
        [&](OpBuilder &b, Location l, ValueRange) {
          Value block = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, 0));
          SmallVector<Value, 4> z =
              philoxNormals(b, l, block, seed, step, site);
          if (elt != b.getF32Type())
            for (Value &v : z)
              v = arith::ExtFOp::create(b, l, elt, v);
          linalg::YieldOp::create(b, l, z);
        });
    for (int64_t r = 0; r < 4; ++r)
      flat = tensor::InsertSliceOp::create(
          rewriter, loc, generic.getResult(r), flat,
          ArrayRef<OpFoldResult>{index(r * blocks)},
          ArrayRef<OpFoldResult>{index(blocks)},
          ArrayRef<OpFoldResult>{index(1)});
    if (4 * blocks != count)
      flat = tensor::ExtractSliceOp::create(
          rewriter, loc, RankedTensorType::get({count}, elt), flat,
          ArrayRef<OpFoldResult>{index(0)},
          ArrayRef<OpFoldResult>{index(count)},
          ArrayRef<OpFoldResult>{index(1)});
    Value result = flat;
    if (type.getRank() == 0) {
      result = tensor::CollapseShapeOp::create(
          rewriter, loc, type, flat, SmallVector<ReassociationIndices>{});
    } else if (type.getRank() > 1) {
      ReassociationIndices all;
      for (int64_t d = 0; d < type.getRank(); ++d)
        all.push_back(d);
      result = tensor::ExpandShapeOp::create(
          rewriter, loc, type, flat, SmallVector<ReassociationIndices>{all});
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void fgc::lowering::populateTrainingOpPatterns(RewritePatternSet &patterns) {
  patterns.add<IdentityLowering<fg::PerturbOp>, IdentityLowering<fg::DropoutOp>,
               OneHotLowering, ArgMaxLowering, RandomNormalLowering>(
      patterns.getContext());
}
