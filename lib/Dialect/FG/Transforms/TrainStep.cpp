//===- TrainStep.cpp - The fg-train-step pass -----------------------------===//
//
// Builds @train_step, @eval_step and @learning_rate from the output of
// fg-localize. The gradient of every trained parameter comes from one of:
// an activity-perturbation estimate pulled back through its layer's chain
// (FG-A), a weight-perturbation estimate (FG-W), or an exact local VJP
// (local heads, readout). See Passes.td for the contract.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/Transforms/Differentiation.h"
#include "fgc/Dialect/FG/Transforms/Partition.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGTRAINSTEP
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

/// The site ids of weight-perturbation directions (one per parameter), far
/// from the activity-perturbation sites (one per layer).
constexpr int64_t kWeightSiteBase = 1 << 20;

enum class Role { Backbone, Head, Readout };

/// The loss a value reaches (a local head's index, or 0 for the readout
/// loss in the global form; -1 for none) and its axes' origins there.
struct Located {
  int64_t head = -1;
  SmallVector<AxisOrigin> labels;
};

struct Trained {
  std::string name;
  Role role = Role::Backbone;
  bool weight = false; // gets weight decay
};

/// What the pass reads off @local_losses (by name, so that it holds in any
/// clone of it).
struct Plan {
  SmallVector<std::string> params; // every fg.parameter
  llvm::StringMap<RankedTensorType> paramType;
  SmallVector<Trained> trained; // in params order
  bool local = true;
};

/// FGBuilders.h at one location, with arithmetic spelled short.
struct Emitter {
  OpBuilder &b;
  Location loc;
  Value scalar(Type elt, double v) { return fgc::fg::scalar(b, loc, elt, v); }
  Value splat(RankedTensorType t, double v) {
    return fgc::fg::splat(b, loc, t, v);
  }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value mul(Value x, double c) { return mul(x, scalar(eltOf(x), c)); }
  Value reshape(Value v, ArrayRef<int64_t> shape) {
    return fgc::fg::reshape(b, loc, v, shape);
  }
  Value sum(Value v, ArrayRef<int64_t> axes, bool keep = false) {
    return reduceSum(b, loc, v, axes, keep);
  }
  Value mean(Value v, ArrayRef<int64_t> axes, bool keep = false) {
    return reduceMean(b, loc, v, axes, keep);
  }
  Value transpose(Value v, ArrayRef<int64_t> perm) {
    return fgc::fg::transpose(b, loc, v, perm);
  }
  Value broadcast(Value v, ArrayRef<int64_t> shape) {
    return broadcastTo(b, loc, v, shape);
  }
};

/// 1/0 per example: whether the argmax of `logits` [N, K] is the label.
Value correctness(OpBuilder &b, Location loc, Value logits, Value labels) {
  RankedTensorType lt = typeOf(logits);
  auto type = RankedTensorType::get({lt.getDimSize(0)}, lt.getElementType());
  Value predicted = CastOp::create(
      b, loc, type, ArgMaxOp::create(b, loc, logits, b.getI64IntegerAttr(1)));
  Value truth = CastOp::create(b, loc, type, labels);
  return CompareOp::create(b, loc, predicted, truth, b.getStringAttr("eq"));
}

struct FGTrainStepPass : fgc::fg::impl::FGTrainStepBase<FGTrainStepPass> {
  using FGTrainStepBase::FGTrainStepBase;

  void runOnOperation() override {
    if (failed(run()))
      signalPassFailure();
  }
  LogicalResult run();
  LogicalResult checkOptions(ModuleOp module);
  FailureOr<Plan> makePlan(ModuleOp module, func::FuncOp local);
  LogicalResult buildTrainStep(ModuleOp module, func::FuncOp local,
                               const Plan &plan);
  LogicalResult buildEvalStep(ModuleOp module, func::FuncOp forward);
  void buildLearningRate(ModuleOp module);

  bool activity() const { return algo == "lg-fg-a" || algo == "fg-a"; }
  bool weights() const { return algo == "lg-fg-w" || algo == "fg-w"; }
  bool adam() const { return optimizer != "sgd"; }
  SmallVector<std::string> stateNames() const {
    if (adam())
      return {"adam_m", "adam_v"};
    return {"momentum"};
  }
};

LogicalResult FGTrainStepPass::checkOptions(ModuleOp module) {
  if (!llvm::is_contained({"lg-fg-a", "fg-a", "lg-fg-w", "fg-w", "readout"},
                          algo))
    return module.emitError("fg-train-step: unknown algo '")
           << algo << "' (lg-fg-a, fg-a, lg-fg-w, fg-w or readout)";
  if (!llvm::is_contained({"sgd", "adam", "adamw"}, optimizer))
    return module.emitError("fg-train-step: unknown optimizer '")
           << optimizer << "' (sgd, adam or adamw)";
  if (!llvm::is_contained({"constant", "linear", "warmup-cosine", "staircase"},
                          schedule))
    return module.emitError("fg-train-step: unknown schedule '")
           << schedule << "' (constant, linear, warmup-cosine or staircase)";
  if (tangents < 1)
    return module.emitError("fg-train-step: tangents must be at least 1, got ")
           << static_cast<int64_t>(tangents);
  return success();
}

