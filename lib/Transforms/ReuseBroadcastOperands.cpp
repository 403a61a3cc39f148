//===- ReuseBroadcastOperands.cpp - Loop order that reuses broadcast reads ===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/Statistic.h"

namespace fgc {
#define GEN_PASS_DEF_REUSEBROADCASTOPERANDS
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// An operand that does not fit in the cache, with the loops that index it.
struct LargeOperand {
  int64_t bytes;
  llvm::SmallBitVector dims;
};

/// The loop order that streams each large operand once: a loop that some
/// large operand does not depend on while a loop inside it walks that
/// operand (the tangent index of a JVP reading the primal's activations, or
/// the tangent index a gradient estimate sums over) moves inwards, after
/// the fewest outer parallel loops that cut every such operand to
/// `maxFootprint` bytes. The other loops keep their order. Empty when the
/// order does not change.
SmallVector<unsigned> reuseOrder(linalg::GenericOp op, int64_t maxFootprint) {
  if (!op.hasPureBufferSemantics())
    return {};
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numLoops = iterators.size();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return {};

  SmallVector<LargeOperand> operands;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.hasStaticShape() ||
        !type.getElementType().isIntOrFloat())
      continue;
    int64_t bytes = type.getNumElements() *
                    llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    if (bytes <= maxFootprint)
      continue;
    llvm::SmallBitVector dims(numLoops);
    for (AffineExpr e : op.getMatchingIndexingMap(&operand).getResults())
      for (unsigned d = 0; d < numLoops; ++d)
        if (e.isFunctionOfDim(d))
          dims.set(d);
    operands.push_back({bytes, std::move(dims)});
  }

  // Loops some large operand is streamed again across, and those operands.
  llvm::SmallBitVector moved(numLoops);
  SmallVector<const LargeOperand *> restreamed;
  for (const LargeOperand &operand : operands) {
    bool again = false;
    for (unsigned d = 0; d < numLoops; ++d)
      if (!operand.dims.test(d) && operand.dims.find_next(d) != -1) {
        moved.set(d);
        again = true;
      }
    if (again)
      restreamed.push_back(&operand);
  }
  if (moved.none())
    return {};

  SmallVector<unsigned> kept;
  for (unsigned d = 0; d < numLoops; ++d)
    if (!moved.test(d))
      kept.push_back(d);
  // The fewest outer parallel loops under which each such operand's slice
  // fits (a reduction loop stays where it is relative to the others).
  auto fits = [&](unsigned prefix) {
    return llvm::all_of(restreamed, [&](const LargeOperand *operand) {
      int64_t slice = operand->bytes;
      for (unsigned d : ArrayRef(kept).take_front(prefix))
        if (operand->dims.test(d))
          slice /= ranges[d];
      return slice <= maxFootprint;
    });
  };
  unsigned prefix = 0;
  while (prefix < kept.size() &&
         iterators[kept[prefix]] == utils::IteratorType::parallel &&
         !fits(prefix))
    ++prefix;

  SmallVector<unsigned> order(ArrayRef(kept).take_front(prefix));
  for (unsigned d = 0; d < numLoops; ++d)
    if (moved.test(d))
      order.push_back(d);
  llvm::append_range(order, ArrayRef(kept).drop_front(prefix));
  // Only inwards: a loop placed further out would stream more, not less.
  for (auto [position, d] : llvm::enumerate(order))
    if (moved.test(d) && position < d)
      return {};
  if (llvm::equal(order, llvm::seq<unsigned>(0, numLoops)))
    return {};
  return order;
}

struct ReuseBroadcastOperand : OpRewritePattern<linalg::GenericOp> {
  ReuseBroadcastOperand(MLIRContext *context, int64_t maxFootprint,
                        unsigned &interchanged)
      : OpRewritePattern(context), maxFootprint(maxFootprint),
        interchanged(interchanged) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<unsigned> order = reuseOrder(op, maxFootprint);
    if (order.empty())
      return rewriter.notifyMatchFailure(op, "no operand is streamed again");
    if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
      return failure();
    ++interchanged;
    return success();
  }

  int64_t maxFootprint;
  unsigned &interchanged;
};

struct ReuseBroadcastOperandsPass
    : fgc::impl::ReuseBroadcastOperandsBase<ReuseBroadcastOperandsPass> {
  using ReuseBroadcastOperandsBase::ReuseBroadcastOperandsBase;

  void runOnOperation() override {
    unsigned interchanged = 0;
    RewritePatternSet patterns(&getContext());
    patterns.add<ReuseBroadcastOperand>(&getContext(), maxFootprint,
                                        interchanged);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    numInterchanged += interchanged;
  }
};

} // namespace
