//===- AxisTracking.cpp - Where a value's axes come from ------------------===//

#include "fgc/Dialect/FG/Analysis/AxisTracking.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/IR/FGOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"

#include <optional>

using namespace mlir;

namespace fgc::fg {

namespace {

using Labels = SmallVector<AxisOrigin>;

/// One factor of a reshaped axis: its origin (axis, parts; axis -1 for
/// none) and size.
struct Atom {
  int64_t axis, parts, size;
};

/// Axis origins through a reshape. Every axis is a product of atoms (itself,
/// or the parts a merge recorded); the atoms of the input, outer first, are
/// dealt out to the output axes. An atom that an output axis cuts keeps its
/// origin in its outer part (the "parts" of a split channel axis) and loses
/// it in the inner part. An output axis of one atom takes its origin; one of
/// several records them as a merge, which a later split into the same sizes
/// restores (the batch and heads of multi-head attention).
Labels throughReshape(const Labels &in, ArrayRef<int64_t> from,
                      ArrayRef<int64_t> to) {
  SmallVector<Atom> atoms;
  for (auto [o, size] : llvm::zip(in, from)) {
    if (o.merged.empty()) {
      atoms.push_back({o.axis, o.parts, size});
      continue;
    }
    for (auto [axis, parts, s] : o.merged)
      atoms.push_back({axis, parts, s});
  }
  Labels out(to.size());
  size_t next = 0;
  for (auto [j, size] : llvm::enumerate(to)) {
    // Unit axes pair up in order with unit axes of the input.
    if (size == 1) {
      if (next < atoms.size() && atoms[next].size == 1) {
        out[j].axis = atoms[next].axis;
        out[j].parts = atoms[next].parts;
        ++next;
      }
      continue;
    }
    SmallVector<Atom> parts;
    int64_t need = size;
    while (need > 1) {
      if (next >= atoms.size())
        return out;
      Atom &a = atoms[next];
      if (a.size == 1) {
        ++next;
        continue;
      }
      if (a.size <= need) {
        if (need % a.size != 0)
          return out; // factors interleave: no origins from here on
        parts.push_back(a);
        need /= a.size;
        ++next;
        continue;
      }
      if (a.size % need != 0)
        return out;
      parts.push_back(a.axis < 0 ? Atom{-1, 0, need}
                                 : Atom{a.axis, need, need});
      a = Atom{-1, 0, a.size / need};
      need = 1;
    }
    if (parts.size() == 1) {
      out[j].axis = parts[0].axis;
      out[j].parts = parts[0].axis < 0 ? 0 : parts[0].parts;
    } else if (llvm::any_of(parts, [](const Atom &a) { return a.axis >= 0; })) {
      for (const Atom &a : parts)
        out[j].merged.push_back({a.axis, a.parts, a.size});
    }
  }
  return out;
}

/// Right-aligned broadcasting: an axis keeps its origin where the operand
/// spans the whole result axis.
Labels broadcastLabels(const Labels &in, ArrayRef<int64_t> inShape,
                       ArrayRef<int64_t> out) {
  Labels l(out.size());
  size_t lead = out.size() - inShape.size();
  for (size_t i = 0; i < inShape.size(); ++i)
    if (inShape[i] == out[lead + i])
      l[lead + i] = in[i];
  return l;
}

/// `in` with the axes in `lost` (all when empty and `all`) without origin.
Labels forget(Labels l, ArrayRef<int64_t> lost) {
  for (int64_t a : lost)
    if (a >= 0 && a < static_cast<int64_t>(l.size()))
      l[a] = AxisOrigin();
  return l;
}

/// The origins of `user`'s result 0 from those of its operand `index`. Ops
/// without a rule relate no axis (the value still reaches the result).
Labels through(Operation *user, unsigned index, const Labels &in) {
  ArrayRef<int64_t> out = shapeOf(user->getResult(0));
  ArrayRef<int64_t> inShape = shapeOf(user->getOperand(index));
  Labels none(out.size());
  if (user->hasTrait<OpTrait::SameOperandsAndResultType>() || isa<CastOp>(user))
    return in;
  if (isa<LayerNormOp, BatchNormOp>(user))
    return index == 0 ? in : none;
  if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, CompareOp,
          BroadcastToOp>(user))
    return broadcastLabels(in, inShape, out);
  if (isa<SelectOp>(user))
    return index == 0 ? none : broadcastLabels(in, inShape, out);
  if (auto s = dyn_cast<SoftmaxOp>(user))
    return forget(in, {static_cast<int64_t>(s.getAxis())});
  if (auto s = dyn_cast<LogSoftmaxOp>(user))
    return forget(in, {static_cast<int64_t>(s.getAxis())});
  if (isa<ReshapeOp>(user))
    return throughReshape(in, inShape, out);
  if (auto t = dyn_cast<TransposeOp>(user)) {
    Labels l;
    for (int64_t p : t.getPerm())
      l.push_back(in[p]);
    return l;
  }
  if (auto c = dyn_cast<ConcatOp>(user))
    return forget(in, {static_cast<int64_t>(c.getAxis())});
  if (isa<SliceOp>(user)) {
    Labels l = in;
    for (size_t i = 0; i < out.size(); ++i)
      if (out[i] != inShape[i])
        l[i] = AxisOrigin();
    return l;
  }
  if (auto g = dyn_cast<GatherOp>(user)) {
    if (index != 0)
      return none;
    int64_t axis = g.getAxis(), rank = inShape.size();
    int64_t added = shapeOf(g.getIndices()).size();
    for (int64_t i = 0; i < axis; ++i)
      none[i] = in[i];
    for (int64_t i = axis + 1; i < rank; ++i)
      none[i - 1 + added] = in[i];
    return none;
  }
  auto reduced = [&](ArrayRef<int64_t> axes, bool keep) {
    Labels l;
    for (size_t i = 0; i < in.size(); ++i) {
      bool r = axes.empty() || llvm::is_contained(axes, int64_t(i));
      if (!r)
        l.push_back(in[i]);
      else if (keep)
        l.push_back(AxisOrigin());
    }
    return l;
  };
  if (auto r = dyn_cast<ReduceMeanOp>(user))
    return reduced(r.getAxes(), r.getKeepdims());
  if (auto r = dyn_cast<ReduceSumOp>(user))
    return reduced(r.getAxes(), r.getKeepdims());
  if (auto r = dyn_cast<ReduceMaxOp>(user))
    return reduced(r.getAxes(), r.getKeepdims());
  if (auto m = dyn_cast<MatMulOp>(user)) {
    // Batch axes broadcast; rows come from the left operand, columns from
    // the right one; the contracted axis relates nothing.
    if (inShape.size() < 2 || out.size() < 2)
      return none;
    Labels l = broadcastLabels(in, inShape, out);
    size_t r = out.size();
    l[r - 1] = index == 1 ? in.back() : AxisOrigin();
    l[r - 2] = index == 0 ? in[in.size() - 2] : AxisOrigin();
    return l;
  }
  if (auto g = dyn_cast<GemmOp>(user)) {
    if (index == 0)
      none[0] = in[g.getTransA() ? 1 : 0];
    else if (index == 1)
      none[1] = in[g.getTransB() ? 0 : 1];
    else
      return broadcastLabels(in, inShape, out);
    return none;
  }
  if (isa<ConvOp>(user) && index == 1) {
    none[1] = in[0];
    return none;
  }
  if (isa<ConvOp, MaxPoolOp, AvgPoolOp>(user) && index == 0) {
    none[0] = in[0];
    if (!isa<ConvOp>(user))
      none[1] = in[1];
    for (size_t i = 2; i < out.size(); ++i)
      if (out[i] == inShape[i])
        none[i] = in[i];
    return none;
  }
  return none;
}

/// Where the paths end: a loss reads its input, a stop-gradient cuts.
bool stops(Operation *op) {
  return isa<StopGradientOp, LocalLossOpInterface, CrossEntropyOp>(op);
}

bool isRanked(Value v) { return isa<RankedTensorType>(v.getType()); }

} // namespace

