//===- FuseElementwise.cpp - Elementwise fusion that keeps named ops ------===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fgc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// The most operations (besides the yield) an elementwise body may have to
/// be recomputed in each of its users: a few arithmetic operations cost
/// nothing next to a pass over memory, but a generator's or a polynomial
/// approximation's dozens do, and so does a call into libm.
constexpr int64_t kMaxRecomputedOps = 8;

/// Whether recomputing `producer` in each of its users moves fewer bytes
/// than writing its result once and reading it back in each: so when it
/// reads at most one operand element per result element (the others are
/// broadcast along some loop, as a mean is along the normalised axis), and
/// its body is a few cheap operations.
bool isCheapToRecompute(linalg::GenericOp producer) {
  if (producer->getNumResults() != 1 || producer.getNumReductionLoops() != 0 ||
      producer.hasIndexSemantics())
    return false;
  int64_t fullInputs = 0;
  for (OpOperand *input : producer.getDpsInputOperands())
    if (producer.getMatchingIndexingMap(input).isPermutation())
      ++fullInputs;
  if (fullInputs > 1)
    return false;
  Block &body = producer.getRegion().front();
  int64_t ops = static_cast<int64_t>(body.getOperations().size()) - 1;
  return ops <= kMaxRecomputedOps &&
         llvm::all_of(body.without_terminator(), [](Operation &op) {
           return isa<arith::ArithDialect>(op.getDialect()) ||
                  isa<math::SqrtOp, math::AbsFOp>(op);
         });
}

/// Gives each `linalg.generic` that could fuse a cheap elementwise producer
/// with several users a copy of its own, which the fusion pattern then
/// inlines: the producer's result is no longer written to memory and read
/// back by each user (`x - mean` of a normalisation feeds the variance's
/// sum and the division; recomputing it reads `x` instead, which costs the
/// same as reading the difference and saves writing it).
struct RecomputeCheapProducer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp producer,
                                PatternRewriter &rewriter) const override {
    if (producer->hasOneUse() || !isCheapToRecompute(producer))
      return failure();
    SmallVector<OpOperand *> fusable;
    for (OpOperand &use : producer->getUses()) {
      auto user = dyn_cast<linalg::GenericOp>(use.getOwner());
      if (user && user.isDpsInput(&use) &&
          linalg::areElementwiseOpsFusable(&use))
        fusable.push_back(&use);
    }
    // With every use fusable, the last keeps the original.
    if (fusable.size() == llvm::range_size(producer->getUses()))
      fusable.pop_back();
    if (fusable.empty())
      return failure();
    rewriter.setInsertionPoint(producer);
    for (OpOperand *use : fusable) {
      Operation *copy = rewriter.clone(*producer);
      rewriter.modifyOpInPlace(use->getOwner(),
                               [&] { use->set(copy->getResult(0)); });
    }
    return success();
  }
};

/// Spells a `linalg.transpose` that keeps the innermost dimension in place
/// as the `linalg.generic` it is, so that the elementwise ops around it fuse
/// with it: the op before writes its result transposed, or the op after
/// reads its operand through the permutation, instead of a separate pass
/// copying the whole tensor. Such a copy moves rows of the innermost
/// dimension, so the fused loop stays contiguous; a transpose that moves
/// the innermost dimension stays a copy of its own, which
/// fgc-tile-transposes tiles for the cache.
struct GeneralizeRowTranspose : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> perm = op.getPermutation();
    if (!op.hasPureTensorSemantics() || perm.empty() ||
        perm.back() != static_cast<int64_t>(perm.size()) - 1)
      return failure();
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

struct FuseElementwisePass
    : fgc::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
      // Only generic consumers, and only producers with a single use (a
      // producer with several users would be kept and written as an extra
      // result; RecomputeCheapProducer gives cheap ones a copy per user).
      return producer && producer->hasOneUse() &&
             isa<linalg::GenericOp>(fused->getOwner());
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    patterns.add<RecomputeCheapProducer, GeneralizeRowTranspose>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
