//===- Plan.cpp - Which rule trains each parameter ------------------------===//
//
// The parameters read by perturbed layers (and their chains) are the
// backbone, trained by the algorithm's estimator; those read by local heads
// and by the readout classifier get exact gradients. Parameters nobody
// trains (the backbone under `readout`) keep their values; the running
// statistics of batch normalisation are never trained.
//
//===----------------------------------------------------------------------===//

#include "StepState.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace fgc::fg::training {

namespace {

/// Parameter names read by `op`'s operands.
SmallVector<std::string> paramsOf(Operation *op) {
  SmallVector<std::string> out;
  for (Value v : op->getOperands())
    if (auto p = v.getDefiningOp<ParamOp>())
      out.push_back(p.getName().str());
  return out;
}

/// The parameters used as the weight of a linear op, found in one walk (a
/// walk per parameter is quadratic in the depth of the network).
llvm::StringSet<> weightParams(func::FuncOp f) {
  llvm::StringSet<> weights;
  f.walk([&](LinearOpInterface l) {
    if (Value w = viewedParam(l.getWeight()))
      if (auto p = w.getDefiningOp<ParamOp>())
        weights.insert(p.getName());
  });
  return weights;
}

} // namespace

FailureOr<Plan> makePlan(ModuleOp module, func::FuncOp local, Algorithm algo) {
  Plan plan;
  for (auto p : module.getOps<ParameterOp>()) {
    plan.params.push_back(p.getSymName().str());
    plan.paramType[p.getSymName()] = p.getType();
  }
  FGDialect *dialect = FGDialect::get(module.getContext());
  BoolAttr localAttr = dialect->getLocalAttrHelper().getAttr(local);
  plan.local = localAttr && localAttr.getValue();
  if (plan.local != usesLocalLosses(algo))
    return local.emitError("fg-train-step: algo '")
           << stringifyAlgorithm(algo) << "' needs fg-localize with global="
           << (plan.local ? "true" : "false") << " (got the "
           << (plan.local ? "local" : "global") << " form)";
  llvm::StringMap<Role> role;
  auto assign = [&](const LinearLayer &layer, Role r) {
    for (Operation *op : layer.ops())
      for (std::string &n : paramsOf(op))
        role[n] = r;
  };
  if (algo != Algorithm::Readout) {
    bool any = false;
    local.walk([&](PerturbOp p) {
      FailureOr<LinearLayer> layer = layerAt(p.getInput());
      if (failed(layer))
        return;
      any = true;
      assign(*layer, Role::Backbone);
    });
    if (!any)
      return local.emitError("fg-train-step: @local_losses has no "
                             "perturbation point (run fg-localize first)");
  }
  local.walk([&](LocalLossOpInterface h) {
    for (std::string &n : paramsOf(h))
      role[n] = Role::Head;
  });
  bool readoutLoss = false, readoutLayer = false;
  local.walk([&](CrossEntropyOp ce) {
    if (!dialect->getReadoutAttrHelper().isAttrPresent(ce))
      return;
    readoutLoss = true;
    FailureOr<LinearLayer> layer = readoutAt(ce.getLogits());
    if (succeeded(layer) &&
        dialect->getReadoutAttrHelper().isAttrPresent(layer->op)) {
      readoutLayer = true;
      assign(*layer, Role::Readout);
    }
  });
  if (!readoutLoss)
    return local.emitError("fg-train-step: @local_losses has no readout "
                           "loss (run fg-localize first)");
  if (algo == Algorithm::Readout && !readoutLayer)
    return local.emitError("--algo=readout: the model has no readout "
                           "classifier to train (name one with --readout)");
  // A batch normalisation's running statistics are state that
  // @train_step updates from the batch (BatchStatistics.cpp), never trained.
  local.walk([&](BatchNormOp bn) {
    for (Value v : {bn.getMean(), bn.getVar()})
      if (auto p = v.getDefiningOp<ParamOp>())
        role.erase(p.getName());
  });
  llvm::StringSet<> weights = weightParams(local);
  for (const std::string &name : plan.params) {
    auto it = role.find(name);
    if (it == role.end())
      continue;
    Trained t;
    t.name = name;
    t.role = it->second;
    t.weight = weights.contains(name);
    plan.trained.push_back(t);
  }
  return plan;
}

} // namespace fgc::fg::training