/// Parameter names read by `op`'s operands.
SmallVector<std::string> paramsOf(Operation *op) {
  SmallVector<std::string> out;
  for (Value v : op->getOperands())
    if (auto p = v.getDefiningOp<ParamOp>())
      out.push_back(p.getName().str());
  return out;
}

/// Whether `name` is used as the weight of a matrix product/convolution.
bool usedAsWeight(func::FuncOp f, StringRef name) {
  bool weight = false;
  f.walk([&](ParamOp p) {
    if (p.getName() != name)
      return;
    for (OpOperand &use : p.getResult().getUses()) {
      Operation *o = use.getOwner();
      if ((isa<MatMulOp, GemmOp, ConvOp>(o)) && use.getOperandNumber() == 1)
        weight = true;
    }
  });
  return weight;
}

FailureOr<Plan> FGTrainStepPass::makePlan(ModuleOp module, func::FuncOp local) {
  Plan plan;
  for (auto p : module.getOps<ParameterOp>()) {
    plan.params.push_back(p.getSymName().str());
    plan.paramType[p.getSymName()] = p.getType();
  }
  auto localAttr = local->getAttrOfType<BoolAttr>("fg.local");
  plan.local = localAttr && localAttr.getValue();
  if (plan.local != (algo == "lg-fg-a" || algo == "lg-fg-w"))
    return local.emitError("fg-train-step: algo '")
           << algo << "' needs fg-localize with global="
           << (plan.local ? "true" : "false") << " (got the "
           << (plan.local ? "local" : "global") << " form)";
  llvm::StringMap<Role> role;
  if (algo != "readout") {
    bool any = false;
    local.walk([&](PerturbOp p) {
      FailureOr<LinearLayer> layer = layerAt(p.getInput());
      if (failed(layer))
        return;
      any = true;
      for (std::string &n : paramsOf(layer->op))
        role[n] = Role::Backbone;
      for (Operation *c : layer->chain)
        for (std::string &n : paramsOf(c))
          role[n] = Role::Backbone;
    });
    if (!any)
      return local.emitError("fg-train-step: @local_losses has no "
                             "perturbation point (run fg-localize first)");
  }
  local.walk([&](LocalXentOp h) {
    for (std::string &n : paramsOf(h))
      role[n] = Role::Head;
  });
  bool readout = false;
  local.walk([&](CrossEntropyOp ce) {
    if (!ce->hasAttr("fg.readout"))
      return;
    FailureOr<LinearLayer> layer = layerAt(ce.getLogits());
    if (failed(layer))
      return;
    readout = true;
    for (std::string &n : paramsOf(layer->op))
      role[n] = Role::Readout;
    for (Operation *c : layer->chain)
      for (std::string &n : paramsOf(c))
        role[n] = Role::Readout;
  });
  if (!readout)
    return local.emitError("fg-train-step: @local_losses has no readout "
                           "loss (run fg-localize first)");
  for (const std::string &name : plan.params) {
    auto it = role.find(name);
    if (it == role.end())
      continue;
    Trained t;
    t.name = name;
    t.role = it->second;
    t.weight = usedAsWeight(local, name);
    plan.trained.push_back(t);
  }
  return plan;
}

/// For a parameter `param` read by `user`, the axis of `user`'s result that
/// parameter axis `axis` indexes, or -1.
int64_t resultAxisOf(Operation *user, Value param, int64_t axis) {
  int64_t rank = shapeOf(param).size();
  int64_t outRank = shapeOf(user->getResult(0)).size();
  if (auto m = dyn_cast<MatMulOp>(user)) {
    if (m.getRhs() != param)
      return -1;
    if (axis == rank - 1)
      return outRank - 1;
    if (axis == rank - 2)
      return -1;
    return outRank - rank + axis;
  }
  if (auto g = dyn_cast<GemmOp>(user)) {
    if (g.getB() == param)
      return axis == (g.getTransB() ? 0 : 1) ? 1 : -1;
    if (g.getC() == param)
      return outRank - rank + axis;
    return -1;
  }
  if (auto c = dyn_cast<ConvOp>(user)) {
    if (c.getWeight() == param || c.getBias() == param)
      return axis == 0 ? 1 : -1;
    return -1;
  }
  // Broadcasting ops (bias add, affine of a norm): right-aligned.
  return outRank - rank + axis;
}

