//===- Compile.cpp - fgc compile ------------------------------------------===//
//
// Runs the pipeline's phases up to the --emit stage, printing that stage;
// past the MLIR phases, the target translates to LLVM IR and emits an
// object, and for a trainer (--emit=exe) the object gets packed entry points
// and the model description and is linked with the trainer's main program.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Runtime/OnnxExport.h"
#include "fgc/Runtime/TrainerABI.h"
#include "fgc/Target/Artifact.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

namespace fgc::driver {

namespace {

/// The description a trainer executable reads at start-up (the contract
/// of fgc/Runtime/TrainerABI.h): facts, function signatures, the initial
/// parameter values and the ONNX model without the values of the model's
/// parameters (the parameter table holds them; the trainer puts them back
/// when it exports). False with `error` set if the model lacks one of them.
bool trainerBlob(const CompileOptions &options,
                 std::vector<FunctionSignature> sigs,
                 const std::map<std::string, rt::Tensor> &params,
                 const std::vector<std::string> &modelParams,
                 const std::string &blocks, const std::string &onnxBytes,
                 int64_t batch, int64_t classes, std::string &blob,
                 std::string &error) {
  const PipelineOptions &t = options.pipeline;
  rt::ModelDescription d;
  d.model = llvm::sys::path::filename(options.model).str();
  d.algorithm = fg::stringifyAlgorithm(t.algo).str();
  d.batch = batch;
  d.classes = classes;
  d.tangents = t.tangents;
  d.optimizer = fg::stringifyOptimizer(t.optimizer).str();
  d.momentum = t.momentum;
  d.weightDecay = t.weightDecay;
  d.headLr = t.headLr;
  d.lastLayerLr = t.lastLayerLr;
  d.schedule = fg::stringifySchedule(t.schedule).str();
  d.spatialLoss = t.spatialLoss;
  d.modularLoss = t.modularLoss;
  d.blocks = blocks;
  d.dropout = fg::stringifyDropoutMode(t.dropout).str();
  d.functions = std::move(sigs);
  for (const auto &[name, tensor] : params)
    d.addParameter(name, llvm::is_contained(modelParams, name), tensor);
  std::string stripped;
  if (!rt::stripInitializers(
          onnxBytes,
          std::set<std::string>(modelParams.begin(), modelParams.end()),
          stripped, error))
    return false;
  d.setOnnx(stripped);
  blob = d.serialize();
  return true;
}

/// Parts a trainer's module is compiled in (compileToObjects): enough for
/// a few cores, few enough that each part still has work for its own.
constexpr unsigned kCodegenParts = 4;

/// Links the trainer: the compiled steps and their description, the
/// trainer's main program and the runtime. The executable appears only when
/// linking succeeded.
int linkTrainer(std::unique_ptr<llvm::Module> module,
                const CompileOptions &options, const std::string &blob) {
  std::string why;
  namespace abi = rt::abi;
  if (!addPackedEntry(*module, abi::kTrainStep, abi::kTrainStepSymbol) ||
      !addPackedEntry(*module, abi::kEvalStep, abi::kEvalStepSymbol) ||
      !addPackedEntry(*module, abi::kLearningRate, abi::kLearningRateSymbol))
    return error(options.model + ": the module lacks a training function");
  addByteArray(*module, abi::kModelBlobSymbol, blob);
  std::vector<std::string> objects;
  llvm::scope_exit cleanup([&] {
    for (const std::string &object : objects)
      llvm::sys::fs::remove(object);
  });
  for (unsigned i = 0; i < kCodegenParts; ++i) {
    llvm::SmallString<128> object;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("fgc-trainer", "o", object))
      return error("cannot create a temporary file: " + ec.message());
    objects.push_back(object.str().str());
  }
  if (!compileToObjects(*options.pipeline.target, std::move(module),
                        options.codegen, objects, why))
    return error(options.model + ": " + why);
  std::vector<std::string> libraries = {FGC_TRAINER_LIBRARY,
                                        FGC_RUNTIME_LIBRARY, "-lz"};
  llvm::append_range(libraries, options.pipeline.target->linkLibraries());
  LinkCommand link;
  link.driver = FGC_TRAINER_LINK_DRIVER;
  llvm::SmallVector<StringRef> flags;
  StringRef(FGC_TRAINER_LINK_FLAGS).split(flags, ' ', -1, /*KeepEmpty=*/false);
  for (StringRef flag : flags)
    link.flags.push_back(flag.str());
  if (!linkExecutable(objects, options.output, libraries, link, why))
    return error(why);
  return 0;
}

/// A trainer calls @train_step, @eval_step and @learning_rate only: the
/// other public functions (@forward, @local_losses), a fifth of a
/// LocalMixer's code, would be lowered, optimised and linked for nothing.
LogicalResult keepTrainerEntryPoints(ModuleOp module) {
  PassManager pm(module.getContext());
  pm.addPass(createSymbolPrivatizePass(
      {rt::abi::kTrainStep, rt::abi::kEvalStep, rt::abi::kLearningRate}));
  pm.addPass(createSymbolDCEPass());
  return pm.run(module);
}

} // namespace

