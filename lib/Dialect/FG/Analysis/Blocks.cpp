//===- Blocks.cpp - Cutting a network into local-loss blocks --------------===//
//
// Blocks end where the graph can be cut: at a value that every path from
// the inputs to the result passes through. That rule needs no knowledge of
// the model: in a plain chain every layer's activation cuts, in a residual
// network only the merge of a residual unit (and its activation) does, in
// a transformer the end of each attention and MLP sub-layer. A unit is the
// layers up to the first cut all of them have reached; blocks are units,
// stages (runs of units with one spatial size) or the user's boundaries.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/Analysis/Partition.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/IR/FGOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace fgc::fg {

namespace {

/// The values that cut `body`: after the op that defines one, it is the
/// only value depending on the inputs that a later op still reads. One
/// sweep with a count of the live values, in program order.
SmallVector<Value> findCuts(Block &body,
                            const DenseMap<Operation *, unsigned> &position) {
  DenseSet<Value> data(body.getArguments().begin(), body.getArguments().end());
  DenseMap<Value, unsigned> lastUse;
  for (Operation &op : body) {
    bool reads = false;
    for (Value v : op.getOperands())
      if (data.contains(v)) {
        lastUse[v] = position.lookup(&op);
        reads = true;
      }
    if (reads)
      data.insert(op.getResults().begin(), op.getResults().end());
  }
  // live[i]: values defined at or before op i and read after it.
  SmallVector<int64_t> delta(position.size() + 1, 0);
  for (auto [v, last] : lastUse) {
    Operation *def = v.getDefiningOp();
    unsigned from = def ? position.lookup(def) : 0;
    if (last > from) {
      ++delta[from];
      --delta[last];
    }
  }
  SmallVector<Value> cuts;
  int64_t live = 0;
  for (Operation &op : body.without_terminator()) {
    unsigned at = position.lookup(&op);
    live += delta[at];
    if (live != 1 || op.getNumResults() != 1)
      continue;
    Value r = op.getResult(0);
    auto last = lastUse.find(r);
    if (last != lastUse.end() && last->second > at)
      cuts.push_back(r);
  }
  return cuts;
}

/// Whether `layer`'s output reaches `next`'s input through reshapes and
/// normalisation only: a dense layer that feeds a grouped one (the
/// LocalMixer's channel MLP) is one unit with it.
bool feedsGrouped(const LinearLayer &layer, const LinearLayer &next) {
  if (!next.grouped || next.isConv())
    return false;
  Value cur = layer.output;
  while (cur.hasOneUse()) {
    Operation *u = *cur.getUsers().begin();
    if (u == next.op)
      return true;
    if (!isa<ReshapeOp, TransposeOp, LayerNormOp>(u))
      return false;
    cur = u->getResult(0);
  }
  return false;
}

/// The layout of a block output `out` whose last layer is `last`: the batch
/// axis is the input's leading axis where every path preserves it (its
/// origins `fromInput`), the channel (and group) axis that of the layer's
/// result; the rest spatial.
std::string inferLayout(const std::optional<SmallVector<AxisOrigin>> &fromInput,
                        Value out, const LinearLayer &last) {
  int64_t rank = shapeOf(out).size();
  int64_t batch = -1, channel = -1, group = -1;
  if (fromInput)
    for (auto [i, o] : llvm::enumerate(*fromInput))
      if (o.axis == 0 && o.parts == 0)
        batch = i;
  Value r = last.op->getResult(0);
  int64_t rRank = shapeOf(r).size();
  int64_t rChannel = isa<ConvOp, GemmOp>(last.op) ? 1 : rRank - 1;
  int64_t rGroup = last.grouped && !last.isConv() ? 0 : -1;
  if (auto t = trackAxes(r, out); succeeded(t))
    for (auto [i, o] : llvm::enumerate(*t)) {
      if (o.parts != 0 || o.axis < 0 || int64_t(i) == batch)
        continue;
      if (o.axis == rChannel)
        channel = i;
      else if (o.axis == rGroup)
        group = i;
    }
  if (batch < 0)
    batch = 0;
  if (channel < 0 || channel == batch) {
    channel = last.isConv() && rank > 2 ? 1 : rank - 1;
    group = -1;
  }
  int64_t spatial = rank - 2 - (group >= 0 ? 1 : 0);
  const char *names = spatial == 1 ? "P" : last.isConv() ? "HWD" : "PQR";
  std::string letters;
  int64_t s = 0;
  for (int64_t i = 0; i < rank; ++i)
    letters += i == batch     ? 'N'
               : i == channel ? 'C'
               : i == group   ? 'G'
               : s < 3        ? names[s++]
                              : 'S';
  return letters;
}

} // namespace

