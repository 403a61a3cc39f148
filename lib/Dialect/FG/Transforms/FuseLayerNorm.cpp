//===- FuseLayerNorm.cpp - Recognise decomposed layer norms ---------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGFUSELAYERNORM
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

/// The value of a splat floating-point constant, if `v` is one.
std::optional<double> splatValue(Value v) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return shortestDouble(attr.getSplatValue<APFloat>());
}

/// The first reduced axis if `op` reduces exactly the trailing axes of its
/// input and keeps them, else std::nullopt.
std::optional<int64_t> trailingAxes(ReduceMeanOp op) {
  int64_t rank = op.getInput().getType().getRank();
  ArrayRef<int64_t> axes = op.getAxes();
  if (!op.getKeepdims() || axes.empty() || axes.back() != rank - 1)
    return std::nullopt;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return std::nullopt;
  return axes.front();
}

/// d / sqrt(mean((x - mean(x))^2) + eps) with d = x - mean(x)
///   -> fg.layer_norm x {axis, epsilon = eps}
struct FuseDecomposedLayerNorm : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto centered = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!centered || !sqrt || !sqrt->hasOneUse())
      return rewriter.notifyMatchFailure(div, "not (x - m) / sqrt(.)");
    auto add = sqrt.getInput().getDefiningOp<AddOp>();
    if (!add || !add->hasOneUse())
      return rewriter.notifyMatchFailure(div, "no + epsilon");
    std::optional<double> eps = splatValue(add.getRhs());
    auto var = add.getLhs().getDefiningOp<ReduceMeanOp>();
    if (!eps) {
      eps = splatValue(add.getLhs());
      var = add.getRhs().getDefiningOp<ReduceMeanOp>();
    }
    if (!eps || *eps < 0 || !var || !var->hasOneUse())
      return rewriter.notifyMatchFailure(div, "no mean of squares + epsilon");
    auto square = var.getInput().getDefiningOp<PowOp>();
    std::optional<double> exponent =
        square ? splatValue(square.getRhs()) : std::nullopt;
    if (!square || !square->hasOneUse() || exponent != 2.0 ||
        square.getLhs() != centered.getResult())
      return rewriter.notifyMatchFailure(div, "variance is not mean(d^2)");
    auto mean = centered.getRhs().getDefiningOp<ReduceMeanOp>();
    Value x = centered.getLhs();
    if (!mean || !mean->hasOneUse() || mean.getInput() != x ||
        !llvm::hasNItems(centered->getUses(), 2))
      return rewriter.notifyMatchFailure(div, "d is not x - mean(x)");
    std::optional<int64_t> axis = trailingAxes(mean);
    if (!axis || axis != trailingAxes(var) || x.getType() != div.getType())
      return rewriter.notifyMatchFailure(div, "axes are not the trailing ones");
    rewriter.replaceOpWithNewOp<LayerNormOp>(div, x, /*affine=*/ValueRange(),
                                             rewriter.getI64IntegerAttr(*axis),
                                             rewriter.getF64FloatAttr(*eps));
    return success();
  }
};

struct FGFuseLayerNormPass
    : fgc::fg::impl::FGFuseLayerNormBase<FGFuseLayerNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseDecomposedLayerNorm>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