LogicalResult FGTrainStepPass::buildTrainStep(ModuleOp module,
                                              func::FuncOp local,
                                              const Plan &plan) {
  MLIRContext *ctx = &getContext();
  int64_t k = tangents;
  bool batched = k > 1;
  OpBuilder top(module.getBodyRegion());
  top.setInsertionPointToEnd(module.getBody());
  Location loc = local.getLoc();

  // Signature.
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  auto named = [&](StringRef key, StringRef value,
                   bool readOnly = false) -> DictionaryAttr {
    SmallVector<NamedAttribute> a = {
        NamedAttribute(StringAttr::get(ctx, key), StringAttr::get(ctx, value))};
    if (readOnly)
      a.push_back(NamedAttribute(StringAttr::get(ctx, "bufferization.writable"),
                                 BoolAttr::get(ctx, false)));
    return DictionaryAttr::get(ctx, a);
  };
  for (const std::string &p : plan.params) {
    argTypes.push_back(plan.paramType.lookup(p));
    argAttrs.push_back(named("fg.param", p, true));
  }
  SmallVector<std::string> states = stateNames();
  for (const Trained &t : plan.trained)
    for (const std::string &s : states) {
      argTypes.push_back(plan.paramType.lookup(t.name));
      argAttrs.push_back(named("fg.name", t.name + "." + s, true));
    }
  unsigned firstInput = argTypes.size();
  for (unsigned i = 0; i < local.getNumArguments(); ++i) {
    argTypes.push_back(local.getArgument(i).getType());
    auto n = local.getArgAttrOfType<StringAttr>(i, "fg.name");
    argAttrs.push_back(named("fg.name", n ? n.getValue() : "input", true));
  }
  auto i64 = RankedTensorType::get({}, IntegerType::get(ctx, 64));
  Type elt = typeOf(local.getArgument(local.getNumArguments() - 2)
                        ? local.getArgument(0)
                        : Value())
                 .getElementType();
  for (auto [key, type] : {std::pair<StringRef, Type>{"step", i64},
                           {"seed", i64},
                           {"lr", RankedTensorType::get({}, elt)}}) {
    argTypes.push_back(type);
    argAttrs.push_back(named("fg.name", key, true));
  }
  unsigned stepArg = argTypes.size() - 3;

  // Perturbation sites and their directions.
  SmallVector<PerturbOp> sites;
  local.walk([&](PerturbOp p) { sites.push_back(p); });
  llvm::sort(sites, [](PerturbOp a, PerturbOp b) {
    return a.getSite() < b.getSite();
  });
  auto withK = [&](RankedTensorType t) {
    SmallVector<int64_t> shape;
    if (batched)
      shape.push_back(k);
    llvm::append_range(shape, t.getShape());
    return RankedTensorType::get(shape, t.getElementType());
  };
  SmallVector<std::string> weightTangents; // FG-W: backbone params
  unsigned firstTangent = argTypes.size();
  if (explicitTangents) {
    if (activity())
      for (PerturbOp p : sites) {
        FailureOr<LinearLayer> layer = layerAt(p.getInput());
        argTypes.push_back(withK(typeOf(p.getInput())));
        argAttrs.push_back(
            named("fg.name",
                  (succeeded(layer) ? layer->name
                                    : "site" + std::to_string(p.getSite())) +
                      ".z.tangent",
                  true));
      }
    if (weights())
      for (const Trained &t : plan.trained)
        if (t.role == Role::Backbone) {
          argTypes.push_back(withK(plan.paramType.lookup(t.name)));
          argAttrs.push_back(named("fg.name", t.name + ".tangent", true));
        }
  }
  for (const Trained &t : plan.trained)
    if (t.role == Role::Backbone)
      weightTangents.push_back(t.name);

  auto func = func::FuncOp::create(top, loc, "train_step",
                                   FunctionType::get(ctx, argTypes, {}));
  func.setAllArgAttrs(argAttrs);
  Block *body = func.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(body);
  Emitter e{b, loc};

  // The localised network, on the arguments.
  IRMapping map;
  for (unsigned i = 0; i < local.getNumArguments(); ++i)
    map.map(local.getArgument(i), body->getArgument(firstInput + i));
  llvm::StringMap<Value> paramArg;
  DenseMap<Value, std::string> paramOf; // the reverse of paramArg
  for (auto [i, p] : llvm::enumerate(plan.params)) {
    paramArg[p] = body->getArgument(i);
    paramOf[body->getArgument(i)] = p;
  }
  SmallVector<Operation *> ops;
  func::ReturnOp localRet;
  for (Operation &op : local.front()) {
    if (auto r = dyn_cast<func::ReturnOp>(op)) {
      localRet = r;
      break;
    }
    if (auto p = dyn_cast<ParamOp>(op)) {
      map.map(p.getResult(), paramArg.lookup(p.getName()));
      continue;
    }
    ops.push_back(b.clone(op, map));
  }
  Value step = body->getArgument(stepArg);
  Value seed = body->getArgument(stepArg + 1);
  Value lr = body->getArgument(stepArg + 2);

  // Cloned markers.
  SmallVector<PerturbOp> clonedSites;
  SmallVector<LocalXentOp> heads;
  CrossEntropyOp readoutLoss;
  for (Operation *op : ops) {
    if (auto p = dyn_cast<PerturbOp>(op))
      clonedSites.push_back(p);
    if (auto h = dyn_cast<LocalXentOp>(op))
      heads.push_back(h);
    if (auto ce = dyn_cast<CrossEntropyOp>(op))
      if (ce->hasAttr("fg.readout"))
        readoutLoss = ce;
  }
  llvm::sort(clonedSites, [](PerturbOp a, PerturbOp b) {
    return a.getSite() < b.getSite();
  });
  Value logits = readoutLoss.getLogits();
  int64_t n = shapeOf(logits)[0];

  // Layers before the sweep rewires anything.
  SmallVector<LinearLayer> layers;
  for (PerturbOp p : clonedSites) {
    FailureOr<LinearLayer> layer = layerAt(p.getInput());
    if (failed(layer))
      return p.emitOpError("is not at the output of a linear layer");
    layers.push_back(*layer);
  }

  FailureOr<LinearLayer> readoutLayer = layerAt(logits);
  if (failed(readoutLayer))
    return readoutLoss.emitOpError("does not follow a linear readout");

  // Directions.
  DenseMap<Operation *, Value> siteTangent;
  llvm::StringMap<Value> paramTangent;
  unsigned nextTangent = firstTangent;
  b.setInsertionPointToStart(body);
  if (activity())
    for (PerturbOp p : clonedSites) {
      Value u;
      if (explicitTangents)
        u = body->getArgument(nextTangent++);
      else
        u = RandomNormalOp::create(b, p.getLoc(), withK(typeOf(p.getInput())),
                                   seed, step, p.getSite());
      siteTangent[p] = u;
    }
  if (weights())
    for (auto [j, name] : llvm::enumerate(weightTangents)) {
      Value v;
      if (explicitTangents)
        v = body->getArgument(nextTangent++);
      else
        v = RandomNormalOp::create(b, loc, withK(plan.paramType.lookup(name)),
                                   seed, step, kWeightSiteBase + j);
      paramTangent[name] = v;
    }

  // Which loss each site and each backbone parameter's layer reaches, and
  // how their axes map onto it: found on the graph before the sweep
  // rewires matrix products.
  auto locate = [&](Value from) {
    Located l;
    if (plan.local) {
      for (auto [i, h] : llvm::enumerate(heads)) {
        FailureOr<SmallVector<AxisOrigin>> t = trackAxes(from, h.getInput());
        if (succeeded(t)) {
          l.head = i;
          l.labels = *t;
          return l;
        }
      }
      return l;
    }
    FailureOr<SmallVector<AxisOrigin>> t = trackAxes(from, logits);
    if (succeeded(t)) {
      l.head = 0;
      l.labels = *t;
    }
    return l;
  };
  SmallVector<Located> siteLoss;
  DenseMap<Operation *, Located> userLoss;
  for (auto [i, p] : llvm::enumerate(clonedSites)) {
    siteLoss.push_back(locate(p.getResult()));
    userLoss[layers[i].op] = locate(layers[i].op->getResult(0));
    for (Operation *c : layers[i].chain)
      userLoss[c] = locate(c->getResult(0));
  }

  // One forward sweep for all directions.
  TangentSweep sweep;
  for (auto &entry : paramTangent)
    sweep.tangent[paramArg.lookup(entry.getKey())] = entry.getValue();
  if (algo != "readout") {
    auto seedSites = [&](OpBuilder &, Operation *op, Value t) -> Value {
      auto it = siteTangent.find(op);
      if (it == siteTangent.end())
        return t;
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointAfter(op);
      return t ? AddOp::create(b, op->getLoc(), t, it->second).getResult()
               : it->second;
    };
    if (failed(propagateTangents(ops, k, sweep, seedSites)))
      return failure();
  }
  b.setInsertionPointToEnd(body);

  // Scores: J of each loss a site or parameter reaches, per example.
  auto lossTangent = [&](Operation *op) -> Value {
    Value t = sweep.tangent.lookup(op->getResult(0));
    return t ? e.mul(t, 1.0 / static_cast<double>(n)) : Value();
  };
  auto scoreOf = [&](const Located &l) -> Value {
    if (l.head < 0)
      return Value();
    return lossTangent(plan.local ? heads[l.head].getOperation()
                                  : readoutLoss.getOperation());
  };

  llvm::StringMap<Value> grads;
  auto addGrad = [&](const std::string &name, Value g) {
    Value &slot = grads[name];
    slot = slot ? e.add(slot, g) : g;
  };
  // Pulls `rootCot` at `root` back through `ops` to the parameters they
  // read, and adds the results to their gradients.
  auto pullBack = [&](ArrayRef<Operation *> ops, Value root,
                      Value rootCot) -> LogicalResult {
    DenseSet<Value> targets;
    for (Operation *op : ops)
      for (Value v : op->getOperands())
        if (paramOf.count(v))
          targets.insert(v);
    DenseMap<Value, Value> cot;
    cot[root] = rootCot;
    if (failed(propagateCotangents(b, ops, targets, cot, &sweep.replacedBy)))
      return failure();
    for (Value v : targets)
      if (Value c = cot.lookup(v))
        addGrad(paramOf.lookup(v), c);
    return success();
  };
  auto meanOverK = [&](Value v) {
    return batched ? e.mul(e.sum(v, {0}), 1.0 / static_cast<double>(k)) : v;
  };
  int64_t kOff = batched ? 1 : 0;

  if (activity()) {
    for (auto [i, p] : llvm::enumerate(clonedSites)) {
      const LinearLayer &layer = layers[i];
      Value z = p.getInput();
      ArrayRef<int64_t> zs = shapeOf(z);
      const SmallVector<AxisOrigin> &labels = siteLoss[i].labels;
      Value j = scoreOf(siteLoss[i]);
      if (!j)
        return p.emitOpError("reaches no loss: its layer '")
               << layer.name << "' cannot be trained";
      ArrayRef<int64_t> js = shapeOf(j);
      // J axes (after K) correspond to target axes 0..; map them to z axes.
      int64_t jr = js.size() - kOff;
      SmallVector<int64_t> sumAxes;
      SmallVector<std::pair<int64_t, AxisOrigin>> kept; // (J axis, origin)
      for (int64_t a = 0; a < jr; ++a) {
        int64_t dim = js[a + kOff];
        AxisOrigin o = labels[a];
        if (dim == 1)
          continue;
        if (o.axis < 0 || (o.parts == 0 && zs[o.axis] != dim) ||
            (o.parts > 0 && o.parts != dim)) {
          sumAxes.push_back(a + kOff);
          continue;
        }
        kept.push_back({a + kOff, o});
      }
      if (llvm::none_of(kept, [&](auto &x) { return x.first == kOff; }))
        return p.emitOpError("cannot relate the batch axis of layer '")
               << layer.name << "' to its loss";
      if (!sumAxes.empty())
        j = e.sum(j, sumAxes, true);
      // Keep only the mapped axes, ordered as the z axes they map to.
      llvm::sort(
          kept, [](auto &x, auto &y) { return x.second.axis < y.second.axis; });
      SmallVector<int64_t> perm, squeezed;
      if (batched) {
        perm.push_back(0);
        squeezed.push_back(k);
      }
      SmallVector<int64_t> jsNow(shapeOf(j));
      // First drop the size-1 axes (transpose then reshape).
      SmallVector<int64_t> order(perm);
      for (auto &[a, o] : kept)
        order.push_back(a);
      for (int64_t a = kOff; a < static_cast<int64_t>(jsNow.size()); ++a)
        if (!llvm::is_contained(order, a))
          order.push_back(a);
      j = e.transpose(j, order);
      for (auto &[a, o] : kept)
        squeezed.push_back(jsNow[a]);
      j = e.reshape(j, squeezed);
      // Expand to z's axes: whole axes keep their size, split axes become
      // (G, 1) broadcast to (G, C/G), others 1.
      SmallVector<int64_t> expanded, broadcastShape, full;
      if (batched) {
        expanded.push_back(k);
        broadcastShape.push_back(k);
        full.push_back(k);
      }
      for (int64_t a = 0; a < static_cast<int64_t>(zs.size()); ++a) {
        auto it =
            llvm::find_if(kept, [&](auto &x) { return x.second.axis == a; });
        full.push_back(zs[a]);
        if (it == kept.end()) {
          expanded.push_back(1);
          broadcastShape.push_back(1);
        } else if (it->second.parts == 0) {
          expanded.push_back(zs[a]);
          broadcastShape.push_back(zs[a]);
        } else {
          int64_t g = it->second.parts;
          expanded.append({g, 1});
          broadcastShape.append({g, zs[a] / g});
        }
      }
      j = e.reshape(j, expanded);
      j = e.broadcast(j, broadcastShape);
      SmallVector<int64_t> merged;
      if (batched)
        merged.push_back(k);
      for (int64_t a = 0; a < static_cast<int64_t>(zs.size()); ++a) {
        auto it =
            llvm::find_if(kept, [&](auto &x) { return x.second.axis == a; });
        merged.push_back(it == kept.end() ? 1 : zs[a]);
      }
      j = e.reshape(j, merged);
      Value g = e.mul(j, siteTangent.lookup(p));
      g = meanOverK(g);
      if (auto relu = dyn_cast_or_null<ReluOp>(layer.activation)) {
        Value mask = CompareOp::create(
            b, loc, relu.getResult(), e.scalar(typeOf(z).getElementType(), 0.0),
            b.getStringAttr("gt"));
        g = e.mul(g, mask);
      }
      // Pull back to the layer's parameters.
      SmallVector<Operation *> chainOps = {layer.op};
      llvm::append_range(chainOps, layer.chain);
      if (failed(pullBack(chainOps, z, g)))
        return failure();
    }
  }

  if (weights()) {
    // Each backbone parameter: the layer that reads it.
    for (auto [i, p] : llvm::enumerate(clonedSites)) {
      const LinearLayer &layer = layers[i];
      SmallVector<Operation *> users = {layer.op};
      llvm::append_range(users, layer.chain);
      for (Operation *user : users)
        for (Value operand : user->getOperands()) {
          std::string name = paramOf.lookup(operand);
          Value v = paramTangent.lookup(name);
          if (name.empty() || !v || grads.count(name))
            continue;
          const Located &located = userLoss[user];
          const SmallVector<AxisOrigin> &labels = located.labels;
          Value j = scoreOf(located);
          if (!j)
            return user->emitOpError("reaches no loss: parameter '")
                   << name << "' cannot be trained";
          ArrayRef<int64_t> ps = shapeOf(operand);
          SmallVector<int64_t> vShape(shapeOf(v));
          Value update;
          int64_t jr = shapeOf(j).size() - kOff;
          // s: the score summed over everything but K and the groups.
          int64_t groupAxis = -1, parts = 0;
          if (plan.local && shapeOf(j)[kOff + 2] > 1) {
            AxisOrigin o = labels[2];
            for (int64_t a = 0;
                 a < static_cast<int64_t>(ps.size()) && o.axis >= 0; ++a)
              if (resultAxisOf(user, operand, a) == o.axis) {
                if (o.parts == 0 && ps[a] == shapeOf(j)[kOff + 2])
                  groupAxis = a;
                else if (o.parts == shapeOf(j)[kOff + 2] &&
                         ps[a] % o.parts == 0) {
                  groupAxis = a;
                  parts = o.parts;
                }
              }
          }
          SmallVector<int64_t> all;
          for (int64_t a = kOff; a < kOff + jr; ++a)
            if (!(groupAxis >= 0 && a == kOff + 2))
              all.push_back(a);
          Value s = e.sum(j, all); // [K?] or [K?, G]
          int64_t g = groupAxis >= 0 ? shapeOf(j)[kOff + 2] : 1;
          if (groupAxis < 0) {
            SmallVector<int64_t> shape(vShape.size(), 1);
            if (batched)
              shape[0] = k;
            update = e.mul(v, e.reshape(s, shape));
          } else {
            SmallVector<int64_t> split, sShape;
            if (batched) {
              split.push_back(k);
              sShape.push_back(k);
            }
            for (int64_t a = 0; a < static_cast<int64_t>(ps.size()); ++a) {
              if (a != groupAxis) {
                split.push_back(ps[a]);
                sShape.push_back(1);
              } else if (parts == 0) {
                split.push_back(g);
                sShape.push_back(g);
              } else {
                split.append({g, ps[a] / g});
                sShape.append({g, 1});
              }
            }
            update = e.reshape(e.mul(e.reshape(v, split), e.reshape(s, sShape)),
                               vShape);
          }
          addGrad(name, meanOverK(update));
        }
    }
  }

  // Exact gradients: the local heads and the readout.
  for (LocalXentOp h : heads) {
    RankedTensorType t = h.getType();
    if (failed(pullBack(
            {h.getOperation()}, h.getResult(),
            e.splat(t, 1.0 / static_cast<double>(t.getNumElements())))))
      return failure();
  }
  {
    SmallVector<Operation *> chainOps = {readoutLayer->op};
    llvm::append_range(chainOps, readoutLayer->chain);
    chainOps.push_back(readoutLoss);
    if (failed(pullBack(
            chainOps, readoutLoss.getResult(),
            e.splat(readoutLoss.getType(), 1.0 / static_cast<double>(n)))))
      return failure();
  }

  // Optimizer.
  SmallVector<Value> results;
  SmallVector<std::string> resultNames;
  llvm::StringMap<std::pair<Value, SmallVector<Value>>> updated;
  unsigned stateArg = plan.params.size();
  Value t1;
  if (adam())
    t1 = e.add(CastOp::create(b, loc, RankedTensorType::get({}, elt), step),
               e.scalar(elt, 1.0));
  for (const Trained &t : plan.trained) {
    Value w = paramArg.lookup(t.name);
    SmallVector<Value> st;
    for (size_t s = 0; s < states.size(); ++s)
      st.push_back(body->getArgument(stateArg++));
    Value g = grads.lookup(t.name);
    if (!g) {
      updated[t.name] = {w, st};
      continue;
    }
    double mult = t.role == Role::Head      ? double(headLr)
                  : t.role == Role::Readout ? double(lastLayerLr)
                                            : 1.0;
    if (!adam()) {
      if (mult != 1.0)
        g = e.mul(g, mult);
      if (t.weight && weightDecay != 0.0)
        g = e.add(g, e.mul(w, weightDecay));
      Value m = e.add(e.mul(st[0], momentum), g);
      Value nw = e.sub(w, e.mul(m, lr));
      updated[t.name] = {nw, {m}};
      continue;
    }
    if (optimizer == "adam" && t.weight && weightDecay != 0.0)
      g = e.add(g, e.mul(w, weightDecay));
    Value m = e.add(e.mul(st[0], beta1), e.mul(g, 1.0 - beta1));
    Value v2 = e.add(e.mul(st[1], beta2), e.mul(e.mul(g, g), 1.0 - beta2));
    Value c1 = e.sub(e.scalar(elt, 1.0),
                     PowOp::create(b, loc, e.scalar(elt, beta1), t1));
    Value c2 = e.sub(e.scalar(elt, 1.0),
                     PowOp::create(b, loc, e.scalar(elt, beta2), t1));
    Value upd = e.div(e.div(m, c1), e.add(SqrtOp::create(b, loc, e.div(v2, c2)),
                                          e.scalar(elt, epsilon)));
    if (optimizer == "adamw" && t.weight && weightDecay != 0.0)
      upd = e.add(upd, e.mul(w, weightDecay));
    Value nw = e.sub(w, e.mul(e.mul(upd, lr), mult));
    updated[t.name] = {nw, {m, v2}};
  }
  for (const std::string &p : plan.params) {
    auto it = updated.find(p);
    results.push_back(it == updated.end() ? paramArg.lookup(p)
                                          : it->second.first);
    resultNames.push_back(p);
  }
  for (const Trained &t : plan.trained)
    for (auto [s, v] : llvm::zip(states, updated[t.name].second)) {
      results.push_back(v);
      resultNames.push_back(t.name + "." + s);
    }
  // Metrics.
  for (auto [i, h] : llvm::enumerate(heads)) {
    results.push_back(e.mean(h.getResult(), {}));
    auto blk = h->getAttrOfType<IntegerAttr>("fg.block");
    resultNames.push_back("loss.block" +
                          std::to_string(blk ? blk.getInt() : int64_t(i)));
  }
  results.push_back(e.mean(readoutLoss.getResult(), {}));
  resultNames.push_back("loss.readout");
  results.push_back(
      e.sum(correctness(b, loc, logits, readoutLoss.getLabels()), {}));
  resultNames.push_back("correct");
  func::ReturnOp::create(b, loc, results);
  eraseDead(sweep);

  SmallVector<Type> resultTypes;
  SmallVector<Attribute> resultAttrs;
  for (auto [v, name] : llvm::zip(results, resultNames)) {
    resultTypes.push_back(v.getType());
    resultAttrs.push_back(named("fg.name", name));
  }
  func.setFunctionType(FunctionType::get(ctx, argTypes, resultTypes));
  func.setAllResultAttrs(resultAttrs);
  func->setAttr("fg.algo", StringAttr::get(ctx, algo));
  func->setAttr("fg.tangents", b.getI64IntegerAttr(k));
  // Unused markers from the clone: the stop-gradients and perturbation
  // points stay (they lower to nothing).
  return success();
}

