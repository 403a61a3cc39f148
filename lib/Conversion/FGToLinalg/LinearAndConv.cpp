//===- LinearAndConv.cpp - fg matrix products and convolution -------------===//
//
// fg.matmul and fg.gemm become linalg.matmul or linalg.batch_matmul;
// fg.conv an im2col generic and one linalg.batch_matmul.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::lowering;

namespace {

Value transpose2d(OpBuilder &b, Location loc, Value v) {
  RankedTensorType t = tensorType(v);
  Value init =
      empty(b, loc, {t.getDimSize(1), t.getDimSize(0)}, t.getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

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
      // A left operand without batch dimensions is shared, not copied.
      Value a3 =
          product(as.drop_back(2)) == 1
              ? reshape(rewriter, loc, a, {m, k})
              : reshape(rewriter, loc, broadcastTo(rewriter, loc, a, aShape),
                        {count, m, k});
      Value b3 = reshape(rewriter, loc, broadcastTo(rewriter, loc, bm, bShape),
                         {count, k, n});
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
      y = elementwise(
          rewriter, loc, type.getShape(), elt, inputs,
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value v = args[0];
            if (alpha != 1.0)
              v = arith::MulFOp::create(b, l, scalar(b, l, elt, alpha), v);
            if (args.size() > 1) {
              Value cv = args[1];
              if (beta != 1.0)
                cv = arith::MulFOp::create(b, l, scalar(b, l, elt, beta), cv);
              v = arith::AddFOp::create(b, l, v, cv);
            }
            return v;
          });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//
/// Convolution as im2col + one batched matrix product per (sample, group):
///   cols[n, g, c, k.., o..] = xpad[n, g*Cg + c, o*s + k*d ..]
///   y[(n, g), mg, (o..)] = w[g, mg, (c, k..)] x cols[(n, g), (c, k..), (o..)]
/// (with one group, every sample's product reads the same weights)
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
    SmallVector<AffineMap> maps = {
        AffineMap::get(rank, 0, inExprs, ctx),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);
    Value colsInit = empty(rewriter, loc, colsShape, elt);
    Value cols = linalg::GenericOp::create(
                     rewriter, loc, TypeRange{colsInit.getType()},
                     ValueRange{xg}, ValueRange{colsInit}, maps, parallel,
                     [](OpBuilder &b, Location l, ValueRange args) {
                       linalg::YieldOp::create(b, l, args[0]);
                     })
                     .getResult(0);
    int64_t taps = cg * product(kernel), positions = product(out);
    Value cols3 =
        reshape(rewriter, loc, cols, {batch * group, taps, positions});
    // The weights: [Mg, taps] shared by every sample's product when
    // ungrouped; else one copy per sample, [N*G, Mg, taps] (the products
    // run over (sample, group) pairs, and a group's weights are small).
    Value w3;
    if (group == 1) {
      w3 = reshape(rewriter, loc, w, {mg, taps});
    } else {
      w3 = reshape(rewriter, loc, w, {1, group, mg, taps});
      w3 = broadcastTo(rewriter, loc, w3, {batch, group, mg, taps});
      w3 = reshape(rewriter, loc, w3, {batch * group, mg, taps});
    }
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

} // namespace

void fgc::lowering::populateLinearAndConvPatterns(RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, GemmLowering, ConvLowering>(
      patterns.getContext());
}
