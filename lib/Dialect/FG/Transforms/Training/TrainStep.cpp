//===- TrainStep.cpp - The fg-train-step pass -----------------------------===//
//
// Builds @train_step, @eval_step and @learning_rate from the output of
// fg-localize (see Passes.td for the contract). This file holds the pass and
// the step's signature and stages; the learning rules are gradient
// estimators (GradientEstimator.h: ActivityPerturbation.cpp,
// WeightPerturbation.cpp, ExactGradients.cpp), the updates optimizer rules
// (OptimizerRule.h: Sgd.cpp, Adam.cpp), and the other two functions are in
// EvalStep.cpp and Schedules.cpp.
//
//===----------------------------------------------------------------------===//

#include "GradientEstimator.h"
#include "OptimizerRule.h"
#include "Steps.h"

#include "fgc/Dialect/FG/IR/FGAttributes.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Runtime/TrainerABI.h"

#include "mlir/IR/IRMapping.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGTRAINSTEP
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;
using namespace fgc::fg::training;

namespace {

struct FGTrainStepPass : fgc::fg::impl::FGTrainStepBase<FGTrainStepPass> {
  using FGTrainStepBase::FGTrainStepBase;

  void runOnOperation() override {
    if (failed(run()))
      signalPassFailure();
  }
  LogicalResult run();
  LogicalResult buildTrainStep(ModuleOp module, func::FuncOp local,
                               const Plan &plan);
};

LogicalResult FGTrainStepPass::buildTrainStep(ModuleOp module,
                                              func::FuncOp local,
                                              const Plan &plan) {
  MLIRContext *ctx = &getContext();
  FGDialect *dialect = FGDialect::get(ctx);
  OpBuilder top(module.getBodyRegion());
  top.setInsertionPointToEnd(module.getBody());
  Location loc = local.getLoc();
  OpBuilder b(ctx);
  StepState s(plan, algo, tangents, b, loc);
  SmallVector<std::unique_ptr<GradientEstimator>> estimators =
      createEstimators(algo);
  std::unique_ptr<OptimizerRule> rule = createOptimizer(
      optimizer, {momentum, weightDecay, beta1, beta2, epsilon});

  // Signature: params, optimizer state, the inputs of @local_losses, step,
  // seed, lr and (explicit-tangents) the directions.
  Signature sig{ctx, {}, {}};
  for (const std::string &p : plan.params)
    sig.addParam(plan.paramType.lookup(p), p);
  for (const Trained &t : plan.trained)
    for (StringRef suffix : rule->stateSuffixes())
      sig.addNamed(plan.paramType.lookup(t.name), t.name + "." + suffix.str());
  unsigned firstInput = sig.types.size();
  for (unsigned i = 0; i < local.getNumArguments(); ++i) {
    StringAttr n = getArgName(local, i);
    sig.addNamed(local.getArgument(i).getType(), n ? n.getValue() : "input");
  }
  auto i64 = RankedTensorType::get({}, IntegerType::get(ctx, 64));
  Type elt = typeOf(local.getArgument(0)).getElementType();
  sig.addNamed(i64, fgc::rt::abi::kStep);
  sig.addNamed(i64, fgc::rt::abi::kSeed);
  sig.addNamed(RankedTensorType::get({}, elt), fgc::rt::abi::kLr);
  unsigned stepArg = sig.types.size() - 3;
  SmallVector<PerturbOp> localSites;
  local.walk([&](PerturbOp p) { localSites.push_back(p); });
  auto bySite = [](PerturbOp a, PerturbOp b) {
    return a.getSite() < b.getSite();
  };
  llvm::sort(localSites, bySite);
  unsigned firstTangent = sig.types.size();
  if (explicitTangents)
    for (const std::unique_ptr<GradientEstimator> &est : estimators)
      est->declareTangents(plan, s, localSites, sig);

  auto func = func::FuncOp::create(top, loc, fgc::rt::abi::kTrainStep,
                                   FunctionType::get(ctx, sig.types, {}));
  func.setAllArgAttrs(sig.attrs);
  Block *body = func.addEntryBlock();
  s.body = body;
  b.setInsertionPointToEnd(body);

  // The localised network, on the arguments.
  IRMapping map;
  for (unsigned i = 0; i < local.getNumArguments(); ++i)
    map.map(local.getArgument(i), body->getArgument(firstInput + i));
  for (auto [i, p] : llvm::enumerate(plan.params)) {
    s.paramArg[p] = body->getArgument(i);
    s.paramOf[body->getArgument(i)] = p;
  }
  for (Operation &op : local.front()) {
    if (isa<func::ReturnOp>(op))
      break;
    if (auto p = dyn_cast<ParamOp>(op)) {
      map.map(p.getResult(), s.paramArg.lookup(p.getName()));
      continue;
    }
    s.ops.push_back(b.clone(op, map));
  }
  s.step = body->getArgument(stepArg);
  s.seed = body->getArgument(stepArg + 1);
  s.lr = body->getArgument(stepArg + 2);

  // The cloned markers, and the layers before the sweep rewires anything.
  for (Operation *op : s.ops) {
    if (auto p = dyn_cast<PerturbOp>(op))
      s.sites.push_back(p);
    if (auto h = dyn_cast<LocalLossOpInterface>(op))
      s.heads.push_back(h);
    if (auto ce = dyn_cast<CrossEntropyOp>(op))
      if (dialect->getReadoutAttrHelper().isAttrPresent(ce))
        s.readoutLoss = ce;
  }
  llvm::sort(s.sites, bySite);
  s.logits = s.readoutLoss.getLogits();
  s.n = shapeOf(s.logits)[0];
  for (PerturbOp p : s.sites) {
    FailureOr<LinearLayer> layer = layerAt(p.getInput());
    if (failed(layer))
      return p.emitOpError("is not at the output of a linear layer");
    s.layers.push_back(*layer);
  }
  // The readout layer fg-localize marked, if any (a model without one
  // trains its local losses only).
  FailureOr<LinearLayer> readoutLayer = readoutAt(s.logits);
  if (succeeded(readoutLayer) &&
      dialect->getReadoutAttrHelper().isAttrPresent(readoutLayer->op))
    s.readoutLayer = *readoutLayer;
  // Batch normalisation with the batch's statistics and dropout as it
  // trains, before anything looks at which loss a value reaches.
  useBatchStatistics(s);
  applyDropout(s, dropout);

  // Directions, at the start of the body.
  b.setInsertionPointToStart(body);
  s.nextTangent = firstTangent;
  for (const std::unique_ptr<GradientEstimator> &est : estimators)
    est->addDirections(s, explicitTangents);

  // Which loss each site and each layer op reaches, found on the graph
  // before the sweep rewires matrix products.
  for (auto [i, p] : llvm::enumerate(s.sites)) {
    s.siteLoss.push_back(s.locate(p.getResult()));
    s.userLoss[s.layers[i].op] = s.locate(s.layers[i].op->getResult(0));
    for (Operation *v : s.layers[i].weightViews)
      s.userLoss[v] = s.userLoss[s.layers[i].op];
    for (Operation *c : s.layers[i].chain)
      s.userLoss[c] = s.locate(c->getResult(0));
  }

  // One forward sweep for all directions.
  for (auto &entry : s.paramTangent)
    s.sweep.tangent[s.paramArg.lookup(entry.getKey())] = entry.getValue();
  if (llvm::any_of(estimators, [](auto &est) { return est->perturbs(); })) {
    auto seedSites = [&](OpBuilder &, Operation *op, Value t) -> Value {
      auto it = s.siteTangent.find(op);
      if (it == s.siteTangent.end())
        return t;
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointAfter(op);
      return t ? AddOp::create(b, op->getLoc(), t, it->second).getResult()
               : it->second;
    };
    if (failed(propagateTangents(s.ops, s.k, s.sweep, seedSites)))
      return failure();
  }
  b.setInsertionPointToEnd(body);

  for (const std::unique_ptr<GradientEstimator> &est : estimators)
    if (failed(est->addGradients(s)))
      return failure();

  // Updates of every parameter and its optimizer state.
  SmallVector<Value> results;
  SmallVector<std::string> resultNames;
  applyUpdates(s, *rule, plan.params.size(), headLr, lastLayerLr, results,
               resultNames);

  // Metrics: each block's loss, the readout's, the correct predictions.
  for (auto [i, h] : llvm::enumerate(s.heads)) {
    results.push_back(s.e.mean(h.getResult(), {}));
    resultNames.push_back(
        fgc::rt::abi::kBlockLossPrefix +
        std::to_string(h.getBlockIndex().value_or(int64_t(i))));
  }
  results.push_back(s.e.mean(s.readoutLoss.getResult(), {}));
  resultNames.push_back(fgc::rt::abi::kReadoutLoss);
  results.push_back(
      s.e.sum(correctness(b, loc, s.logits, s.readoutLoss.getLabels()), {}));
  resultNames.push_back(fgc::rt::abi::kCorrect);
  func::ReturnOp::create(b, loc, results);
  eraseDead(s.sweep);

  SmallVector<Type> resultTypes;
  SmallVector<Attribute> resultAttrs;
  for (auto [v, name] : llvm::zip(results, resultNames)) {
    resultTypes.push_back(v.getType());
    resultAttrs.push_back(DictionaryAttr::get(ctx, {nameEntry(ctx, name)}));
  }
  func.setFunctionType(FunctionType::get(ctx, sig.types, resultTypes));
  func.setAllResultAttrs(resultAttrs);
  dialect->getAlgoAttrHelper().setAttr(
      func, StringAttr::get(ctx, stringifyAlgorithm(algo)));
  dialect->getTangentsAttrHelper().setAttr(func, b.getI64IntegerAttr(s.k));
  // The stop-gradients and perturbation points of the clone stay: they
  // lower to nothing.
  return success();
}

LogicalResult FGTrainStepPass::run() {
  ModuleOp module = getOperation();
  if (tangents < 1)
    return module.emitError("fg-train-step: tangents must be at least 1, got ")
           << static_cast<int64_t>(tangents);
  auto local = module.lookupSymbol<func::FuncOp>(fgc::rt::abi::kLocalLosses);
  auto forward = module.lookupSymbol<func::FuncOp>(fgc::rt::abi::kForward);
  if (!local || !forward)
    return module.emitError("fg-train-step: the module needs @forward and "
                            "@local_losses (run fg-localize first)");
  for (StringRef name : {fgc::rt::abi::kTrainStep, fgc::rt::abi::kEvalStep,
                         fgc::rt::abi::kLearningRate})
    if (module.lookupSymbol(name))
      return module.emitError("fg-train-step: @") << name << " already exists";
  FailureOr<Plan> plan = makePlan(module, local, algo);
  if (failed(plan) || failed(buildTrainStep(module, local, *plan)) ||
      failed(buildEvalStep(module, forward)))
    return failure();
  buildLearningRate(module, schedule);
  return success();
}

} // namespace
