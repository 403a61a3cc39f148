//===- ApproximateMath.cpp - Vectorisable math where it is asked for ------===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fgc {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

struct ApproximateMathPass
    : fgc::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> marked;
    getOperation().walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) &&
          op->hasAttr(fgc::kApproximateAttr))
        marked.push_back(op);
    });
    if (marked.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns,
                                                [](StringRef) { return true; });
    // Only the marked ops and what their rewrites create: a greedy rewrite
    // of the whole function would also fold and simplify everything else.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    config.enableFolding(false);
    if (failed(applyOpPatternsGreedily(marked, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
