//===- ScheduleForMemory.cpp - Order a body so values die early -----------===//

#include "fgc/Transforms/LiveMemory.h"
#include "fgc/Transforms/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace fgc {
#define GEN_PASS_DEF_SCHEDULEFORMEMORY
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// For each op of `ops`, the positions in `ops` of the ops it must follow:
/// the definitions of the values it (or an op nested in it) uses, and the
/// previous op with memory effects, so that effects keep their order.
SmallVector<SmallVector<unsigned>>
dependences(Block &block, ArrayRef<Operation *> ops,
            const DenseMap<Operation *, unsigned> &index) {
  SmallVector<SmallVector<unsigned>> deps(ops.size());
  std::optional<unsigned> lastEffect;
  for (unsigned i = 0; i < ops.size(); ++i) {
    Operation *op = ops[i];
    llvm::SetVector<unsigned> d;
    op->walk([&](Operation *nested) {
      for (Value v : nested->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (def && def != op && def->getBlock() == &block)
          d.insert(index.lookup(def));
      }
    });
    if (!isMemoryEffectFree(op)) {
      if (lastEffect)
        d.insert(*lastEffect);
      lastEffect = i;
    }
    deps[i] = d.takeVector();
  }
  return deps;
}

struct ScheduleForMemoryPass
    : fgc::impl::ScheduleForMemoryBase<ScheduleForMemoryPass> {
  using ScheduleForMemoryBase::ScheduleForMemoryBase;

  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (!f.getBody().hasOneBlock())
      return;
    Block &block = f.getBody().front();
    fgc::LiveMemory before;
    if (remarks)
      before = fgc::estimateLiveMemory(block);
    Operation *terminator = block.getTerminator();
    SmallVector<Operation *> ops;
    DenseMap<Operation *, unsigned> index;
    for (Operation &op : block.without_terminator()) {
      index[&op] = ops.size();
      ops.push_back(&op);
    }
    SmallVector<SmallVector<unsigned>> deps = dependences(block, ops, index);

    // The longest chain of dependences that ends at each op: in a step of
    // local losses, block b's results sit deeper than block b-1's and
    // shallower than block b+1's, whatever the blocks contain.
    SmallVector<unsigned> depth(ops.size(), 0);
    for (unsigned i = 0; i < ops.size(); ++i)
      for (unsigned d : deps[i])
        depth[i] = std::max(depth[i], depth[d] + 1);

    // Roots: what the terminator returns, then ops nothing uses (effects,
    // or dead code this pass does not judge), shallowest first.
    SmallVector<unsigned> roots;
    for (Value v : terminator->getOperands())
      if (Operation *def = v.getDefiningOp(); def && index.count(def))
        roots.push_back(index.lookup(def));
    for (auto [i, op] : llvm::enumerate(ops))
      if (op->use_empty())
        roots.push_back(i);
    llvm::sort(roots, [&](unsigned a, unsigned b) {
      return std::make_pair(depth[a], a) < std::make_pair(depth[b], b);
    });

    // Each root's unplaced dependences depth first, operands in order, then
    // the root: a value is consumed soon after it is made.
    SmallVector<bool> placed(ops.size(), false);
    SmallVector<unsigned> order;
    SmallVector<std::pair<unsigned, unsigned>> stack;
    for (unsigned root : roots) {
      if (placed[root])
        continue;
      stack.push_back({root, 0});
      while (!stack.empty()) {
        auto &[op, next] = stack.back();
        if (next < deps[op].size()) {
          unsigned d = deps[op][next++];
          if (!placed[d])
            stack.push_back({d, 0});
          continue;
        }
        if (!placed[op]) {
          placed[op] = true;
          order.push_back(op);
        }
        stack.pop_back();
      }
    }
    for (unsigned i : order)
      ops[i]->moveBefore(terminator);

    if (remarks)
      f.emitRemark() << "live tensors at most " << before.peakBytes
                     << " bytes before, "
                     << fgc::estimateLiveMemory(block).peakBytes << " after; "
                     << before.totalBytes << " in all";
  }
};

} // namespace
