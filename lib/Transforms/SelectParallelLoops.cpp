//===- SelectParallelLoops.cpp - Parallel loops worth a thread fork -------===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/Support/MathExtras.h"

namespace fgc {
#define GEN_PASS_DEF_SELECTPARALLELLOOPS
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// Iterations of a loop dimension; unknown (dynamic) bounds count as many.
/// Counts saturate: loop work is only compared against thresholds.
uint64_t tripCount(Value lb, Value ub, Value step) {
  std::optional<APInt> trips = constantTripCount(
      lb, ub, step, /*isSigned=*/true,
      [](Value, Value, bool) { return std::optional<APSInt>(); });
  if (!trips || trips->getActiveBits() > 63)
    return UINT64_MAX;
  return trips->getZExtValue();
}

uint64_t tripCount(Operation *loop) {
  if (auto f = dyn_cast<scf::ForOp>(loop))
    return tripCount(f.getLowerBound(), f.getUpperBound(), f.getStep());
  auto p = cast<scf::ParallelOp>(loop);
  uint64_t trips = 1;
  for (auto [lb, ub, step] :
       llvm::zip(p.getLowerBound(), p.getUpperBound(), p.getStep()))
    trips = llvm::SaturatingMultiply(trips, tripCount(lb, ub, step));
  return trips;
}

/// Innermost iterations a loop nest runs: its trips times those of the
/// loops directly inside it (at least one: its own body).
uint64_t work(Operation *loop) {
  uint64_t inner = 0;
  loop->getRegion(0).walk([&](Operation *op) {
    if (op == loop || !isa<scf::ForOp, scf::ParallelOp>(op))
      return WalkResult::advance();
    inner = llvm::SaturatingAdd(inner, work(op));
    return WalkResult::skip();
  });
  return llvm::SaturatingMultiply(tripCount(loop),
                                  std::max<uint64_t>(inner, 1));
}

/// Replaces `loop` by a nest with its dimensions in order, dimension
/// `parallelDim` (if any) a one-dimensional scf.parallel and the others
/// scf.for.
void rebuild(RewriterBase &rewriter, scf::ParallelOp loop,
             std::optional<unsigned> parallelDim) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> ivs;
  scf::ParallelOp parallel;
  Operation *innermost = nullptr;
  for (unsigned d = 0, e = loop.getNumLoops(); d < e; ++d) {
    Value lb = loop.getLowerBound()[d], ub = loop.getUpperBound()[d],
          step = loop.getStep()[d];
    Block *body;
    if (parallelDim == d) {
      parallel = scf::ParallelOp::create(rewriter, loc, ValueRange{lb},
                                         ValueRange{ub}, ValueRange{step});
      innermost = parallel;
      body = parallel.getBody();
    } else {
      auto f = scf::ForOp::create(rewriter, loc, lb, ub, step);
      innermost = f;
      body = f.getBody();
    }
    ivs.push_back(body->getArgument(0));
    rewriter.setInsertionPoint(body->getTerminator());
  }
  Block &old = *loop.getBody();
  rewriter.eraseOp(old.getTerminator());
  Block &inner = innermost->getRegion(0).front();
  rewriter.inlineBlockBefore(&old, inner.getTerminator(), ivs);
  rewriter.eraseOp(loop);
}

struct SelectParallelLoopsPass
    : fgc::impl::SelectParallelLoopsBase<SelectParallelLoopsPass> {
  using SelectParallelLoopsBase::SelectParallelLoopsBase;

  /// The dimension of `loop` to run on threads, if it is worth it. Loops
  /// nested in another (including one kept parallel) run serially.
  std::optional<unsigned> chooseDim(scf::ParallelOp loop) {
    if (loop->getParentOfType<LoopLikeOpInterface>() || work(loop) < minWork)
      return std::nullopt;
    uint64_t outer = 1;
    for (unsigned d = 0, e = loop.getNumLoops(); d < e; ++d) {
      uint64_t trips = tripCount(loop.getLowerBound()[d],
                                 loop.getUpperBound()[d], loop.getStep()[d]);
      if (trips >= minTrip && outer <= maxForks)
        return d;
      outer = llvm::SaturatingMultiply(outer, trips);
    }
    return std::nullopt;
  }

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Outer loops first: a loop nested in a serialised one is serialised.
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk<WalkOrder::PreOrder>([&](scf::ParallelOp loop) {
      if (loop.getNumResults() == 0)
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      rebuild(rewriter, loop, chooseDim(loop));
  }
};

} // namespace
