//===- DecomposeLosses.cpp - The fg-decompose-losses pass -----------------===//
//
// Rewrites fg.cross_entropy and fg.local_xent into the fg ops that compute
// their forward value, for code generation (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGDECOMPOSELOSSES
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

/// -sum_k onehot(labels)[n, k] log_softmax(logits)[n, k], per example.
Value crossEntropy(OpBuilder &b, Location loc, Value logits, Value labels) {
  Value lsm = LogSoftmaxOp::create(b, loc, logits, b.getI64IntegerAttr(1));
  Value onehot = OneHotOp::create(b, loc, logits.getType(), labels);
  Value picked =
      ReduceSumOp::create(b, loc, MulOp::create(b, loc, onehot, lsm),
                          b.getDenseI64ArrayAttr({1}), b.getBoolAttr(false));
  return NegOp::create(b, loc, picked);
}

/// The forward value of the fused head: one pooled head per example,
/// replicated over the copies.
Value localXent(OpBuilder &b, LocalXentOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto xt = cast<RankedTensorType>(x.getType());
  ArrayRef<int64_t> xs = xt.getShape();
  Type elt = xt.getElementType();
  Value mean = ReduceMeanOp::create(b, loc, x, b.getDenseI64ArrayAttr({1}),
                                    b.getBoolAttr(false));
  Value xbar = ReshapeOp::create(
      b, loc, RankedTensorType::get({xs[0], xs[2] * xs[3]}, elt), mean);
  Value logits = AddOp::create(
      b, loc, MatMulOp::create(b, loc, xbar, op.getWeight()), op.getBias());
  Value ce = crossEntropy(b, loc, logits, op.getLabels());
  Value col =
      ReshapeOp::create(b, loc, RankedTensorType::get({xs[0], 1, 1}, elt), ce);
  return BroadcastToOp::create(b, loc, op.getType(), col);
}

struct FGDecomposeLossesPass
    : fgc::fg::impl::FGDecomposeLossesBase<FGDecomposeLossesPass> {
  void runOnOperation() override {
    SmallVector<Operation *> losses;
    getOperation()->walk([&](Operation *op) {
      if (isa<CrossEntropyOp, LocalXentOp>(op))
        losses.push_back(op);
    });
    // Plain creation, no folding: the ops are exactly those listed above.
    IRRewriter rewriter(&getContext());
    for (Operation *op : losses) {
      rewriter.setInsertionPoint(op);
      Value value = llvm::TypeSwitch<Operation *, Value>(op)
                        .Case([&](CrossEntropyOp ce) {
                          return crossEntropy(rewriter, ce.getLoc(),
                                              ce.getLogits(), ce.getLabels());
                        })
                        .Case([&](LocalXentOp head) {
                          return localXent(rewriter, head);
                        });
      rewriter.replaceOp(op, value);
    }
  }
};

} // namespace
