//===- ElideCopies.cpp - Producers write where their buffer is copied to --===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace fgc {
#define GEN_PASS_DEF_ELIDECOPIES
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// The buffer `v` is a view of: through every view-like op to a
/// memref.alloc or a block argument (a value of another type is its own).
Value rootBuffer(Value v) {
  if (auto memref = dyn_cast<TypedValue<BaseMemRefType>>(v))
    return memref::skipViewLikeOps(memref);
  return v;
}

/// The elements of the root buffer a statically laid out view can touch,
/// as [first, last] offsets; nullopt when the layout or shape is dynamic.
std::optional<std::pair<int64_t, int64_t>> extent(Value view) {
  auto type = cast<MemRefType>(view.getType());
  auto [strides, offset] = type.getStridesAndOffset();
  if (!type.hasStaticShape() || ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  int64_t last = offset;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides)) {
    if (size == 0)
      return std::make_pair(offset, offset - 1);
    last += (size - 1) * stride;
  }
  return std::make_pair(offset, last);
}

bool provablyDisjoint(Value a, Value b) {
  auto ea = extent(a), eb = extent(b);
  return ea && eb && (ea->second < eb->first || eb->second < ea->first);
}

/// Whether `op` may read or write memory of `root`.
bool touches(Operation *op, Value root) {
  auto effecting = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effecting)
    return !isPure(op);
  SmallVector<MemoryEffects::EffectInstance> effects;
  effecting.getEffects(effects);
  for (const MemoryEffects::EffectInstance &effect : effects) {
    Value v = effect.getValue();
    if (!v || rootBuffer(v) == root)
      return true;
  }
  return false;
}

/// Whether `op` overwrites all of `init` and never reads it: an init its
/// payload ignores, indexed by a permutation of parallel loops.
bool writesAllWithoutReading(linalg::LinalgOp op, OpOperand *init) {
  return op.hasPureBufferSemantics() && op.isDpsInit(init) &&
         op.getNumReductionLoops() == 0 &&
         !op.payloadUsesValueFromOperand(init) &&
         op.getMatchingIndexingMap(init).isPermutation();
}

/// The operands through which ops of `block` access `buffer`: its uses,
/// and the uses of the views made of it (the op that reads or writes a
/// view is where the buffer is accessed). False when some access is in
/// another block.
bool collectAccesses(Value buffer, Block *block,
                     SmallVectorImpl<OpOperand *> &accesses) {
  for (OpOperand &use : buffer.getUses()) {
    Operation *owner = use.getOwner();
    if (owner->getBlock() != block)
      return false;
    auto view = dyn_cast<ViewLikeOpInterface>(owner);
    if (view && view.getViewSource() == buffer) {
      for (Value result : owner->getResults())
        if (!collectAccesses(result, block, accesses))
          return false;
      continue;
    }
    accesses.push_back(&use);
  }
  return true;
}

