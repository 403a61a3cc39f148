//===- Pipelines.cpp - fgc's pass pipeline, in phases ---------------------===//

#include "fgc/Pipelines/Pipelines.h"

#include "fgc/Conversion/Passes.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Pipelines/OptionsBinder.h"
#include "fgc/Support/Diagnostics.h"
#include "fgc/Target/Target.h"
#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace llvm;

namespace fgc {

StringRef stringifyPhase(Phase phase) {
  switch (phase) {
  case Phase::ImportCleanup:
    return "import-cleanup";
  case Phase::Local:
    return "local";
  case Phase::Train:
    return "train";
  case Phase::Linalg:
    return "linalg";
  case Phase::LLVM:
    return "llvm";
  }
  llvm_unreachable("unknown phase");
}

void PipelineOptions::bindCleanupOptions(OptionsBinder &b) {
  b.opt("init", init,
        cl::desc("Re-initialise the model's parameters per the LocalMixer "
                 "reference (weights scale * N(0,1), biases and the readout "
                 "zero) instead of using the ONNX initializers"),
        cl::value_desc("kaiming|lecun|constant"),
        fg::initSchemeValues(/*withNone=*/true));
}

void PipelineOptions::bindTrainingOptions(OptionsBinder &b) {
  b.opt("algo", algo,
        cl::desc("Build a training step: lg-fg-a (local losses, activity "
                 "perturbation: the paper's method), fg-a, lg-fg-w, fg-w, or "
                 "readout (backbone frozen)"),
        cl::value_desc("algorithm"), fg::algorithmValues());
  b.list("blocks", blocks,
         cl::desc("Local-loss blocks: auto (the default: units), "
                  "units (one per residual unit, encoder sub-layer or layer "
                  "of a plain chain), stages (runs of units with one spatial "
                  "size), or ONNX node names whose outputs end blocks "
                  "(default auto; see fgc inspect)"),
         cl::value_desc("auto|units|stages|NODE,..."));
  b.list("groups", groups,
         cl::desc("Channel groups of the local losses: one for all blocks or "
                  "one per block (default: the group axis of a grouped "
                  "layer's output, else 1; a convolution's group attribute "
                  "never sets it)"),
         cl::value_desc("G,..."));
  b.opt("readout", readout,
        cl::desc("ONNX node of the readout classifier's linear layer "
                 "(default: the last linear layer, with any activation, "
                 "global pooling and flattening before the result)"),
        cl::value_desc("NODE"));
  b.list("layout", layouts,
         cl::desc("Block output layouts (N batch, C channels, G groups, other "
                  "letters spatial), e.g. NPGC, NPC, NCHW, NC: one for all or "
                  "one per block (default: inferred)"),
         cl::value_desc("LAYOUT,..."));
  b.opt("spatial-loss", spatialLoss,
        cl::desc("Replicate local losses over patches (default true)"));
  b.opt("modular-loss", modularLoss,
        cl::desc("One loss per block with stop-gradients between blocks "
                 "(default true; false keeps the last block's loss only)"));
  b.opt("head-norm", headNorm,
        cl::desc("Layer-normalise each group before its local head (default "
                 "true)"));
  b.opt("head-init", headInit,
        cl::desc("Initialisation of the local heads (default kaiming)"),
        cl::value_desc("kaiming|lecun|constant"), fg::initSchemeValues());
  b.opt("head-seed", headSeed,
        cl::desc("Seed of the local heads' initial values"));
  b.opt("tangents", tangents,
        cl::desc("Number K of tangent directions averaged per training step "
                 "(default 1)"),
        cl::value_desc("K"));
  b.opt("explicit-tangents", explicitTangents,
        cl::desc("Take the step's tangents as inputs named <layer>.z.tangent "
                 "/ <param>.tangent instead of drawing them (for tests)"));
  b.opt("optimizer", optimizer,
        cl::desc("Optimizer compiled into the step (default sgd)"),
        cl::value_desc("sgd|adam|adamw"), fg::optimizerValues());
  b.opt("momentum", momentum, cl::desc("SGD momentum (default 0.9)"));
  b.opt("weight-decay", weightDecay,
        cl::desc("Weight decay on weights (default 0)"));
  b.opt("head-lr", headLr,
        cl::desc("Learning-rate multiplier of the local heads (default 1)"));
  b.opt("last-layer-lr", lastLayerLr,
        cl::desc("Learning-rate multiplier of the readout (default 1; the "
                 "reference's 0.1 is for 1000-epoch runs)"));
  b.opt("schedule", schedule,
        cl::desc("Learning-rate schedule (default linear)"),
        cl::value_desc("constant|linear|warmup-cosine|staircase"),
        fg::scheduleValues());
  b.opt("dropout", dropout,
        cl::desc("The network's Dropout layers in training steps (default "
                 "identity; evaluation never drops)"),
        cl::value_desc("identity|train"), fg::dropoutModeValues());
}

namespace {

fg::FGLocalizeOptions localizeOptions(const PipelineOptions &o) {
  fg::FGLocalizeOptions l;
  l.blocks.assign(o.blocks.begin(), o.blocks.end());
  l.layouts.assign(o.layouts.begin(), o.layouts.end());
  l.groups.assign(o.groups.begin(), o.groups.end());
  l.readout = o.readout;
  l.global = !fg::usesLocalLosses(o.algo);
  l.spatialLoss = o.spatialLoss;
  l.modularLoss = o.modularLoss;
  l.headNorm = o.headNorm;
  l.headInit = fg::stringifyInitScheme(o.headInit).str();
  l.seed = o.headSeed;
  return l;
}

fg::FGTrainStepOptions trainStepOptions(const PipelineOptions &o) {
  fg::FGTrainStepOptions t;
  t.algo = o.algo;
  t.tangents = o.tangents;
  t.explicitTangents = o.explicitTangents;
  t.optimizer = o.optimizer;
  t.momentum = o.momentum;
  t.weightDecay = o.weightDecay;
  t.headLr = o.headLr;
  t.lastLayerLr = o.lastLayerLr;
  t.schedule = o.schedule;
  t.dropout = o.dropout;
  return t;
}

LogicalResult run(ModuleOp module, PassManager &pm, std::string &error,
                  bool withLocation, const Twine &fallback) {
  FirstErrorCollector collect(module.getContext(), error, withLocation);
  if (succeeded(pm.run(module)))
    return success();
  if (error.empty())
    error = fallback.str();
  return failure();
}

} // namespace

void buildPipeline(OpPassManager &pm, const PipelineOptions &options,
                   Phase from, Phase to) {
  auto in = [&](Phase p) { return from <= p && p <= to; };
  if (in(Phase::ImportCleanup)) {
    pm.addPass(createCanonicalizerPass());
    if (options.fuseLayerNorm)
      pm.addPass(fg::createFGFuseLayerNorm());
    if (options.init != fg::InitScheme::None)
      pm.addPass(fg::createFGInitParams({options.init}));
  }
  if (in(Phase::Local))
    pm.addPass(fg::createFGLocalize(localizeOptions(options)));
  if (in(Phase::Train))
    pm.addPass(fg::createFGTrainStep(trainStepOptions(options)));
  if (in(Phase::Linalg)) {
    pm.addPass(fg::createFGParamsToArgs());
    OpPassManager &fn = pm.nest<func::FuncOp>();
    fn.addPass(fg::createFGDecomposeLosses());
    // The layer norms' statistics, once for the op and its derivative rule.
    fn.addPass(fg::createFGDecomposeLayerNorm());
    fn.addPass(createCSEPass());
    // Transposes a layer's export or its gradient adds, cancelled in pairs.
    fn.addPass(fg::createFGCancelTransposes());
    fn.addPass(createConvertFGToLinalg());
    fn.addPass(createApproximateMath());
    fn.addPass(createCanonicalizerPass());
    fn.addPass(createFoldTransposesIntoMatmuls());
    fn.addPass(createFuseElementwise());
    fn.addPass(createFuseSiblingReductions());
    fn.addPass(createCanonicalizerPass());
    fn.addPass(createCSEPass());
    // Last: the order is what bufferization allocates by.
    fn.addPass(createScheduleForMemory());
  }
  if (in(Phase::LLVM)) {
    pm.addPass(fg::createFGStripParameters());
    pm.nest<func::FuncOp>().addPass(createDistinctResults());
    pm.nest<func::FuncOp>().addPass(createCloneSharedFills());
    pm.addPass(createEmitCInterface());
    options.target->buildLoweringPipeline(pm, options.lowering);
  }
}

LogicalResult runPipeline(ModuleOp module, const PipelineOptions &options,
                          Phase from, Phase to, std::string &error) {
  PassManager pm(module.getContext());
  buildPipeline(pm, options, from, to);
  std::string what =
      from == to ? stringifyPhase(from).str()
                 : (stringifyPhase(from) + "-to-" + stringifyPhase(to)).str();
  return run(module, pm, error, /*withLocation=*/from >= Phase::Linalg,
             "the " + what + " phase failed");
}

LogicalResult runJvp(ModuleOp module, StringRef function,
                     ArrayRef<std::string> wrt, int64_t tangents,
                     std::string &error) {
  PassManager pm(module.getContext());
  fg::FGJvpOptions options;
  options.function = function.str();
  options.wrt.assign(wrt.begin(), wrt.end());
  options.tangents = tangents;
  pm.addPass(fg::createFGJvp(options));
  return run(module, pm, error, /*withLocation=*/false, "fg-jvp failed");
}

LogicalResult runVjp(ModuleOp module, StringRef function,
                     ArrayRef<std::string> wrt, std::string &error) {
  PassManager pm(module.getContext());
  fg::FGVjpOptions options;
  options.function = function.str();
  options.wrt.assign(wrt.begin(), wrt.end());
  pm.addPass(fg::createFGVjp(options));
  return run(module, pm, error, /*withLocation=*/false, "fg-vjp failed");
}

namespace {

/// The options of the registered pipelines: PipelineOptions bound to a
/// pass-pipeline option string, plus the range of `fgc-pipeline`.
struct PipelineCLOptions : public PassPipelineOptions<PipelineCLOptions> {
  PipelineCLOptions() {
    binder.opt("fuse-layer-norm", value.fuseLayerNorm,
               cl::desc("Replace decomposed layer norms by fg.layer_norm"));
    binder.opt("runtime-checks", value.lowering.runtimeChecks,
               cl::desc("Bounds-check the generated loops' memory accesses "
                        "(MLIR's runtime verification)"));
    value.bindCleanupOptions(binder);
    value.bindTrainingOptions(binder);
  }
  PipelineOptions get() const {
    binder.sync();
    return value;
  }