namespace {

/// The sweep behind trackAxesToAny and trackAxesToAll: fills `found` for
/// the targets reached, stopping at the first one when `first`.
void sweep(Value from, ArrayRef<Value> targets, bool first,
           const StatisticsSet *statistics,
           SmallVectorImpl<std::optional<Labels>> &found) {
  llvm::DenseMap<Value, unsigned> index;
  for (auto [i, t] : llvm::enumerate(targets))
    index.try_emplace(t, i);
  found.assign(targets.size(), std::nullopt);
  Labels start;
  for (size_t i = 0; i < shapeOf(from).size(); ++i)
    start.push_back(AxisOrigin{int64_t(i), 0, {}});
  if (auto it = index.find(from); it != index.end()) {
    found[it->second] = start;
    if (first)
      return;
  }

  // One pass in program order: every operand of an op is final before the
  // op, so each value's origins are joined over all paths when it is made.
  llvm::DenseMap<Value, Labels> labels;
  labels[from] = std::move(start);
  Block *block;
  Block::iterator it;
  if (auto arg = dyn_cast<BlockArgument>(from)) {
    block = arg.getOwner();
    it = block->begin();
  } else {
    Operation *def = from.getDefiningOp();
    block = def->getBlock();
    it = std::next(def->getIterator());
  }
  for (; it != block->end(); ++it) {
    Operation *op = &*it;
    if (op->getNumResults() == 0 || stops(op) || !isRanked(op->getResult(0)) ||
        (statistics && statistics->contains(op->getResult(0))))
      continue;
    std::optional<Labels> joined;
    for (OpOperand &use : op->getOpOperands()) {
      auto known = labels.find(use.get());
      if (known == labels.end())
        continue;
      Labels l = through(op, use.getOperandNumber(), known->second);
      if (!joined) {
        joined = std::move(l);
        continue;
      }
      for (auto [a, b] : llvm::zip(*joined, l))
        if (a != b)
          a = AxisOrigin();
    }
    if (!joined)
      continue;
    for (Value r : op->getResults().drop_front())
      if (isRanked(r))
        labels[r] = Labels(shapeOf(r).size());
    Value result = op->getResult(0);
    if (auto t = index.find(result); t != index.end()) {
      found[t->second] = *joined;
      if (first)
        return;
    }
    labels[result] = std::move(*joined);
  }
}

} // namespace

FailureOr<std::pair<unsigned, SmallVector<AxisOrigin>>>
trackAxesToAny(Value from, ArrayRef<Value> targets,
               const StatisticsSet *statistics) {
  SmallVector<std::optional<Labels>> found;
  sweep(from, targets, /*first=*/true, statistics, found);
  for (auto [i, l] : llvm::enumerate(found))
    if (l)
      return std::make_pair(unsigned(i), std::move(*l));
  return failure();
}

SmallVector<std::optional<SmallVector<AxisOrigin>>>
trackAxesToAll(Value from, ArrayRef<Value> targets) {
  SmallVector<std::optional<Labels>> found;
  sweep(from, targets, /*first=*/false, /*statistics=*/nullptr, found);
  return found;
}

FailureOr<SmallVector<AxisOrigin>> trackAxes(Value from, Value to,
                                             const StatisticsSet *statistics) {
  FailureOr<std::pair<unsigned, SmallVector<AxisOrigin>>> r =
      trackAxesToAny(from, to, statistics);
  if (failed(r))
    return failure();
  return std::move(r->second);
}

} // namespace fgc::fg
