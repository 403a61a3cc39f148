//===- Partition.cpp - Local-loss blocks of a network ---------------------===//

#include "fgc/Dialect/FG/Analysis/Partition.h"

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

#include <optional>

using namespace mlir;

namespace fgc::fg {

namespace {

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// The name of the parameter `v` reads: an fg.param, or a function
/// argument tagged `fg.param` (after fg-params-to-args, in @train_step).
std::string paramName(Value v) {
  if (!v)
    return "";
  if (auto p = v.getDefiningOp<ParamOp>())
    return p.getName().str();
  if (auto arg = dyn_cast<BlockArgument>(v))
    if (auto f = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
      if (StringAttr name = getArgParam(f, arg.getArgNumber()))
        return name.str();
  return "";
}

bool isParam(Value v) { return !paramName(v).empty(); }

} // namespace

Value viewedParam(Value v, SmallVectorImpl<Operation *> *views) {
  SmallVector<Operation *> found;
  while (v && !isParam(v)) {
    Operation *def = v.getDefiningOp();
    if (!def || !isa<TransposeOp, ReshapeOp>(def))
      return Value();
    found.push_back(def);
    v = def->getOperand(0);
  }
  if (v && views)
    views->append(found.rbegin(), found.rend());
  return v;
}

namespace {

/// The operand of a chain op that continues the chain, or null.
Value chainInput(Operation *op) {
  if (isa<ReshapeOp, TransposeOp>(op))
    return op->getOperand(0);
  if (auto ln = dyn_cast<LayerNormOp>(op))
    return llvm::all_of(ln.getAffine(), isParam) ? ln.getInput() : Value();
  if (auto bn = dyn_cast<BatchNormOp>(op))
    return bn.getInput();
  if (auto add = dyn_cast<AddOp>(op)) {
    if (isParam(add.getRhs()) && !isParam(add.getLhs()))
      return add.getLhs();
    if (isParam(add.getLhs()) && !isParam(add.getRhs()))
      return add.getRhs();
  }
  return Value();
}

/// A linear op (matrix product or convolution) whose weight is a parameter.
std::optional<LinearLayer> asLinear(Operation *op) {
  auto linear = dyn_cast<LinearOpInterface>(op);
  if (!linear)
    return std::nullopt;
  LinearLayer l;
  Value weight = viewedParam(linear.getWeight(), &l.weightViews);
  Value bias = linear.getBias();
  // A product of two parameters is not a layer. (Only checked for
  // fg.matmul: a Gemm or convolution whose input is a parameter has always
  // counted as a layer, and still does.)
  if (!weight || (isa<MatMulOp>(op) && viewedParam(linear.getInput())))
    return std::nullopt;
  l.op = op;
  l.weightOperand = linear.getWeightOperand().getOperandNumber();
  l.weightName = paramName(weight);
  StringRef n = l.weightName;
  if (!n.consume_back(".weight"))
    n.consume_back("_weight");
  l.name = n.str();
  if (isParam(bias))
    l.biasName = paramName(bias);
  if (std::optional<int64_t> groups = linear.getWeightGroups()) {
    l.grouped = true;
    l.groups = *groups;
  }
  return l;
}

bool isActivation(Operation *op) {
  return isa<ReluOp, LeakyReluOp, SigmoidOp, TanhOp>(op);
}

/// Completes `l` forward from its op: chain, perturbation point, residual,
/// activation.
void completeForward(LinearLayer &l) {
  Value cur = l.op->getResult(0);
  while (cur.hasOneUse()) {
    Operation *user = *cur.getUsers().begin();
    if (chainInput(user) != cur)
      break;
    l.chain.push_back(user);
    cur = user->getResult(0);
  }
  l.z = cur;
  l.output = cur;
  if (!cur.hasOneUse())
    return;
  Operation *user = *cur.getUsers().begin();
  if (isa<PerturbOp>(user)) {
    cur = user->getResult(0);
    if (!cur.hasOneUse())
      return;
    user = *cur.getUsers().begin();
  }
  if (auto add = dyn_cast<AddOp>(user)) {
    Value other = add.getLhs() == cur ? add.getRhs() : add.getLhs();
    if (!isParam(other) && shapeOf(other) == shapeOf(cur)) {
      l.skip = other;
      cur = add.getResult();
      l.output = cur;
      if (!cur.hasOneUse())
        return;
      user = *cur.getUsers().begin();
    }
  }
  if (isActivation(user)) {
    l.activation = user;
    l.output = user->getResult(0);
  }
}

} // namespace

bool LinearLayer::isConv() const { return isa<ConvOp>(op); }

SmallVector<Operation *> LinearLayer::ops() const {
  SmallVector<Operation *> all(weightViews);
  all.push_back(op);
  llvm::append_range(all, chain);
  return all;
}

std::string nodeName(Operation *op) {
  if (auto n = dyn_cast<NameLoc>(op->getLoc()))
    return n.getName().str();
  return "";
}

FailureOr<LinearLayer> layerAt(Value z) {
  SmallVector<Operation *> chain;
  Value cur = z;
  while (Operation *def = cur.getDefiningOp()) {
    if (std::optional<LinearLayer> l = asLinear(def)) {
      l->chain.assign(chain.rbegin(), chain.rend());
      l->z = z;
      // Residual and activation after the perturbation point.
      LinearLayer probe = *l;
      completeForward(probe);
      l->skip = probe.skip;
      l->activation = probe.activation;
      l->output = probe.output;
      l->z = z;
      return *l;
    }
    Value in = chainInput(def);
    if (!in)
      return failure();
    chain.push_back(def);
    cur = in;
  }
  return failure();
}

FailureOr<Layout> Layout::parse(StringRef letters, int64_t rank,
                                std::string &why) {
  Layout l;
  l.letters = letters.str();
  if (static_cast<int64_t>(letters.size()) != rank) {
    why = "layout '" + letters.str() + "' has " +
          std::to_string(letters.size()) + " letters for a rank-" +
          std::to_string(rank) + " value";
    return failure();
  }
  for (int64_t i = 0; i < rank; ++i) {
    char c = letters[i];
    int64_t *slot = c == 'N'   ? &l.batch
                    : c == 'G' ? &l.group
                    : c == 'C' ? &l.channel
                               : nullptr;
    if (slot) {
      if (*slot >= 0) {
        why = "layout '" + letters.str() + "' names '" + std::string(1, c) +
              "' twice";
        return failure();
      }
      *slot = i;
    } else if (std::isupper(static_cast<unsigned char>(c))) {
      l.spatial.push_back(i);
    } else {
      why = "layout '" + letters.str() +
            "' must be upper-case letters (N batch, C channels, G groups, "
            "others spatial)";
      return failure();
    }
  }
  if (l.batch < 0 || l.channel < 0) {
    why = "layout '" + letters.str() +
          "' needs an N (batch) and a C "
          "(channel) axis";
    return failure();
  }
  return l;
}

FailureOr<Partition> analyzePartition(func::FuncOp forward,
                                      const PartitionOptions &options) {
  Partition p;
  Block &body = forward.front();
  DenseMap<Operation *, unsigned> position;
  for (Operation &op : body)
    position[&op] = position.size();

  std::vector<LinearLayer> all;
  for (Operation &op : body.without_terminator())
    if (std::optional<LinearLayer> l = asLinear(&op)) {
      completeForward(*l);
      all.push_back(*l);
    }
  // The readout: the last layer, when its output is returned as it is.
  Operation *ret = body.getTerminator();
  if (!all.empty() && !all.back().activation &&
      llvm::is_contained(ret->getOperands(), all.back().output)) {
    p.readout = all.back();
    all.pop_back();
  }
  p.layers = all;
  if (p.layers.empty())
    return forward.emitError("the model has no linear layer to perturb (a "
                             "matrix product or convolution with a "
                             "parameter weight, before the readout)");

  // Block outputs.
  SmallVector<std::pair<Value, std::string>> cuts;
  if (!options.boundaries.empty()) {
    for (const std::string &name : options.boundaries) {
      Operation *found = nullptr;
      for (Operation &op : body.without_terminator())
        if (nodeName(&op) == name && op.getNumResults() == 1)
          found = &op;
      if (!found)
        return forward.emitError("--blocks: the model has no node named '")
               << name << "'";
      Value v = found->getResult(0);
      // It cuts the graph when the output cannot be reached without it.
      llvm::DenseSet<Value> reach;
      SmallVector<Value> work(forward.getArguments().begin(),
                              forward.getArguments().end());
      while (!work.empty()) {
        Value w = work.pop_back_val();
        if (w == v || !reach.insert(w).second)
          continue;
        for (Operation *u : w.getUsers())
          for (Value r : u->getResults())
            work.push_back(r);
      }
      for (Value r : ret->getOperands())
        if (reach.contains(r))
          return forward.emitError("--blocks: node '")
                 << name << "' does not cut the graph (the output is "
                 << "reachable from the input without it, e.g. through a "
                 << "residual connection)";
      cuts.push_back({v, name});
    }
    llvm::sort(cuts, [&](auto &a, auto &b) {
      return position[a.first.getDefiningOp()] <
             position[b.first.getDefiningOp()];
    });
    Value last = p.layers.back().output;
    if (position[cuts.back().first.getDefiningOp()] <
        position[last.getDefiningOp()])
      cuts.push_back({last, ""});
  } else {
    // Automatic: a block ends after each unit, except units inside a
    // residual span and units feeding a grouped layer directly.
    size_t n = p.layers.size();
    SmallVector<bool> merge(n, false);
    for (size_t r = 0; r < n; ++r) {
      Value skip = p.layers[r].skip;
      if (!skip)
        continue;
      Operation *def = skip.getDefiningOp();
      unsigned from = def ? position[def] : 0;
      for (size_t j = 0; j < r; ++j)
        if (position[p.layers[j].op] > from)
          merge[j] = true;
    }
    for (size_t j = 0; j + 1 < n; ++j) {
      if (!p.layers[j + 1].grouped)
        continue;
      // The output reaches the next layer's input through norms and
      // reshapes only.
      Value cur = p.layers[j].output;
      while (cur.hasOneUse()) {
        Operation *u = *cur.getUsers().begin();
        if (u == p.layers[j + 1].op) {
          merge[j] = true;
          break;
        }
        if (!isa<ReshapeOp, TransposeOp, LayerNormOp>(u))
          break;
        cur = u->getResult(0);
      }
    }
    for (size_t j = 0; j < n; ++j)
      if (!merge[j] || j + 1 == n)
        cuts.push_back({p.layers[j].output, ""});
  }

  // Blocks: layers between consecutive cuts.
  size_t next = 0;
  for (size_t b = 0; b < cuts.size(); ++b) {
    LocalBlock block;
    block.name = "block" + std::to_string(b);
    block.output = cuts[b].first;
    unsigned end = position[block.output.getDefiningOp()];
    while (next < p.layers.size() && position[p.layers[next].op] <= end)
      block.layers.push_back(next++);
    if (block.layers.empty())
      return forward.emitError("--blocks: the block ending at '")
             << (cuts[b].second.empty() ? nodeName(block.output.getDefiningOp())
                                        : cuts[b].second)
             << "' contains no linear layer to train";
    unsigned begin =
        b == 0 ? 0 : position[cuts[b - 1].first.getDefiningOp()] + 1;
    for (Operation &op : body.without_terminator()) {
      unsigned at = position[&op];
      std::string name = nodeName(&op);
      if (at >= begin && at <= end && !name.empty() &&
          (block.nodes.empty() || block.nodes.back() != name) &&
          !isa<ParamOp>(op))
        block.nodes.push_back(name);
    }
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
  for (size_t b = 0; b < p.blocks.size(); ++b) {
    LocalBlock &block = p.blocks[b];
    ArrayRef<int64_t> shape = shapeOf(block.output);
    int64_t rank = shape.size();
    int64_t grouped = 1;
    for (unsigned i : block.layers)
      if (p.layers[i].grouped)
        grouped = std::max(grouped, p.layers[i].groups);
    std::string letters = pick(options.layouts, b);
    if (letters.empty()) {
      const LinearLayer &last = p.layers[block.layers.back()];
      if (rank == 2)
        letters = "NC";
      else if (rank == 3 && !last.isConv())
        letters = "NPC";
      else if (last.isConv() && rank >= 3 && rank <= 5)
        letters = std::string("NC") + std::string("HWD").substr(0, rank - 2);
      else if (rank == 4 && last.grouped && shape[2] == last.groups)
        letters = "NPGC";
      else
        return forward.emitError("cannot infer the layout of the output of ")
               << block.name << " (" << rank << "-D, node '"
               << nodeName(block.output.getDefiningOp())
               << "'); give it with --layout (e.g. --layout=NPGC, one entry "
                  "per block)";
    }
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
      g = grouped;
    if (block.channels % g != 0)
      return forward.emitError("--groups: ")
             << g << " groups do not divide the " << block.channels
             << " channels of " << block.name;
    block.groups = g;
  }
  return FailureOr<Partition>(std::move(p));
}

} // namespace fgc::fg