/// Whether `access` overwrites all of `buffer` before reading any of it:
/// a linalg op's init or a copy's target, on the buffer or a reshape of it.
bool overwritesAll(OpOperand *access, Value buffer) {
  for (Value v = access->get(); v != buffer;) {
    Operation *def = v.getDefiningOp();
    if (!isa_and_nonnull<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
      return false;
    v = def->getOperand(0);
  }
  if (auto copy = dyn_cast<memref::CopyOp>(access->getOwner()))
    return access->get() == copy.getTarget();
  auto op = dyn_cast<linalg::LinalgOp>(access->getOwner());
  return op && writesAllWithoutReading(op, access);
}

/// `memref.copy %src, %dst` where %src is a buffer (or reshapes of one)
/// that a linalg op has just written whole, without reading it, and whose
/// value nothing but the copy reads: the op writes into %dst (reshaped
/// back) instead, and the copy goes (the buffer too, once unused). One-shot
/// bufferization leaves such copies wherever a value is computed into its own
/// buffer and then inserted into a larger one that it cannot prove disjoint
/// from the op's other outputs (the rows of fg.random_normal's four-output
/// generator) or that is allocated later (a slice of stacked primal and tangent
/// products).
struct Elision {
  memref::CopyOp copy;
  linalg::LinalgOp producer;
  OpOperand *init;
  /// Reshapes from the buffer to the copy's source, first to last.
  SmallVector<Operation *> reshapes;
  /// Ops after the producer that define %dst: moved before it.
  SmallVector<Operation *> toHoist;
};

std::optional<Elision> match(memref::CopyOp copy, DominanceInfo &dom) {
  Elision e;
  e.copy = copy;
  Block *block = copy->getBlock();
  // The source: a memref.alloc, through single-use reshapes.
  Value src = copy.getSource();
  while (!src.getDefiningOp<memref::AllocOp>()) {
    Operation *def = src.getDefiningOp();
    if (!def || !isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(def) ||
        !src.hasOneUse())
      return std::nullopt;
    e.reshapes.insert(e.reshapes.begin(), def);
    src = def->getOperand(0);
  }
  // The buffer may hold several values in turn (CSE can merge the empty
  // tensors of several generators into one buffer). Its accesses, direct
  // or through views, are ordered in the block: the one before the copy
  // must be the producer, writing all of it without reading it, and the
  // one after the copy (if any) must overwrite it all, so that nothing
  // else reads the value the copy reads.
  Value buffer = src;
  SmallVector<OpOperand *> accesses;
  if (!collectAccesses(buffer, block, accesses))
    return std::nullopt;
  llvm::sort(accesses, [](OpOperand *a, OpOperand *b) {
    return a->getOwner()->isBeforeInBlock(b->getOwner());
  });
  auto at = llvm::find_if(accesses, [&](OpOperand *use) {
    return use->getOwner() == copy.getOperation();
  });
  if (at == accesses.begin() || at == accesses.end())
    return std::nullopt;
  // The next access overwrites the buffer, through its only operand on it.
  auto accessesBy = [&](Operation *owner) {
    return llvm::count_if(accesses,
                          [&](OpOperand *u) { return u->getOwner() == owner; });
  };
  auto next = std::next(at);
  if (next != accesses.end() &&
      (!overwritesAll(*next, buffer) || accessesBy((*next)->getOwner()) != 1))
    return std::nullopt;
  OpOperand *init = *std::prev(at);
  auto producer = dyn_cast<linalg::LinalgOp>(init->getOwner());
  if (!producer || init->get() != buffer ||
      !writesAllWithoutReading(producer, init) || accessesBy(producer) != 1 ||
      accessesBy(copy) != 1)
    return std::nullopt;
  e.producer = producer;
  e.init = init;
  linalg::LinalgOp op = producer;

  // %dst, or the views it is made of, must be available before the
  // producer; the ops that define it after the producer are hoisted.
  Value dst = copy.getTarget();
  Value root = rootBuffer(dst);
  if (!root.getDefiningOp<memref::AllocOp>() || root == buffer)
    return std::nullopt;
  for (Value v = dst;;) {
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != block || def->isBeforeInBlock(op))
      break;
    e.toHoist.insert(e.toHoist.begin(), def);
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    v = view.getViewSource();
  }
  for (Operation *def : e.toHoist) {
    if (!isa<memref::AllocOp>(def) && !isPure(def))
      return std::nullopt;
    for (Value operand : def->getOperands()) {
      Operation *opDef = operand.getDefiningOp();
      if (opDef && llvm::is_contained(e.toHoist, opDef))
        continue;
      if (!dom.properlyDominates(operand, op))
        return std::nullopt;
    }
  }

  // Nothing between the producer and the copy may touch %dst's buffer,
  // and the producer may touch it only through other outputs disjoint from
  // %dst.
  for (Operation *it = op->getNextNode(); it != copy; it = it->getNextNode())
    if (!llvm::is_contained(e.toHoist, it) &&
        !llvm::is_contained(e.reshapes, it) && touches(it, root))
      return std::nullopt;
  for (OpOperand &operand : op->getOpOperands()) {
    if (&operand == e.init || !isa<MemRefType>(operand.get().getType()) ||
        rootBuffer(operand.get()) != root)
      continue;
    if (!op.isDpsInit(&operand) || !provablyDisjoint(operand.get(), dst))
      return std::nullopt;
  }
  return e;
}

/// Whether %dst (of type `dst`) can be seen with the buffer's shape: each
/// reshape undone, last first, on its strided layout.
bool canUnreshape(const Elision &e, MemRefType dst) {
  for (Operation *reshape : llvm::reverse(e.reshapes)) {
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(reshape)) {
      if (!memref::CollapseShapeOp::isGuaranteedCollapsible(
              dst, expand.getReassociationIndices()))
        return false;
      dst = memref::CollapseShapeOp::computeCollapsedType(
          dst, expand.getReassociationIndices());
      continue;
    }
    auto collapse = cast<memref::CollapseShapeOp>(reshape);
    FailureOr<MemRefType> type = memref::ExpandShapeOp::computeExpandedType(
        dst, collapse.getSrcType().getShape(),
        collapse.getReassociationIndices());
    if (failed(type))
      return false;
    dst = *type;
  }
  return true;
}

/// %dst seen with the buffer's shape: the reshapes undone, last first
/// (canUnreshape holds).
Value unreshape(OpBuilder &b, const Elision &e, Value dst) {
  for (Operation *reshape : llvm::reverse(e.reshapes)) {
    Location loc = reshape->getLoc();
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(reshape)) {
      dst = memref::CollapseShapeOp::create(b, loc, dst,
                                            expand.getReassociationIndices());
      continue;
    }
    auto collapse = cast<memref::CollapseShapeOp>(reshape);
    MemRefType type = *memref::ExpandShapeOp::computeExpandedType(
        cast<MemRefType>(dst.getType()), collapse.getSrcType().getShape(),
        collapse.getReassociationIndices());
    dst = memref::ExpandShapeOp::create(b, loc, type, dst,
                                        collapse.getReassociationIndices());
  }
  return dst;
}

struct ElideCopiesPass : fgc::impl::ElideCopiesBase<ElideCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) { copies.push_back(c); });
    DominanceInfo dom(getOperation());
    for (memref::CopyOp copy : copies) {
      std::optional<Elision> e = match(copy, dom);
      // Checked before anything moves: a failed elision changes nothing.
      if (!e || !canUnreshape(*e, cast<MemRefType>(copy.getTarget().getType())))
        continue;
      Operation *producer = e->producer;
      for (Operation *def : e->toHoist)
        def->moveBefore(producer);
      OpBuilder b(producer);
      Value dst = unreshape(b, *e, copy.getTarget());
      Value buffer = e->init->get();
      e->init->set(dst);
      copy.erase();
      for (Operation *reshape : llvm::reverse(e->reshapes))
        reshape->erase();
      if (buffer.use_empty())
        buffer.getDefiningOp()->erase();
      ++numElided;
    }
  }
};

} // namespace