FailureOr<Partition> analyzePartition(func::FuncOp forward,
                                      const PartitionOptions &options) {
  Partition p;
  Block &body = forward.front();
  DenseMap<Operation *, unsigned> position;
  for (Operation &op : body)
    position[&op] = position.size();
  Operation *ret = body.getTerminator();
  // The origins of the axes of `values` among those of the first input.
  auto inputOrigins = [&](ArrayRef<Value> values) {
    if (forward.getNumArguments() == 0)
      return SmallVector<std::optional<SmallVector<AxisOrigin>>>(values.size());
    return trackAxesToAll(forward.getArgument(0), values);
  };

  std::vector<LinearLayer> all;
  for (Operation &op : body.without_terminator())
    if (std::optional<LinearLayer> l = linearLayer(&op))
      all.push_back(*l);

  // The readout: named, or the classifier the first result comes from (a
  // softmax the model ends with is left to the loss).
  if (ret->getNumOperands() > 0) {
    Value result = ret->getOperand(0);
    if (auto *def = result.getDefiningOp();
        def && isa<SoftmaxOp, LogSoftmaxOp>(def))
      result = def->getOperand(0);
    p.logits = result;
    if (!options.readout.empty()) {
      auto it = llvm::find_if(all, [&](const LinearLayer &l) {
        return nodeName(l.op) == options.readout;
      });
      if (it == all.end())
        return forward.emitError("--readout: the model has no linear layer "
                                 "(MatMul, Gemm or Conv with a weight) named '")
               << options.readout << "'";
      FailureOr<LinearLayer> r = readoutAt(result);
      if (failed(r) || r->op != it->op) {
        r = *it;
        r->output = r->z;
      }
      p.readout = *r;
    } else if (FailureOr<LinearLayer> r = readoutAt(result);
               succeeded(r) && !all.empty() && r->op == all.back().op) {
      p.readout = *r;
    }
  }
  if (p.readout) {
    p.logits = p.readout->output;
    llvm::erase_if(all, [&](const LinearLayer &l) {
      return l.op == p.readout->op || position[l.op] > position[p.readout->op];
    });
  }
  p.layers = all;
  if (p.layers.empty())
    return forward.emitError("the model has no linear layer to perturb (a "
                             "matrix product or convolution with a "
                             "parameter weight, before the readout)");

  // Units: a unit ends at the first cut that every layer before it has
  // reached (a residual unit's merge is a cut, but its second layer's
  // activation comes after it).
  SmallVector<Value> cuts = findCuts(body, position);
  unsigned limit = p.readout ? position[p.readout->op] : position[ret];
  struct Unit {
    Value end;
    SmallVector<unsigned> layers;
  };
  SmallVector<Unit> units;
  size_t done = 0, n = p.layers.size();
  auto outputAt = [&](size_t j) {
    return position[p.layers[j].output.getDefiningOp()];
  };
  for (Value c : cuts) {
    unsigned at = position[c.getDefiningOp()];
    if (at >= limit)
      break;
    size_t j = done;
    bool closed = true;
    for (; j < n && position[p.layers[j].op] <= at; ++j)
      closed &= outputAt(j) <= at;
    if (!closed || j == done)
      continue;
    units.push_back(Unit{c, {}});
    for (; done < j; ++done)
      units.back().layers.push_back(done);
  }
  // A unit's end moves on to the next cut while only pointwise ops of its
  // shape lie between (ReLU6 as a clip, a scaling by a constant, a SiLU
  // written as x * sigmoid(x)), so that its head sees the activation.
  // Every op between two cuts lies on a path between them, or reads no data.
  DenseSet<Operation *> readsData;
  {
    DenseSet<Value> data(body.getArguments().begin(),
                         body.getArguments().end());
    for (Operation &op : body)
      if (llvm::any_of(op.getOperands(),
                       [&](Value v) { return data.contains(v); })) {
        readsData.insert(&op);
        data.insert(op.getResults().begin(), op.getResults().end());
      }
  }
  auto pointwise = [&](Operation *op, ArrayRef<int64_t> shape) {
    return op->getNumResults() == 1 && !isa<PerturbOp, StopGradientOp>(op) &&
           shapeOf(op->getResult(0)) == shape &&
           (op->hasTrait<OpTrait::SameOperandsAndResultType>() ||
            isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp>(op));
  };
  for (Unit &u : units)
    for (;;) {
      Operation *from = u.end.getDefiningOp();
      auto next = llvm::find_if(cuts, [&](Value c) {
        return position[c.getDefiningOp()] > position[from];
      });
      if (next == cuts.end() || position[next->getDefiningOp()] >= limit)
        break;
      bool onlyPointwise = true;
      for (Operation *op = from->getNextNode();
           onlyPointwise && op != next->getDefiningOp()->getNextNode();
           op = op->getNextNode())
        onlyPointwise =
            !readsData.contains(op) || pointwise(op, shapeOf(u.end));
      if (!onlyPointwise)
        break;
      u.end = *next;
    }
  if (done < n) { // nothing cuts after them: the last one's output ends them
    units.push_back(Unit{p.layers.back().output, {}});
    for (; done < n; ++done)
      units.back().layers.push_back(done);
  }
  for (size_t u = 0; u + 1 < units.size();) {
    const LinearLayer &last = p.layers[units[u].layers.back()];
    const LinearLayer &next = p.layers[units[u + 1].layers.front()];
    if (!feedsGrouped(last, next)) {
      ++u;
      continue;
    }
    llvm::append_range(units[u + 1].layers, units[u].layers);
    llvm::sort(units[u + 1].layers);
    units.erase(units.begin() + u);
  }

  // Block ends: a subset of the unit ends, or the user's nodes.
  SmallVector<std::pair<Value, std::string>> ends;
  StringRef mode =
      options.boundaries.empty() ? "auto" : StringRef(options.boundaries[0]);
  bool named = !llvm::is_contained({"auto", "units", "stages"}, mode) ||
               options.boundaries.size() > 1;
  if (named) {
    for (const std::string &name : options.boundaries) {
      Operation *found = nullptr;
      for (Operation &op : body.without_terminator())
        if (nodeName(&op) == name && op.getNumResults() == 1)
          found = &op;
      if (!found)
        return forward.emitError("--blocks: the model has no node named '")
               << name << "'";
      Value v = found->getResult(0);
      if (!llvm::is_contained(cuts, v))
        return forward.emitError("--blocks: node '")
               << name << "' does not cut the graph (the output is "
               << "reachable from the input without it, e.g. through a "
               << "residual connection)";
      ends.push_back({v, name});
    }
    llvm::sort(ends, [&](auto &a, auto &b) {
      return position[a.first.getDefiningOp()] <
             position[b.first.getDefiningOp()];
    });
    Value last = units.back().end;
    if (position[ends.back().first.getDefiningOp()] <
        position[last.getDefiningOp()])
      ends.push_back({last, ""});
  } else {
    // `auto` is one block per unit: the variance of a block's activity
    // estimate grows with the values it perturbs, so the finest cut trains
    // best (MobileNetV2's 5 stages did not learn where its 32 units do,
    // docs/results.md); heads are cheap beside the layers.
    bool stages = mode == "stages";
    // A stage ends where the spatial size of the unit outputs changes.
    SmallVector<Value> unitEnds;
    for (const Unit &u : units)
      unitEnds.push_back(u.end);
    auto fromInput = inputOrigins(unitEnds);
    SmallVector<int64_t> patches;
    for (auto [u, origins] : llvm::zip(units, fromInput)) {
      std::string letters =
          inferLayout(origins, u.end, p.layers[u.layers.back()]);
      int64_t size = 1;
      for (auto [i, c] : llvm::enumerate(letters))
        if (c != 'N' && c != 'C' && c != 'G')
          size *= shapeOf(u.end)[i];
      patches.push_back(size);
    }
    for (size_t u = 0; u < units.size(); ++u)
      if (!stages || u + 1 == units.size() || patches[u] != patches[u + 1])
        ends.push_back({units[u].end, ""});
  }

  // Blocks: the layers between consecutive ends; an end with no layer
  // before it since the last one adds nothing (its layers join the next).
  size_t next = 0;
  unsigned begin = 0;
  for (auto &[end, name] : ends) {
    LocalBlock block;
    block.output = end;
    unsigned at = position[end.getDefiningOp()];
    while (next < p.layers.size() &&
           position[p.layers[next].output.getDefiningOp()] <= at)
      block.layers.push_back(next++);
    if (block.layers.empty())
      continue;
    block.name = "block" + std::to_string(p.blocks.size());
    for (Operation &op : body.without_terminator()) {
      unsigned pos = position[&op];
      std::string node = nodeName(&op);
      if (pos >= begin && pos <= at && !node.empty() &&
          (block.nodes.empty() || block.nodes.back() != node) &&
          !isa<ParamOp>(op))
        block.nodes.push_back(node);
    }
    begin = at + 1;
    p.blocks.push_back(block);
  }
  if (next < p.layers.size())
    return forward.emitError("--blocks: layer '")
           << p.layers[next].name << "' comes after the last block boundary";

  // Layouts and groups.
  auto pick = [](const auto &list, size_t b) {
    using T = std::decay_t<decltype(list[0])>;
    if (list.empty())
      return T();
    return list.size() == 1 ? list[0] : b < list.size() ? list[b] : T();
  };
  SmallVector<Value> outputs;
  for (const LocalBlock &block : p.blocks)
    outputs.push_back(block.output);
  auto fromInput = inputOrigins(outputs);
  for (size_t b = 0; b < p.blocks.size(); ++b) {
    LocalBlock &block = p.blocks[b];
    ArrayRef<int64_t> shape = shapeOf(block.output);
    int64_t rank = shape.size();
    std::string letters = pick(options.layouts, b);
    if (letters.empty())
      letters = inferLayout(fromInput[b], block.output,
                            p.layers[block.layers.back()]);
    std::string why;
    FailureOr<Layout> layout = Layout::parse(letters, rank, why);
    if (failed(layout))
      return forward.emitError("--layout for ") << block.name << ": " << why;
    block.layout = *layout;
    block.channels = shape[layout->channel];
    if (layout->group >= 0)
      block.channels *= shape[layout->group];
    for (int64_t s : layout->spatial)
      block.patches *= shape[s];
    // Local-loss groups come from a group axis of the block output, never
    // from a convolution's `group` attribute.
    int64_t g = pick(options.groups, b);
    if (g < 0)
      return forward.emitError("--groups must be positive, got ") << g;
    if (layout->group >= 0) {
      if (g && g != shape[layout->group])
        return forward.emitError("--groups=")
               << g << " for " << block.name << " contradicts its layout '"
               << letters << "' with " << shape[layout->group] << " groups";
      g = shape[layout->group];
    }
    if (!g)
      g = 1;
    if (block.channels % g != 0)
      return forward.emitError("--groups: ")
             << g << " groups do not divide the " << block.channels
             << " channels of " << block.name;
    block.groups = g;
  }
  return FailureOr<Partition>(std::move(p));
}

} // namespace fgc::fg