LogicalResult FGTrainStepPass::buildEvalStep(ModuleOp module,
                                             func::FuncOp forward) {
  MLIRContext *ctx = &getContext();
  OpBuilder top(module.getBodyRegion());
  top.setInsertionPointToEnd(module.getBody());
  auto eval = cast<func::FuncOp>(top.clone(*forward));
  eval.setName("eval_step");
  Block &body = eval.front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() != 1)
    return forward.emitError("eval_step: @forward must return the logits only");
  Value logits = ret.getOperand(0);
  auto lt = typeOf(logits);
  int64_t n = lt.getDimSize(0);
  unsigned index = eval.getNumArguments();
  if (failed(eval.insertArgument(
          index, RankedTensorType::get({n}, IntegerType::get(ctx, 64)), {},
          eval.getLoc())))
    return failure();
  eval.setArgAttr(index, "fg.name", StringAttr::get(ctx, "labels"));
  Value labels = body.getArgument(index);
  OpBuilder b(ret);
  Location loc = ret.getLoc();
  Value ce = CrossEntropyOp::create(b, loc, logits, labels);
  // Per example, so that a trainer can count the real examples of a padded
  // last batch.
  Value correct = correctness(b, loc, logits, labels);
  SmallVector<Value> results = {ce, correct};
  func::ReturnOp::create(b, loc, results);
  ret.erase();
  SmallVector<Type> types = {results[0].getType(), results[1].getType()};
  eval.setFunctionType(
      FunctionType::get(ctx, eval.getFunctionType().getInputs(), types));
  auto attr = [&](StringRef name) {
    return DictionaryAttr::get(ctx,
                               {NamedAttribute(StringAttr::get(ctx, "fg.name"),
                                               StringAttr::get(ctx, name))});
  };
  eval.setAllResultAttrs(ArrayRef<Attribute>{attr("loss"), attr("correct")});
  return success();
}

