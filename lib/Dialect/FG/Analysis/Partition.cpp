//===- Partition.cpp - Local-loss blocks of a network ---------------------===//

#include "fgc/Dialect/FG/Analysis/Partition.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/IR/FGOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

#include <optional>

using namespace mlir;

namespace fgc::fg {

namespace {

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

std::optional<LinearLayer> linearLayer(Operation *op) {
  std::optional<LinearLayer> l = asLinear(op);
  if (l)
    completeForward(*l);
  return l;
}

FailureOr<LinearLayer> readoutAt(Value logits) {
  SmallVector<Operation *> tail;
  Value cur = logits;
  while (true) {
    FailureOr<LinearLayer> l = layerAt(cur);
    if (succeeded(l)) {
      l->tail.assign(tail.rbegin(), tail.rend());
      l->output = logits;
      return l;
    }
    Operation *def = cur.getDefiningOp();
    if (!def || !isa<ReshapeOp, TransposeOp, ReduceMeanOp, ReduceMaxOp,
                     AvgPoolOp, MaxPoolOp, ReluOp, LeakyReluOp>(def))
      return failure();
    tail.push_back(def);
    cur = def->getOperand(0);
  }
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

} // namespace fgc::fg