int compile(const CompileOptions &options) {
  const Target &target = *options.pipeline.target;
  std::unique_ptr<MLIRContext> ctx = makeContext(target);
  bool exe = options.emit == EmitStage::Executable;
  if (exe && !options.training)
    return error("--emit=exe: a trainer needs --algo");
  std::string modelBytes;
  OwningOpRef<ModuleOp> module =
      importModel(*ctx, options.model, options.import, options.pipeline,
                  exe ? &modelBytes : nullptr);
  if (!module)
    return 1;
  auto printModule = [&](llvm::raw_ostream &os) { module->print(os); };
  std::string output = options.output;
  if (options.emit == EmitStage::FG)
    return writeOutput(output, printModule) ? 0 : 1;

  std::string why;
  auto runPhase = [&](Phase phase) {
    return runPipeline(*module, options.pipeline, phase, phase, why);
  };
  bool training = options.training;
  if (!training &&
      (options.emit == EmitStage::Local || options.emit == EmitStage::Train))
    return error("--emit=local and --emit=train need --algo");
  if (training) {
    if (failed(runPhase(Phase::Local)))
      return error(options.model + ": " + why);
    if (options.emit == EmitStage::Local)
      return writeOutput(output, printModule) ? 0 : 1;
    if (failed(runPhase(Phase::Train)))
      return error(options.model + ": " + why);
  }
  if (options.emit == EmitStage::Train)
    return writeOutput(output, printModule) ? 0 : 1;
  std::map<std::string, rt::Tensor> initial;
  std::vector<std::string> modelParams;
  std::string blocks;
  int64_t classes = 0;
  if (exe) {
    initial = parameterTensors(*module);
    module->lookupSymbol<func::FuncOp>(rt::abi::kForward)
        .walk([&](fg::ParamOp p) {
          if (!llvm::is_contained(modelParams, p.getName().str()))
            modelParams.push_back(p.getName().str());
        });
    if (auto local = module->lookupSymbol<func::FuncOp>(rt::abi::kLocalLosses))
      if (ArrayAttr names =
              fg::FGDialect::get(ctx.get())->getBlocksAttrHelper().getAttr(
                  local))
        for (Attribute a : names)
          blocks += (blocks.empty() ? "" : " ") +
                    cast<StringAttr>(a).getValue().str();
    if (auto fwd = module->lookupSymbol<func::FuncOp>(rt::abi::kForward))
      if (fwd.getNumResults() == 1)
        classes = cast<RankedTensorType>(fwd.getResultTypes()[0]).getDimSize(1);
    if (failed(keepTrainerEntryPoints(*module)))
      return error(options.model + ": dropping the functions a trainer does "
                                   "not call failed");
  }
  if (failed(runPhase(Phase::Linalg)))
    return error(options.model + ": " + why);
  FailureOr<FunctionSignature> mainSig = getSignature(
      *module, training ? rt::abi::kTrainStep : rt::abi::kForward, why);
  if (failed(mainSig))
    return error(options.model + ": " + why);
  std::string blob;
  if (exe) {
    FailureOr<FunctionSignature> evalSig =
        getSignature(*module, rt::abi::kEvalStep, why);
    FailureOr<FunctionSignature> lrSig =
        getSignature(*module, rt::abi::kLearningRate, why);
    if (failed(evalSig) || failed(lrSig))
      return error(options.model + ": " + why);
    int64_t batch = 0;
    for (const rt::ArgSpec &a : evalSig->args)
      if (a.kind == rt::ArgSpec::Kind::Input && a.name == rt::abi::kLabels)
        batch = a.shape[0];
    if (!trainerBlob(options, {*mainSig, *evalSig, *lrSig}, initial,
                     modelParams, blocks, modelBytes, batch, classes, blob,
                     why))
      return error(options.model + ": " + why);
  }
  if (options.emit == EmitStage::Linalg)
    return writeOutput(output, printModule) ? 0 : 1;
  if (failed(runPhase(Phase::LLVM)))
    return error(options.model + ": " + why);
  if (options.emit == EmitStage::MLIR)
    return writeOutput(output, printModule) ? 0 : 1;

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      target.translateToLLVMIR(*module, llvmContext, options.codegen, why);
  if (!llvmModule)
    return error(options.model + ": " + why);
  if (output == "-" && options.emit != EmitStage::LLVM)
    return error("-o: an object file cannot be written to standard output");
  if (exe)
    return linkTrainer(std::move(llvmModule), options, blob);
  if (!target.optimizeLLVMIR(*llvmModule, options.codegen, why))
    return error(options.model + ": " + why);
  if (options.emit == EmitStage::LLVM)
    return writeOutput(
               output,
               [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); })
               ? 0
               : 1;

  std::string message;
  auto out = openOutputFile(output, &message);
  if (!out)
    return error(output + ": " + message);
  if (!target.emitObjectFile(*llvmModule, options.codegen, out->os(), why))
    return error(why);
  out->keep();
  return 0;
}

} // namespace fgc::driver
