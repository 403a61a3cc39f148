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

/// A hash of `fn`'s type and body that ignores which values ops use
/// (equal for functions that OperationEquivalence finds equivalent).
llvm::hash_code structuralHash(func::FuncOp fn) {
  llvm::hash_code h = hash_value(fn.getFunctionType());
  fn.getBody().walk([&](Operation *op) {
    h = llvm::hash_combine(h, OperationEquivalence::computeHash(
                                  op, OperationEquivalence::ignoreHashValue,
                                  OperationEquivalence::ignoreHashValue,
                                  OperationEquivalence::IgnoreLocations));
  });
  return h;
}

/// The outlined functions so far, by structural hash: a loop nest equal to
/// an earlier one but for the buffers it reads and writes (the same layer
/// in each block of a network, a fill of the same shape) calls the
/// earlier function instead of adding one that LLVM would compile again.
struct OutlinedFunctions {
  DenseMap<llvm::hash_code, SmallVector<func::FuncOp, 1>> byHash;

  /// An earlier function equivalent to `fn`, or null (then `fn` is kept).
  func::FuncOp findOrInsert(func::FuncOp fn) {
    SmallVector<func::FuncOp, 1> &bucket = byHash[structuralHash(fn)];
    for (func::FuncOp other : bucket)
      if (other.getFunctionType() == fn.getFunctionType() &&
          OperationEquivalence::isRegionEquivalentTo(
              &other.getBody(), &fn.getBody(),
              OperationEquivalence::IgnoreLocations))
        return other;
    bucket.push_back(fn);
    return nullptr;
  }
};

struct OutlineLoopsPass : fgc::impl::OutlineLoopsBase<OutlineLoopsPass> {
  using OutlineLoopsBase::OutlineLoopsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    OutlinedFunctions outlinedSoFar;
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
        func::CallOp call;
        FailureOr<func::FuncOp> outlined = outlineSingleBlockRegion(
            rewriter, loop->getLoc(), region.getRegion(), name, &call);
        if (failed(outlined)) {
          region.emitOpError("could not be outlined");
          return signalPassFailure();
        }
        if (func::FuncOp same = outlinedSoFar.findOrInsert(*outlined)) {
          call.setCallee(same.getName());
          outlined->erase();
          ++numShared;
          continue;
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