/// @learning_rate(step, total, warmup, base) -> lr, the schedule of spec
/// §5.1 on rank-0 tensors.
void FGTrainStepPass::buildLearningRate(ModuleOp module) {
  MLIRContext *ctx = &getContext();
  OpBuilder top(module.getBodyRegion());
  top.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();
  Type f32 = Float32Type::get(ctx), i64 = IntegerType::get(ctx, 64);
  auto ti = RankedTensorType::get({}, i64), tf = RankedTensorType::get({}, f32);
  auto func =
      func::FuncOp::create(top, loc, "learning_rate",
                           FunctionType::get(ctx, {ti, ti, ti, tf}, {tf}));
  const char *names[] = {"step", "total", "warmup", "base"};
  for (unsigned i = 0; i < 4; ++i)
    func.setArgAttr(i, "fg.name", StringAttr::get(ctx, names[i]));
  func.setResultAttr(0, "fg.name", StringAttr::get(ctx, "lr"));
  func->setAttr("fg.schedule", StringAttr::get(ctx, schedule));
  Block *body = func.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(body);
  auto get = [&](unsigned i) -> Value {
    return tensor::ExtractOp::create(b, loc, body->getArgument(i),
                                     ValueRange{});
  };
  auto c = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  auto toF = [&](Value v) -> Value {
    return arith::SIToFPOp::create(b, loc, f32, v);
  };
  Value step = toF(get(0)), total = toF(get(1)), warmup = toF(get(2));
  Value base = get(3);
  Value one = c(1.0), zero = c(0.0);
  auto maxf = [&](Value x, Value y) -> Value {
    return arith::MaximumFOp::create(b, loc, x, y);
  };
  Value lr = base;
  if (schedule == "linear") {
    Value frac = arith::DivFOp::create(b, loc, step, maxf(total, one));
    lr = arith::MulFOp::create(
        b, loc, base, maxf(arith::SubFOp::create(b, loc, one, frac), zero));
  } else if (schedule == "staircase") {
    auto drop = [&](double at) -> Value {
      Value past =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, step,
                                arith::MulFOp::create(b, loc, total, c(at)));
      return arith::SelectOp::create(b, loc, past, c(0.1), one);
    };
    lr = arith::MulFOp::create(
        b, loc, base, arith::MulFOp::create(b, loc, drop(0.5), drop(0.8)));
  } else if (schedule == "warmup-cosine") {
    Value warm = arith::DivFOp::create(
        b, loc, arith::MulFOp::create(b, loc, base, step), maxf(warmup, one));
    Value progress = arith::DivFOp::create(
        b, loc, arith::SubFOp::create(b, loc, step, warmup),
        maxf(arith::SubFOp::create(b, loc, total, warmup), one));
    progress = arith::MinimumFOp::create(b, loc, maxf(progress, zero), one);
    Value cosv = math::CosOp::create(
        b, loc, arith::MulFOp::create(b, loc, progress, c(3.14159265358979)));
    Value cosine = arith::MulFOp::create(
        b, loc, base,
        arith::MulFOp::create(b, loc, c(0.5),
                              arith::AddFOp::create(b, loc, one, cosv)));
    Value inWarmup =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, step, warmup);
    lr = arith::SelectOp::create(b, loc, inWarmup, warm, cosine);
  }
  Value out = tensor::FromElementsOp::create(b, loc, tf, ValueRange{lr});
  func::ReturnOp::create(b, loc, out);
}

LogicalResult FGTrainStepPass::run() {
  ModuleOp module = getOperation();
  if (failed(checkOptions(module)))
    return failure();
  auto local = module.lookupSymbol<func::FuncOp>("local_losses");
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!local || !forward)
    return module.emitError("fg-train-step: the module needs @forward and "
                            "@local_losses (run fg-localize first)");
  for (StringRef name : {"train_step", "eval_step", "learning_rate"})
    if (module.lookupSymbol(name))
      return module.emitError("fg-train-step: @") << name << " already exists";
  FailureOr<Plan> plan = makePlan(module, local);
  if (failed(plan))
    return failure();
  if (failed(buildTrainStep(module, local, *plan)) ||
      failed(buildEvalStep(module, forward)))
    return failure();
  buildLearningRate(module);
  return success();
}

} // namespace
