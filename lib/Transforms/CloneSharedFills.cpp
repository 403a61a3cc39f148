//===- CloneSharedFills.cpp - A fill of its own for each accumulator ------===//

#include "fgc/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fgc {
#define GEN_PASS_DEF_CLONESHAREDFILLS
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// Whether `use` is the init of a destination-style op: the op writes its
/// result into that operand's buffer after bufferization.
bool isInitUse(OpOperand &use) {
  auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
  return dps && dps.isDpsInit(&use);
}

/// A tensor fill with several users, one of which accumulates into it (a
/// reduction's or a matrix product's init): each such user gets a clone of
/// the fill right before it. One-shot bufferization would otherwise fill
/// one buffer and copy it for every user that writes into it, a read and a
/// write of the whole buffer where a clone writes it once.
struct CloneSharedFill : OpRewritePattern<linalg::FillOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::FillOp fill,
                                PatternRewriter &rewriter) const override {
    if (!fill.hasPureTensorSemantics())
      return failure();
    Value result = fill.getResult(0);
    if (result.hasOneUse())
      return rewriter.notifyMatchFailure(fill, "one user");
    SmallVector<OpOperand *> inits;
    for (OpOperand &use : result.getUses())
      if (isInitUse(use))
        inits.push_back(&use);
    if (inits.empty())
      return rewriter.notifyMatchFailure(fill, "no user writes into it");
    // With only inits as users, the first of them keeps the original.
    if (llvm::all_of(result.getUses(), isInitUse)) {
      auto first = llvm::min_element(inits, [](OpOperand *a, OpOperand *b) {
        Operation *x = a->getOwner(), *y = b->getOwner();
        return x->getBlock() == y->getBlock() && x->isBeforeInBlock(y);
      });
      inits.erase(first);
    }
    for (OpOperand *use : inits) {
      rewriter.setInsertionPoint(use->getOwner());
      Operation *clone = rewriter.clone(*fill);
      rewriter.modifyOpInPlace(use->getOwner(),
                               [&] { use->set(clone->getResult(0)); });
    }
    return success();
  }
};

struct CloneSharedFillsPass
    : fgc::impl::CloneSharedFillsBase<CloneSharedFillsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CloneSharedFill>(&getContext());
    // No folding: the canonicalizer's CSE-like folds would merge the
    // clones again.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
