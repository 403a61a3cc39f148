//===- FuseSiblingReductions.cpp - One pass for reductions of one input ---===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"

namespace fgc {
#define GEN_PASS_DEF_FUSESIBLINGREDUCTIONS
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// Whether `a` and `b` loop over the same space: equal static ranges and
/// iterator types, and at least one reduction loop.
bool sameReductionSpace(linalg::GenericOp a, linalg::GenericOp b) {
  if (a.getNumReductionLoops() == 0 ||
      a.getIteratorTypesArray() != b.getIteratorTypesArray())
    return false;
  SmallVector<int64_t> ra = a.getStaticLoopRanges(),
                       rb = b.getStaticLoopRanges();
  return ra == rb && llvm::none_of(ra, ShapedType::isDynamic);
}

/// Whether `a` and `b` read one tensor through the same indexing map: the
/// pass over it that fusing them saves.
bool shareAnInput(linalg::GenericOp a, linalg::GenericOp b) {
  for (OpOperand *x : a.getDpsInputOperands())
    for (OpOperand *y : b.getDpsInputOperands())
      if (x->get() == y->get() &&
          a.getMatchingIndexingMap(x) == b.getMatchingIndexingMap(y) &&
          a.getMatchingIndexingMap(x).isPermutation())
        return true;
  return false;
}

/// The value of `init` at `point`: itself when it is defined before, else
/// a copy of the fill (of a fresh empty tensor) that made it. Null when
/// neither.
Value initAt(OpBuilder &b, Value init, Operation *point,
             DominanceInfo &dominance) {
  if (dominance.properlyDominates(init, point))
    return init;
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill || !dominance.properlyDominates(fill.getDpsInputs()[0], point))
    return nullptr;
  auto empty = fill.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>();
  if (!empty || !empty.getDynamicSizes().empty())
    return nullptr;
  b.setInsertionPoint(point);
  Value fresh =
      tensor::EmptyOp::create(b, fill.getLoc(), empty.getType(), ValueRange{});
  return linalg::FillOp::create(b, fill.getLoc(), fill.getDpsInputs()[0], fresh)
      .getResult(0);
}

/// `first` and `second` as one generic at `first`'s place: inputs once
/// each (an input both read through the same map is read once per
/// iteration), outputs `first`'s then `second`'s, the bodies one after the
/// other. `inits` are `second`'s outputs valid at `first`.
linalg::GenericOp fuse(OpBuilder &b, linalg::GenericOp first,
                       linalg::GenericOp second, ValueRange inits) {
  SmallVector<Value> inputs, outputs;
  SmallVector<AffineMap> maps;
  // Per op: the fused block argument index of each of its block arguments.
  SmallVector<unsigned> firstArgs, secondArgs;
  auto addInput = [&](linalg::GenericOp op, OpOperand *operand,
                      SmallVectorImpl<unsigned> &args) {
    AffineMap map = op.getMatchingIndexingMap(operand);
    for (auto [i, v] : llvm::enumerate(inputs))
      if (v == operand->get() && maps[i] == map) {
        args.push_back(i);
        return;
      }
    args.push_back(inputs.size());
    inputs.push_back(operand->get());
    maps.push_back(map);
  };
  for (OpOperand *in : first.getDpsInputOperands())
    addInput(first, in, firstArgs);
  for (OpOperand *in : second.getDpsInputOperands())
    addInput(second, in, secondArgs);
  SmallVector<AffineMap> outMaps;
  for (OpOperand &out : first.getDpsInitsMutable()) {
    outputs.push_back(out.get());
    outMaps.push_back(first.getMatchingIndexingMap(&out));
  }
  for (auto [out, init] : llvm::zip(second.getDpsInitsMutable(), inits)) {
    outputs.push_back(init);
    outMaps.push_back(second.getMatchingIndexingMap(&out));
  }
  unsigned numInputs = inputs.size();
  for (unsigned i = 0, e = first.getNumDpsInits(); i < e; ++i)
    firstArgs.push_back(numInputs + i);
  for (unsigned i = 0, e = second.getNumDpsInits(); i < e; ++i)
    secondArgs.push_back(numInputs + first.getNumDpsInits() + i);
  llvm::append_range(maps, outMaps);

  b.setInsertionPoint(first);
  auto fused = linalg::GenericOp::create(
      b, first.getLoc(), TypeRange(ValueRange(outputs)), inputs, outputs, maps,
      first.getIteratorTypesArray());
  SmallVector<Type> argTypes;
  SmallVector<Location> argLocs;
  for (Value v : llvm::concat<Value>(inputs, outputs)) {
    argTypes.push_back(getElementTypeOrSelf(v.getType()));
    argLocs.push_back(first.getLoc());
  }
  Block *body = b.createBlock(&fused.getRegion(), {}, argTypes, argLocs);
  SmallVector<Value> yields;
  for (auto [op, args] : {std::make_pair(first, &firstArgs),
                          std::make_pair(second, &secondArgs)}) {
    IRMapping mapping;
    Block &old = op.getRegion().front();
    for (auto [arg, index] : llvm::zip(old.getArguments(), *args))
      mapping.map(arg, body->getArgument(index));
    for (Operation &inner : old.without_terminator())
      b.clone(inner, mapping);
    for (Value v : old.getTerminator()->getOperands())
      yields.push_back(mapping.lookupOrDefault(v));
  }
  linalg::YieldOp::create(b, first.getLoc(), yields);
  return fused;
}

struct FuseSiblingReductionsPass
    : fgc::impl::FuseSiblingReductionsBase<FuseSiblingReductionsPass> {
  void runOnOperation() override {
    DominanceInfo dominance(getOperation());
    OpBuilder b(&getContext());
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<linalg::GenericOp> reductions;
      getOperation().walk([&](linalg::GenericOp op) {
        if (op.hasPureTensorSemantics() && op.getNumReductionLoops() > 0)
          reductions.push_back(op);
      });
      for (auto [i, second] : llvm::enumerate(reductions)) {
        for (linalg::GenericOp first : ArrayRef(reductions).take_front(i)) {
          if (first->getBlock() != second->getBlock() ||
              !sameReductionSpace(first, second) ||
              !shareAnInput(first, second) ||
              llvm::any_of(second.getDpsInputs(), [&](Value v) {
                return !dominance.properlyDominates(v, first);
              }))
            continue;
          SmallVector<Value> inits;
          for (Value init : second.getDpsInits())
            if (Value v = initAt(b, init, first, dominance))
              inits.push_back(v);
          if (static_cast<int64_t>(inits.size()) != second.getNumDpsInits())
            continue;
          linalg::GenericOp fused = fuse(b, first, second, inits);
          unsigned n = first.getNumResults();
          SmallVector<Value> oldInits(second.getDpsInits());
          first->replaceAllUsesWith(fused->getResults().take_front(n));
          second->replaceAllUsesWith(fused->getResults().drop_front(n));
          first->erase();
          second->erase();
          // The accumulators made again before the fused op.
          for (Value init : oldInits)
            if (auto fill = init.getDefiningOp<linalg::FillOp>();
                fill && fill->use_empty()) {
              Operation *empty = fill.getDpsInits()[0].getDefiningOp();
              fill->erase();
              if (empty && empty->use_empty())
                empty->erase();
            }
          ++numFused;
          changed = true;
          break;
        }
        if (changed)
          break;
      }
    }
  }
};

} // namespace
