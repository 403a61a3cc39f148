//===- LowerReductions.cpp - Reductions with loop-carried accumulators ----===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/Statistic.h"

namespace fgc {
#define GEN_PASS_DEF_LOWERREDUCTIONS
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// The buffer `value` is a view of (through subviews, reshapes, casts).
Value rootBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// The number of leading parallel loops of `op` when all its reduction loops
/// follow them, its outputs do not depend on those, and no input reads a
/// buffer an output writes.
std::optional<unsigned> lowerableParallelLoops(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() == 0)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numParallel =
      llvm::find(iterators, utils::IteratorType::reduction) - iterators.begin();
  if (!llvm::all_of(llvm::drop_begin(iterators, numParallel),
                    [](utils::IteratorType t) {
                      return t == utils::IteratorType::reduction;
                    }))
    return std::nullopt;
  SmallVector<Value> written;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    for (unsigned d = numParallel; d < iterators.size(); ++d)
      if (map.isFunctionOfDim(d))
        return std::nullopt;
    written.push_back(rootBuffer(init.get()));
  }
  for (OpOperand *input : op.getDpsInputOperands())
    if (isa<MemRefType>(input->get().getType()) &&
        llvm::is_contained(written, rootBuffer(input->get())))
      return std::nullopt;
  // linalg.index ops nested in regions of the body would be cloned as they
  // are, outside any linalg op.
  WalkResult nestedIndex = op.getRegion().walk([&](linalg::IndexOp index) {
    return index->getBlock() == op.getBody() ? WalkResult::advance()
                                             : WalkResult::interrupt();
  });
  if (nestedIndex.wasInterrupted())
    return std::nullopt;
  return numParallel;
}

/// The indices `map` gives for loop induction variables `ivs`.
SmallVector<Value> indices(OpBuilder &b, Location loc, AffineMap map,
                           ArrayRef<OpFoldResult> operands) {
  SmallVector<Value> result;
  for (unsigned i = 0, e = map.getNumResults(); i < e; ++i)
    result.push_back(getValueOrCreateConstantIndexOp(
        b, loc,
        affine::makeComposedFoldedAffineApply(b, loc, map.getSubMap({i}),
                                              operands)));
  return result;
}

/// Lowers a reduction whose reduced loops come last: the outputs are loaded
/// before those loops, carried through them as iter_args and stored after.
struct LowerReduction : OpRewritePattern<linalg::GenericOp> {
  LowerReduction(MLIRContext *context, unsigned &lowered)
      : OpRewritePattern(context), lowered(lowered) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<unsigned> numParallel = lowerableParallelLoops(op);
    if (!numParallel)
      return rewriter.notifyMatchFailure(op, "not a trailing reduction");
    Location loc = op.getLoc();
    SmallVector<Value> lbs, ubs, steps;
    for (Range range : cast<linalg::LinalgOp>(op.getOperation())
                           .createLoopRanges(rewriter, loc)) {
      lbs.push_back(
          getValueOrCreateConstantIndexOp(rewriter, loc, range.offset));
      ubs.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
      steps.push_back(
          getValueOrCreateConstantIndexOp(rewriter, loc, range.stride));
    }
    ValueRange reducedLbs = ValueRange(lbs).drop_front(*numParallel);
    ValueRange reducedUbs = ValueRange(ubs).drop_front(*numParallel);
    ValueRange reducedSteps = ValueRange(steps).drop_front(*numParallel);

    auto reduce = [&](OpBuilder &b, Location loc, ValueRange parallelIvs) {
      // The outputs do not depend on the reduced loops: any value does.
      SmallVector<OpFoldResult> outerIvs(parallelIvs.begin(),
                                         parallelIvs.end());
      outerIvs.resize(lbs.size(), b.getIndexAttr(0));
      SmallVector<Value> accumulators;
      SmallVector<SmallVector<Value>> outputIndices;
      for (OpOperand &init : op.getDpsInitsMutable()) {
        outputIndices.push_back(
            indices(b, loc, op.getMatchingIndexingMap(&init), outerIvs));
        accumulators.push_back(
            memref::LoadOp::create(b, loc, init.get(), outputIndices.back()));
      }
      scf::LoopNest nest = scf::buildLoopNest(
          b, loc, reducedLbs, reducedUbs, reducedSteps, accumulators,
          [&](OpBuilder &b, Location loc, ValueRange reducedIvs,
              ValueRange carried) -> scf::ValueVector {
            SmallVector<Value> ivs(parallelIvs);
            llvm::append_range(ivs, reducedIvs);
            SmallVector<OpFoldResult> ivFolds(ivs.begin(), ivs.end());
            Block *body = op.getBody();
            IRMapping mapping;
            for (OpOperand *input : op.getDpsInputOperands()) {
              Value value = input->get();
              if (isa<MemRefType>(value.getType()))
                value = memref::LoadOp::create(
                    b, loc, value,
                    indices(b, loc, op.getMatchingIndexingMap(input), ivFolds));
              mapping.map(op.getMatchingBlockArgument(input), value);
            }
            for (auto [init, acc] : llvm::zip(op.getDpsInitsMutable(), carried))
              mapping.map(op.getMatchingBlockArgument(&init), acc);
            for (Operation &bodyOp : body->without_terminator()) {
              if (auto index = dyn_cast<linalg::IndexOp>(bodyOp))
                mapping.map(index.getResult(), ivs[index.getDim()]);
              else
                b.clone(bodyOp, mapping);
            }
            scf::ValueVector yielded;
            for (Value v : body->getTerminator()->getOperands())
              yielded.push_back(mapping.lookupOrDefault(v));
            return yielded;
          });
      for (auto [init, result, where] :
           llvm::zip(op.getDpsInitsMutable(), nest.results, outputIndices))
        memref::StoreOp::create(b, loc, result, init.get(), where);
    };

    if (*numParallel == 0)
      reduce(rewriter, loc, {});
    else
      scf::ParallelOp::create(
          rewriter, loc, ValueRange(lbs).take_front(*numParallel),
          ValueRange(ubs).take_front(*numParallel),
          ValueRange(steps).take_front(*numParallel), reduce);
    rewriter.eraseOp(op);
    ++lowered;
    return success();
  }

  unsigned &lowered;
};

struct LowerReductionsPass
    : fgc::impl::LowerReductionsBase<LowerReductionsPass> {
  void runOnOperation() override {
    unsigned lowered = 0;
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerReduction>(&getContext(), lowered);
    // One application per op, no folding: the rest of the function is left
    // as it is.
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    numLowered += lowered;
  }
};

} // namespace
