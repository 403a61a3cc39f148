//===- OutlineLoops.cpp - One function per top-level loop nest ------------===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace fgc {
#define GEN_PASS_DEF_OUTLINELOOPS
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// `loop` wrapped in an scf.execute_region that also holds copies of the
/// constants it reads (so that the outlined function keeps constant
/// bounds, strides and coefficients).
scf::ExecuteRegionOp wrap(IRRewriter &rewriter, Operation *loop) {
  rewriter.setInsertionPoint(loop);
  auto region =
      scf::ExecuteRegionOp::create(rewriter, loop->getLoc(), TypeRange{});
  Block *block = rewriter.createBlock(&region.getRegion());
  rewriter.setInsertionPointToEnd(block);
  auto yield = scf::YieldOp::create(rewriter, loop->getLoc());
  loop->moveBefore(yield);
  llvm::SmallDenseMap<Value, Value> copies;
  rewriter.setInsertionPointToStart(block);
  loop->walk([&](Operation *op) {
    for (OpOperand &use : op->getOpOperands()) {
      Operation *def = use.get().getDefiningOp();
      if (!def || !def->hasTrait<OpTrait::ConstantLike>() ||
          region->isProperAncestor(def))
        continue;
      Value &copy = copies[use.get()];
      if (!copy)
        copy = rewriter.clone(*def)->getResult(0);
      use.set(copy);
    }
  });
  return region;
}

struct OutlineLoopsPass : fgc::impl::OutlineLoopsBase<OutlineLoopsPass> {
  using OutlineLoopsBase::OutlineLoopsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp f : funcs) {
      if (f.isExternal() || f.isPrivate())
        continue;
      SmallVector<Operation *> loops;
      for (Operation &op : f.getBody().front())
        if (isa<scf::ForOp, scf::ParallelOp>(op))
          loops.push_back(&op);
      if (static_cast<int64_t>(loops.size()) < minLoops)
        continue;
      int64_t index = 0;
      for (Operation *loop : loops) {
        if (loop->getNumResults() != 0)
          continue;
        scf::ExecuteRegionOp region = wrap(rewriter, loop);
        std::string name;
        do
          name = (f.getName() + "_loop" + Twine(index++)).str();
        while (symbols.lookup(name));
        FailureOr<func::FuncOp> outlined = outlineSingleBlockRegion(
            rewriter, loop->getLoc(), region.getRegion(), name);
        if (failed(outlined)) {
          region.emitOpError("could not be outlined");
          return signalPassFailure();
        }
        outlined->setPrivate();
        // LLVM would inline a function called once straight back.
        outlined->getOperation()->setAttr(
            "passthrough",
            rewriter.getArrayAttr({rewriter.getStringAttr("noinline")}));
        symbols.insert(*outlined);
      }
    }
  }
};

} // namespace
