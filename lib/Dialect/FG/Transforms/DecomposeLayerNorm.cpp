//===- DecomposeLayerNorm.cpp - The fg-decompose-layer-norm pass ----------===//
//
// Rewrites fg.layer_norm into the fg ops its differentiation rules build,
// so that CSE merges the statistics they recompute (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGDECOMPOSELAYERNORM
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

struct FGDecomposeLayerNormPass
    : fgc::fg::impl::FGDecomposeLayerNormBase<FGDecomposeLayerNormPass> {
  void runOnOperation() override {
    SmallVector<LayerNormOp> norms;
    getOperation()->walk([&](LayerNormOp op) { norms.push_back(op); });
    // Plain creation, no folding: the ops must be exactly the rules' ones.
    IRRewriter rewriter(&getContext());
    for (LayerNormOp op : norms) {
      rewriter.setInsertionPoint(op);
      Value y = op.buildParts(rewriter).normalized;
      if (Value scale = op.getScale())
        y = MulOp::create(rewriter, op.getLoc(), y, scale);
      if (Value bias = op.getBias())
        y = AddOp::create(rewriter, op.getLoc(), y, bias);
      rewriter.replaceOp(op, y);
    }
  }
};

} // namespace