  Option<Phase> from{*this, "from", cl::desc("First phase"),
                     cl::init(Phase::ImportCleanup), phaseValues()};
  Option<Phase> to{*this, "to", cl::desc("Last phase"), cl::init(Phase::LLVM),
                   phaseValues()};

private:
  static cl::ValuesClass phaseValues() {
    return cl::values(
        clEnumValN(Phase::ImportCleanup, "import-cleanup",
                   "canonicalize, "
                   "fuse, init"),
        clEnumValN(Phase::Local, "local", "fg-localize"),
        clEnumValN(Phase::Train, "train", "fg-train-step"),
        clEnumValN(Phase::Linalg, "linalg", "lowering to linalg"),
        clEnumValN(Phase::LLVM, "llvm", "lowering to the LLVM dialect"));
  }
  mutable PipelineOptions value;
  OptionsBinder binder = OptionsBinder::local(*this);
};

void registerPhases(StringRef name, StringRef description, Phase from,
                    Phase to) {
  PassPipelineRegistration<PipelineCLOptions>(
      name, description,
      [from, to](OpPassManager &pm, const PipelineCLOptions &options) {
        buildPipeline(pm, options.get(), from, to);
      });
}

} // namespace

void registerPipelines() {
  registerPhases("fgc-import-cleanup",
                 "Clean up imported IR (fgc compile --emit=fg)",
                 Phase::ImportCleanup, Phase::ImportCleanup);
  registerPhases("fgc-local", "Local losses (fgc compile --emit=local)",
                 Phase::Local, Phase::Local);
  registerPhases("fgc-train", "The training step from local losses",
                 Phase::Train, Phase::Train);
  registerPhases("fgc-training",
                 "Local losses and the training step (fgc compile "
                 "--emit=train)",
                 Phase::Local, Phase::Train);
  registerPhases("fgc-linalg", "Lower fg to linalg (fgc compile --emit=linalg)",
                 Phase::Linalg, Phase::Linalg);
  registerPhases("fgc-llvm",
                 "Lower linalg to the LLVM dialect (fgc compile --emit=mlir)",
                 Phase::LLVM, Phase::LLVM);
  PassPipelineRegistration<PipelineCLOptions>(
      "fgc-pipeline", "The phases from= to to= (inclusive)",
      [](OpPassManager &pm, const PipelineCLOptions &options) {
        buildPipeline(pm, options.get(), options.from, options.to);
      });
}

} // namespace fgc
