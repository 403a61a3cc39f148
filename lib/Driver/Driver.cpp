//===- Driver.cpp - The fgc subcommands -----------------------------------===//

#include "fgc/Driver/Driver.h"

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Partition.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Runtime/Call.h"
#include "fgc/Runtime/Random.h"
#include "fgc/Runtime/TensorIO.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <cstring>

using namespace mlir;

namespace fgc::driver {

int error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "fgc") << message << "\n";
  return 1;
}

bool parseEmitStage(llvm::StringRef text, EmitStage &stage) {
  std::optional<EmitStage> s =
      llvm::StringSwitch<std::optional<EmitStage>>(text)
          .Case("fg", EmitStage::FG)
          .Case("local", EmitStage::Local)
          .Case("train", EmitStage::Train)
          .Case("linalg", EmitStage::Linalg)
          .Case("mlir", EmitStage::MLIR)
          .Case("llvm", EmitStage::LLVM)
          .Case("obj", EmitStage::Object)
          .Case("exe", EmitStage::Executable)
          .Default(std::nullopt);
  if (s)
    stage = *s;
  return s.has_value();
}

namespace {

/// A context with everything the pipeline needs; import messages come back
/// as strings, so diagnostics are not printed with the op.
std::unique_ptr<MLIRContext> makeContext() {
  DialectRegistry registry;
  registerImportDialects(registry);
  registerCPUPipelineDialects(registry);
  auto ctx = std::make_unique<MLIRContext>(registry);
  ctx->printOpOnDiagnostic(false);
  ctx->loadAllAvailableDialects();
  return ctx;
}

OwningOpRef<ModuleOp> importModel(MLIRContext &ctx, const std::string &path,
                                  const ImportOptions &options) {
  ImportResult result = importOnnxFile(ctx, path, options);
  for (const std::string &w : result.warnings)
    llvm::WithColor::warning(llvm::errs(), "fgc") << w << "\n";
  if (!result.module)
    error(result.error);
  return std::move(result.module);
}

bool writeOutput(const std::string &path,
                 llvm::function_ref<void(llvm::raw_ostream &)> print) {
  std::string message;
  auto out = openOutputFile(path, &message);
  if (!out) {
    error(path + ": " + message);
    return false;
  }
  print(out->os());
  out->os().flush();
  if (out->os().has_error()) {
    error(path + ": write failed");
    return false;
  }
  out->keep();
  return true;
}

rt::DType dtypeOf(Type elt) {
  if (elt.isF32())
    return rt::DType::F32;
  if (elt.isF64())
    return rt::DType::F64;
  return rt::DType::I64;
}

rt::Tensor tensorFromAttr(DenseElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  rt::Tensor t(
      dtypeOf(type.getElementType()),
      std::vector<int64_t>(type.getShape().begin(), type.getShape().end()));
  size_t elementBytes = rt::dtypeSize(t.dtype());
  ArrayRef<char> raw = attr.getRawData();
  if (attr.isSplat()) {
    for (int64_t i = 0; i < t.numElements(); ++i)
      std::memcpy(static_cast<char *>(t.data()) + i * elementBytes, raw.data(),
                  elementBytes);
  } else {
    std::memcpy(t.data(), raw.data(), t.byteSize());
  }
  return t;
}

DenseElementsAttr attrFromTensor(MLIRContext &ctx, const rt::Tensor &t) {
  Type elt = t.dtype() == rt::DType::F32   ? Type(Float32Type::get(&ctx))
             : t.dtype() == rt::DType::F64 ? Type(Float64Type::get(&ctx))
                                           : Type(IntegerType::get(&ctx, 64));
  auto type = RankedTensorType::get(t.shape(), elt);
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(static_cast<const char *>(t.data()), t.byteSize()));
}

/// Replaces parameter values from `source`: an ONNX model (initializers by
/// name) or a directory of <name>.npy / <name>.pb files.
bool overrideParams(MLIRContext &ctx, const std::string &source,
                    std::map<std::string, rt::Tensor> &params) {
  auto check = [&](const std::string &name, rt::Tensor &t,
                   const std::string &from) {
    auto it = params.find(name);
    if (it == params.end()) {
      error(from + ": the model has no parameter '" + name + "'");
      return false;
    }
    if (t.dtype() != it->second.dtype() || t.shape() != it->second.shape()) {
      error(from + ": parameter '" + name + "' must be " +
            it->second.typeString() + ", got " + t.typeString());
      return false;
    }
    it->second = std::move(t);
    return true;
  };
  if (llvm::sys::fs::is_directory(source)) {
    std::error_code ec;
    size_t used = 0;
    for (llvm::sys::fs::directory_iterator it(source, ec), end;
         it != end && !ec; it.increment(ec)) {
      llvm::StringRef file = it->path();
      llvm::StringRef ext = llvm::sys::path::extension(file);
      if (ext != ".npy" && ext != ".pb")
        continue;
      rt::Tensor t;
      std::string why;
      if (!rt::readTensorFile(file.str(), t, why)) {
        error(file + ": " + why);
        return false;
      }
      if (!check(llvm::sys::path::stem(file).str(), t, file.str()))
        return false;
      ++used;
    }
    if (ec) {
      error(source + ": " + ec.message());
      return false;
    }
    if (!used) {
      error(source + ": no <parameter>.npy or <parameter>.pb files");
      return false;
    }
    return true;
  }
  // An ONNX model: import it and take its fg.parameter values.
  ImportResult other = importOnnxFile(ctx, source, ImportOptions());
  if (!other.module) {
    // Models with dynamic inputs need a batch size to import; the
    // parameters do not depend on it.
    ImportOptions withBatch;
    withBatch.batchSize = 1;
    other = importOnnxFile(ctx, source, withBatch);
  }
  if (!other.module) {
    error("--params: " + other.error);
    return false;
  }
  for (auto p : other.module->getOps<fg::ParameterOp>()) {
    rt::Tensor t = tensorFromAttr(cast<DenseElementsAttr>(p.getValue()));
    if (!check(p.getSymName().str(), t, source))
      return false;
  }
  return true;
}

/// A file name for an output: path separators and odd characters become _.
std::string outputFileName(const std::string &name) {
  std::string s;
  for (char c : name)
    s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
          c == '_')
             ? c
             : '_';
  if (s.empty() || s[0] == '.')
    s = "_" + s;
  return s + ".npy";
}

} // namespace

std::map<std::string, rt::Tensor> parameterTensors(ModuleOp module) {
  std::map<std::string, rt::Tensor> params;
  for (auto p : module.getOps<fg::ParameterOp>())
    params.emplace(p.getSymName().str(),
                   tensorFromAttr(cast<DenseElementsAttr>(p.getValue())));
  return params;
}

namespace {

/// Keeps the first error diagnostic's message in `why` while in scope.
class FirstError {
public:
  FirstError(MLIRContext *ctx, std::string &why)
      : handler(ctx, [&why](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error && why.empty())
            why = diag.str();
          return success();
        }) {}

private:
  ScopedDiagnosticHandler handler;
};

const char *dtypeTag(rt::DType d) {
  return d == rt::DType::F32 ? "f32" : d == rt::DType::F64 ? "f64" : "i64";
}

/// The description a trainer executable reads at start-up (format in
/// lib/Runtime/Trainer/Model.cpp): facts, function signatures, parameter
/// table; then the initial parameter values and the ONNX model, raw.
std::string trainerBlob(const CompileOptions &options,
                        std::vector<FunctionSignature> sigs,
                        const std::map<std::string, rt::Tensor> &params,
                        const std::vector<std::string> &modelParams,
                        const std::string &blocks, const std::string &onnxBytes,
                        int64_t batch, int64_t classes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  const TrainOptions &t = options.train;
  os << "fgc-trainer 1\n";
  os << "fact model " << llvm::sys::path::filename(options.model) << "\n";
  os << "fact algorithm " << t.algo << "\n";
  os << "fact batch " << batch << "\n";
  os << "fact classes " << classes << "\n";
  os << "fact tangents " << t.tangents << "\n";
  os << "fact optimizer " << t.optimizer << "\n";
  os << "fact momentum " << t.momentum << "\n";
  os << "fact weight-decay " << t.weightDecay << "\n";
  os << "fact head-lr " << t.headLr << "\n";
  os << "fact last-layer-lr " << t.lastLayerLr << "\n";
  os << "fact schedule " << t.schedule << "\n";
  os << "fact spatial-loss " << (t.spatialLoss ? "true" : "false") << "\n";
  os << "fact modular-loss " << (t.modularLoss ? "true" : "false") << "\n";
  if (!blocks.empty())
    os << "fact blocks " << blocks << "\n";
  for (const FunctionSignature &sig : sigs) {
    os << "function " << sig.name << "\n";
    for (const rt::ArgSpec &a : sig.args) {
      os << "arg "
         << (a.kind == rt::ArgSpec::Kind::Input       ? "input"
             : a.kind == rt::ArgSpec::Kind::Parameter ? "param"
                                                      : "output")
         << " " << a.name << " " << dtypeTag(a.dtype) << " " << a.shape.size();
      for (int64_t d : a.shape)
        os << " " << d;
      os << "\n";
    }
  }
  size_t offset = 0;
  for (const auto &[name, tensor] : params) {
    bool model = llvm::is_contained(modelParams, name);
    os << "tensor " << (model ? "model" : "head") << " " << name << " "
       << dtypeTag(tensor.dtype()) << " " << offset << " " << tensor.byteSize()
       << " " << tensor.shape().size();
    for (int64_t d : tensor.shape())
      os << " " << d;
    os << "\n";
    offset += tensor.byteSize();
  }
  os << "onnx " << offset << " " << onnxBytes.size() << "\n";
  os << "data\n";
  os.flush();
  for (const auto &[name, tensor] : params)
    text.append(static_cast<const char *>(tensor.data()), tensor.byteSize());
  text += onnxBytes;
  return text;
}

/// Links the trainer: the compiled steps and their description, the
/// trainer's main program and the runtime, with the system C++ driver.
/// The executable appears only when linking succeeded.
int linkTrainer(llvm::Module &module, const CompileOptions &options,
                const std::string &blob) {
  std::string why;
  if (!addPackedEntry(module, "train_step", "fgc_train_step") ||
      !addPackedEntry(module, "eval_step", "fgc_eval_step") ||
      !addPackedEntry(module, "learning_rate", "fgc_learning_rate"))
    return error(options.model + ": the module lacks a training function");
  addByteArray(module, "fgc_model_blob", blob);
  llvm::SmallString<128> object, linked;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("fgc-trainer", "o", object))
    return error("cannot create a temporary file: " + ec.message());
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove(object);
    if (!linked.empty())
      llvm::sys::fs::remove(linked);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(object, ec);
    if (ec)
      return error(object + ": " + ec.message());
    if (!emitObjectFile(module, options.cpu, out, why))
      return error(why);
  }
  llvm::ErrorOr<std::string> cxx = llvm::sys::findProgramByName("c++");
  if (!cxx)
    return error("cannot link the trainer: no 'c++' on PATH");
  linked = (options.output + ".linking").c_str();
  std::vector<std::string> argv = {*cxx,
                                   "-o",
                                   linked.str().str(),
                                   object.str().str(),
                                   FGC_TRAINER_LIBRARY,
                                   FGC_RUNTIME_LIBRARY,
                                   "-lopenblas",
                                   "-lz",
                                   "-lm",
                                   "-lpthread"};
  std::vector<llvm::StringRef> args(argv.begin(), argv.end());
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(*cxx, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0)
    return error("linking " + options.output + " failed" +
                 (message.empty() ? "" : ": " + message));
  if (std::error_code ec = llvm::sys::fs::rename(linked, options.output))
    return error(options.output + ": " + ec.message());
  linked.clear();
  return 0;
}

} // namespace

/// Spec §3.3: every weight (a parameter used as the weight of a product or
/// convolution) is scale * N(0, 1) with scale from the scheme and fan_in =
/// the second-to-last dimension; biases and the readout's weight are zero.
/// The normal numbers come from the runtime's Philox stream (seed 0, one
/// site per parameter in declaration order), not NumPy's.
bool initializeParameters(ModuleOp module, StringRef scheme,
                          std::string &why) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  llvm::StringSet<> weights, transposed;
  std::string readout;
  forward.walk([&](Operation *op) {
    if (!isa<fg::MatMulOp, fg::GemmOp, fg::ConvOp>(op))
      return;
    if (auto p = op->getOperand(1).getDefiningOp<fg::ParamOp>()) {
      weights.insert(p.getName());
      readout = p.getName().str(); // the last one read
      if (auto g = dyn_cast<fg::GemmOp>(op); g && g.getTransB())
        transposed.insert(p.getName()); // stored [out, in]
    }
  });
  uint32_t site = 0;
  for (auto param : module.getOps<fg::ParameterOp>()) {
    RankedTensorType type = param.getType();
    auto elt = dyn_cast<FloatType>(type.getElementType());
    if (!elt) {
      why = "--init: parameter '" + param.getSymName().str() +
            "' is not floating-point";
      return false;
    }
    ArrayRef<int64_t> shape = type.getShape();
    bool weight = weights.contains(param.getSymName()) &&
                  param.getSymName() != readout && shape.size() >= 2;
    double fanIn = !weight ? 1.0
                   : transposed.contains(param.getSymName())
                       ? double(shape.back())
                       : double(shape[shape.size() - 2]);
    if (weight && shape.size() >= 4) { // a convolution [M, C/g, k..]
      fanIn = 1;
      for (int64_t d : shape.drop_front())
        fanIn *= double(d);
    }
    double scale = scheme == "kaiming" ? std::min(2 / std::sqrt(fanIn), 0.1)
                   : scheme == "lecun" ? std::min(1 / std::sqrt(fanIn), 0.1)
                                       : 0.1;
    SmallVector<APFloat> values;
    for (int64_t i = 0; i < type.getNumElements(); ++i) {
      APFloat v(weight ? scale * rt::randomNormal(0, 0, site, i) : 0.0);
      bool lost;
      v.convert(elt.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      values.push_back(v);
    }
    param.setValueAttr(DenseElementsAttr::get(type, values));
    ++site;
  }
  return true;
}

bool buildTraining(ModuleOp module, const TrainOptions &options,
                   TrainingStage stage, std::string &why) {
  MLIRContext *ctx = module.getContext();
  PassManager pm(ctx);
  bool localize = stage != TrainingStage::TrainStep;
  bool trainStep = stage != TrainingStage::Localize;
  fg::FGLocalizeOptions local;
  local.blocks.assign(options.blocks.begin(), options.blocks.end());
  local.layouts.assign(options.layouts.begin(), options.layouts.end());
  local.groups.assign(options.groups.begin(), options.groups.end());
  local.global = !options.local();
  local.spatialLoss = options.spatialLoss;
  local.modularLoss = options.modularLoss;
  local.headNorm = options.headNorm;
  local.headInit = options.headInit;
  local.seed = options.headSeed;
  if (localize)
    pm.addPass(fg::createFGLocalize(local));
  if (trainStep) {
    fg::FGTrainStepOptions step;
    step.algo = options.algo;
    step.tangents = options.tangents;
    step.explicitTangents = options.explicitTangents;
    step.optimizer = options.optimizer;
    step.momentum = options.momentum;
    step.weightDecay = options.weightDecay;
    step.headLr = options.headLr;
    step.lastLayerLr = options.lastLayerLr;
    step.schedule = options.schedule;
    pm.addPass(fg::createFGTrainStep(step));
  }
  FirstError handler(ctx, why);
  if (failed(pm.run(module))) {
    if (why.empty())
      why = "building the training step failed";
    return false;
  }
  return true;
}

int compile(const CompileOptions &options) {
  std::unique_ptr<MLIRContext> ctx = makeContext();
  bool exe = options.emit == EmitStage::Executable;
  if (exe && options.train.algo.empty())
    return error("--emit=exe: a trainer needs --algo");
  ImportOptions importOptions = options.import;
  importOptions.keepModelBytes = exe;
  ImportResult imported = importOnnxFile(*ctx, options.model, importOptions);
  for (const std::string &w : imported.warnings)
    llvm::WithColor::warning(llvm::errs(), "fgc") << w << "\n";
  if (!imported.module)
    return error(imported.error);
  OwningOpRef<ModuleOp> module = std::move(imported.module);
  if (!options.init.empty()) {
    std::string why;
    if (!initializeParameters(*module, options.init, why))
      return error(options.model + ": " + why);
  }
  auto printModule = [&](llvm::raw_ostream &os) { module->print(os); };
  std::string output = options.output;
  if (options.emit == EmitStage::FG)
    return writeOutput(output, printModule) ? 0 : 1;

  std::string why;
  bool training = !options.train.algo.empty();
  if (!training &&
      (options.emit == EmitStage::Local || options.emit == EmitStage::Train))
    return error("--emit=local and --emit=train need --algo");
  if (training) {
    if (!buildTraining(*module, options.train, TrainingStage::Localize, why))
      return error(options.model + ": " + why);
    if (options.emit == EmitStage::Local)
      return writeOutput(output, printModule) ? 0 : 1;
    if (!buildTraining(*module, options.train, TrainingStage::TrainStep, why))
      return error(options.model + ": " + why);
  }
  if (options.emit == EmitStage::Train)
    return writeOutput(output, printModule) ? 0 : 1;
  std::map<std::string, rt::Tensor> initial;
  std::vector<std::string> modelParams;
  std::string blocks;
  if (exe) {
    initial = parameterTensors(*module);
    module->lookupSymbol<func::FuncOp>("forward").walk([&](fg::ParamOp p) {
      if (!llvm::is_contained(modelParams, p.getName().str()))
        modelParams.push_back(p.getName().str());
    });
    if (auto local = module->lookupSymbol<func::FuncOp>("local_losses"))
      if (auto names = local->getAttrOfType<ArrayAttr>("fg.blocks"))
        for (Attribute a : names)
          blocks += (blocks.empty() ? "" : " ") +
                    cast<StringAttr>(a).getValue().str();
  }
  FailureOr<FunctionSignature> mainSig =
      lowerToLinalg(*module, training ? "train_step" : "forward", why);
  if (failed(mainSig))
    return error(options.model + ": " + why);
  std::string blob;
  if (exe) {
    FailureOr<FunctionSignature> evalSig =
        getSignature(*module, "eval_step", why);
    FailureOr<FunctionSignature> lrSig =
        getSignature(*module, "learning_rate", why);
    if (failed(evalSig) || failed(lrSig))
      return error(options.model + ": " + why);
    int64_t batch = 0, classes = 0;
    for (const rt::ArgSpec &a : evalSig->args)
      if (a.kind == rt::ArgSpec::Kind::Input && a.name == "labels")
        batch = a.shape[0];
    if (auto fwd = module->lookupSymbol<func::FuncOp>("forward"))
      if (fwd.getNumResults() == 1)
        classes = cast<RankedTensorType>(fwd.getResultTypes()[0]).getDimSize(1);
    blob =
        trainerBlob(options, {*mainSig, *evalSig, *lrSig}, initial, modelParams,
                    blocks, imported.modelBytes, batch, classes);
  }
  if (options.emit == EmitStage::Linalg)
    return writeOutput(output, printModule) ? 0 : 1;
  if (failed(lowerToLLVMDialect(*module, why)))
    return error(options.model + ": " + why);
  if (options.emit == EmitStage::MLIR)
    return writeOutput(output, printModule) ? 0 : 1;

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(*module, llvmContext, options.cpu, why);
  if (!llvmModule)
    return error(options.model + ": " + why);
  if (options.emit == EmitStage::LLVM)
    return writeOutput(
               output,
               [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); })
               ? 0
               : 1;

  if (output == "-")
    return error("-o: an object file cannot be written to standard output");
  if (exe)
    return linkTrainer(*llvmModule, options, blob);
  std::string message;
  auto out = openOutputFile(output, &message);
  if (!out)
    return error(output + ": " + message);
  if (!emitObjectFile(*llvmModule, options.cpu, out->os(), why))
    return error(why);
  out->keep();
  return 0;
}

namespace {

/// What `fgc run` and `fgc jvp` share: the inputs read from files, the
/// imported module and the parameter values.
struct Session {
  std::unique_ptr<MLIRContext> ctx;
  std::map<std::string, rt::Tensor> inputs;
  OwningOpRef<ModuleOp> module;
  std::map<std::string, rt::Tensor> params;
};

/// Reads the inputs (their shapes fix dynamic dimensions), imports the
/// model and collects its parameters. False after reporting an error.
bool prepare(const RunOptions &options, Session &s) {
  ImportOptions importOptions = options.import;
  importOptions.shapeFlag = "--input";
  s.ctx = makeContext();
  for (const auto &[name, file] : options.inputs) {
    rt::Tensor t;
    std::string why;
    if (!rt::readTensorFile(file, t, why))
      return error("--input " + name + "=" + file + ": " + why), false;
    if (s.inputs.count(name))
      return error("--input " + name + " is given twice"), false;
    if (!importOptions.inputShapes.count(name))
      importOptions.inputShapes[name] =
          llvm::SmallVector<int64_t>(t.shape().begin(), t.shape().end());
    s.inputs.emplace(name, std::move(t));
  }
  for (const std::string &name : options.foldInputs) {
    auto it = s.inputs.find(name);
    if (it == s.inputs.end())
      return error("--fold-input " + name + ": no --input gives its value"),
             false;
    importOptions.constantInputs[name] = attrFromTensor(*s.ctx, it->second);
  }
  s.module = importModel(*s.ctx, options.model, importOptions);
  if (!s.module)
    return false;
  s.params = parameterTensors(*s.module);
  // With a training step the overrides wait for the local heads (run()).
  if (options.train.algo.empty() && !options.params.empty() &&
      !overrideParams(*s.ctx, options.params, s.params))
    return false;
  return true;
}

/// Compiles `entry`, runs it on the session's inputs (and `tangents` for
/// the arguments named "<x>.tangent"; zeros when not given) and writes one
/// .npy per output.
int execute(Session &s, StringRef entry, const RunOptions &options,
            std::map<std::string, rt::Tensor> *tangents = nullptr) {
  std::string why;
  FailureOr<FunctionSignature> sig = lowerToLinalg(*s.module, entry, why);
  if (failed(sig))
    return error(options.model + ": " + why);
  for (const auto &entryInput : s.inputs) {
    bool known = llvm::is_contained(options.foldInputs, entryInput.first);
    for (const rt::ArgSpec &a : sig->args)
      known |= a.kind == rt::ArgSpec::Kind::Input && a.name == entryInput.first;
    if (!known) {
      std::string names;
      for (const rt::ArgSpec &a : sig->args)
        if (a.kind == rt::ArgSpec::Kind::Input &&
            !StringRef(a.name).ends_with(".tangent"))
          names += (names.empty() ? "" : ", ") + a.name;
      return error("--input " + entryInput.first +
                   ": the model has no input '" + entryInput.first +
                   "' (inputs: " + names + ")");
    }
  }
  std::vector<rt::Tensor> owned;
  owned.reserve(sig->args.size());
  std::vector<rt::Tensor *> args;
  std::vector<size_t> outputs;
  for (const rt::ArgSpec &a : sig->args) {
    switch (a.kind) {
    case rt::ArgSpec::Kind::Input: {
      rt::Tensor *t = nullptr;
      auto it = s.inputs.find(a.name);
      if (it != s.inputs.end()) {
        t = &it->second;
      } else if ((tangents && StringRef(a.name).ends_with(".tangent")) ||
                 StringRef(a.name).ends_with(".momentum") ||
                 StringRef(a.name).ends_with(".adam_m") ||
                 StringRef(a.name).ends_with(".adam_v")) {
        // Tangents and optimizer state default to zero.
        auto tt = tangents ? tangents->find(a.name) : s.inputs.end();
        if (tangents && tt != tangents->end()) {
          t = &tt->second;
        } else {
          owned.emplace_back(a.dtype, a.shape);
          std::memset(owned.back().data(), 0, owned.back().byteSize());
          t = &owned.back();
        }
      } else {
        return error("missing --input for model input '" + a.name +
                     "' (expected " + a.typeString() + ")");
      }
      if (t->dtype() != a.dtype || t->shape() != a.shape) {
        bool tangent = StringRef(a.name).ends_with(".tangent");
        std::string flag =
            tangent ? "--tangent " + a.name.substr(0, a.name.size() - 8)
                    : "--input " + a.name;
        return error(flag + ": expected " + a.typeString() +
                     ", the file holds " + t->typeString());
      }
      args.push_back(t);
      break;
    }
    case rt::ArgSpec::Kind::Parameter:
      args.push_back(&s.params.at(a.name));
      break;
    case rt::ArgSpec::Kind::Output:
      owned.emplace_back(a.dtype, a.shape);
      outputs.push_back(args.size());
      args.push_back(&owned.back());
      break;
    }
  }

  if (failed(lowerToLLVMDialect(*s.module, why)))
    return error(options.model + ": " + why);
  std::unique_ptr<JitModule> jit =
      JitModule::create(*s.module, options.cpu, why);
  if (!jit)
    return error(options.model + ": " + why);
  rt::PackedFunction fn = jit->lookup(entry, why);
  if (!fn)
    return error(why);
  rt::setNumThreads(options.threads);
  // With --steps, outputs named like an argument (updated parameters and
  // optimizer state) feed the next call, and "step" counts up.
  std::vector<std::pair<size_t, size_t>> feedback; // output arg -> input arg
  size_t stepArg = args.size();
  for (size_t i = 0; i < sig->args.size(); ++i) {
    const rt::ArgSpec &a = sig->args[i];
    if (a.kind != rt::ArgSpec::Kind::Output) {
      if (a.name == "step" && a.dtype == rt::DType::I64 && a.shape.empty())
        stepArg = i;
      continue;
    }
    for (size_t j = 0; j < sig->args.size(); ++j)
      if (sig->args[j].kind != rt::ArgSpec::Kind::Output &&
          sig->args[j].name == a.name && sig->args[j].shape == a.shape &&
          sig->args[j].dtype == a.dtype)
        feedback.push_back({i, j});
  }
  for (int64_t step = 0; step < std::max<int64_t>(options.steps, 1); ++step) {
    rt::callPacked(fn, args);
    if (options.steps <= 0)
      break;
    llvm::outs() << "step " << step;
    for (size_t i = 0; i < sig->args.size(); ++i) {
      const rt::ArgSpec &a = sig->args[i];
      if (a.kind == rt::ArgSpec::Kind::Output && a.shape.empty() &&
          a.dtype == rt::DType::F32)
        llvm::outs() << " " << a.name << "=" << *args[i]->data<float>();
    }
    llvm::outs() << "\n";
    if (step + 1 == options.steps)
      break;
    for (auto [from, to] : feedback)
      std::memcpy(args[to]->data(), args[from]->data(), args[to]->byteSize());
    if (stepArg < args.size())
      ++*args[stepArg]->data<int64_t>();
  }

  if (std::error_code ec = llvm::sys::fs::create_directories(options.outputDir))
    return error("--output-dir " + options.outputDir + ": " + ec.message());
  std::vector<std::string> written;
  size_t o = 0;
  for (const rt::ArgSpec &a : sig->args) {
    if (a.kind != rt::ArgSpec::Kind::Output)
      continue;
    llvm::SmallString<256> path(options.outputDir);
    llvm::sys::path::append(path, outputFileName(a.name));
    if (!rt::writeTensorFile(path.str().str(), *args[outputs[o++]], why)) {
      for (const std::string &w : written)
        llvm::sys::fs::remove(w);
      return error(path + ": " + why);
    }
    written.push_back(path.str().str());
  }
  return 0;
}

} // namespace

int run(const RunOptions &options) {
  Session s;
  if (!prepare(options, s))
    return 1;
  if (options.importOnly)
    return 0;
  if (!options.train.algo.empty()) {
    std::string why;
    if (!buildTraining(*s.module, options.train, TrainingStage::Both, why))
      return error(options.model + ": " + why);
    // The local heads are new parameters.
    for (auto &[name, t] : parameterTensors(*s.module))
      s.params.emplace(name, std::move(t));
    if (!options.params.empty() &&
        !overrideParams(*s.ctx, options.params, s.params))
      return 1;
  }
  if (!s.module->lookupSymbol<func::FuncOp>(options.function))
    return error("--function=" + options.function +
                 ": no such function (forward; with --algo also "
                 "local_losses, train_step, eval_step, learning_rate)");
  return execute(s, options.function, options);
}

int jvp(const JvpOptions &options) {
  if (options.numTangents < 1)
    return error("--tangents must be at least 1, got " +
                 llvm::Twine(options.numTangents));
  Session s;
  if (!prepare(options, s))
    return 1;
  std::map<std::string, rt::Tensor> tangents;
  for (const auto &[name, file] : options.tangents) {
    rt::Tensor t;
    std::string why;
    if (!rt::readTensorFile(file, t, why))
      return error("--tangent " + name + "=" + file + ": " + why);
    tangents[name + ".tangent"] = std::move(t);
  }
  std::string why;
  {
    PassManager pm(s.ctx.get());
    fg::FGJvpOptions jvpOptions;
    jvpOptions.function = "forward";
    jvpOptions.wrt.assign(options.wrt.begin(), options.wrt.end());
    jvpOptions.tangents = options.numTangents;
    pm.addPass(fg::createFGJvp(jvpOptions));
    FirstError handler(s.ctx.get(), why);
    if (failed(pm.run(*s.module)))
      return error(options.model + ": " +
                   (why.empty() ? std::string("fg-jvp failed") : why));
  }
  // Only the derivative is compiled.
  if (auto primal = s.module->lookupSymbol<func::FuncOp>("forward"))
    primal.erase();
  auto jvpFunc = s.module->lookupSymbol<func::FuncOp>("forward_jvp");
  std::string differentiated;
  llvm::StringSet<> seeds;
  for (unsigned i = 0; i < jvpFunc.getNumArguments(); ++i)
    if (auto of = jvpFunc.getArgAttrOfType<StringAttr>(i, "fg.tangent_of")) {
      seeds.insert(of.getValue());
      differentiated += (differentiated.empty() ? "" : ", ") + of.str();
    }
  for (const auto &entry : options.tangents)
    if (!seeds.contains(entry.first))
      return error("--tangent " + entry.first + ": '" + entry.first +
                   "' is not differentiated (--wrt gives: " +
                   (differentiated.empty() ? "nothing" : differentiated) + ")");
  return execute(s, "forward_jvp", options, &tangents);
}

} // namespace fgc::driver

namespace fgc::driver {

namespace {

int64_t numElements(Type t) {
  return cast<RankedTensorType>(t).getNumElements();
}

std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  auto rt = cast<RankedTensorType>(t);
  llvm::interleave(rt.getShape(), os, "x");
  return s;
}

} // namespace

int inspect(const InspectOptions &options) {
  std::unique_ptr<MLIRContext> ctx = makeContext();
  OwningOpRef<ModuleOp> module =
      importModel(*ctx, options.model, options.import);
  if (!module)
    return 1;
  auto forward = module->lookupSymbol<func::FuncOp>("forward");
  fg::PartitionOptions po;
  po.boundaries.assign(options.train.blocks.begin(),
                       options.train.blocks.end());
  po.groups.assign(options.train.groups.begin(), options.train.groups.end());
  po.layouts.assign(options.train.layouts.begin(), options.train.layouts.end());
  std::string why;
  FailureOr<fg::Partition> partition;
  {
    FirstError handler(ctx.get(), why);
    partition = fg::analyzePartition(forward, po);
  }
  if (failed(partition))
    return error(options.model + ": " + why);
  fg::Partition &p = *partition;
  if (!p.readout)
    return error(options.model + ": the model has no readout classifier (a "
                                 "last linear layer whose output is the "
                                 "result)");
  int64_t classes =
      cast<RankedTensorType>(p.readout->output.getType()).getDimSize(1);
  int64_t modelParams = 0;
  llvm::StringMap<int64_t> paramSize;
  for (auto param : module->getOps<fg::ParameterOp>()) {
    paramSize[param.getSymName()] = numElements(param.getType());
    modelParams += numElements(param.getType());
  }
  bool local = options.train.algo.empty() || options.train.local();
  int64_t headParams = 0;
  llvm::json::Array blocks, points;
  for (auto [b, block] : llvm::enumerate(p.blocks)) {
    bool hasHead =
        local && (options.train.modularLoss || b + 1 == p.blocks.size());
    int64_t head = hasHead ? block.channels * classes + classes : 0;
    headParams += head;
    llvm::json::Array sites, nodes;
    for (const std::string &n : block.nodes)
      nodes.push_back(n);
    for (unsigned i : block.layers) {
      const fg::LinearLayer &l = p.layers[i];
      int64_t params = paramSize.lookup(l.weightName) +
                       (l.biasName.empty() ? 0 : paramSize.lookup(l.biasName));
      for (Operation *c : l.chain)
        for (Value v : c->getOperands())
          if (auto pr = v.getDefiningOp<fg::ParamOp>())
            params += paramSize.lookup(pr.getName());
      llvm::json::Object site{
          {"site", static_cast<int64_t>(i)},
          {"layer", l.name},
          {"node", fg::nodeName(l.op)},
          {"kind", l.isConv()  ? "conv"
                   : l.grouped ? "grouped"
                               : "dense"},
          {"shape", typeString(l.z.getType())},
          {"activation",
           l.activation
               ? l.activation->getName().getStringRef().drop_front(3).str()
               : "none"},
          {"residual", static_cast<bool>(l.skip)},
          {"params", params},
          {"block", static_cast<int64_t>(b)}};
      sites.push_back(llvm::json::Object(site));
      points.push_back(std::move(site));
    }
    llvm::json::Object obj{
        {"name", block.name},
        {"nodes", std::move(nodes)},
        {"output", fg::nodeName(block.output.getDefiningOp())},
        {"output_shape", typeString(block.output.getType())},
        {"layout", block.layout.letters},
        {"patches", block.patches},
        {"groups", block.groups},
        {"channels", block.channels},
        {"perturbation_points", std::move(sites)}};
    if (hasHead)
      obj["head"] = llvm::json::Object{
          {"input", "[N, " + std::to_string(block.patches) + ", " +
                        std::to_string(block.groups) + ", " +
                        std::to_string(block.channels / block.groups) + "]"},
          {"weight",
           std::to_string(block.channels) + "x" + std::to_string(classes)},
          {"params", head},
          {"copies", block.patches * block.groups}};
    else
      obj["head"] = nullptr;
    blocks.push_back(std::move(obj));
  }
  const fg::LinearLayer &r = *p.readout;
  int64_t readoutParams =
      paramSize.lookup(r.weightName) +
      (r.biasName.empty() ? 0 : paramSize.lookup(r.biasName));
  for (Operation *c : r.chain)
    for (Value v : c->getOperands())
      if (auto pr = v.getDefiningOp<fg::ParamOp>())
        readoutParams += paramSize.lookup(pr.getName());
  if (options.json) {
    llvm::json::Object root{
        {"model", options.model},
        {"algorithm",
         options.train.algo.empty() ? "lg-fg-a" : options.train.algo},
        {"total_params", modelParams + headParams},
        {"model_params", modelParams},
        {"head_params", headParams},
        {"classes", classes},
        {"readout", llvm::json::Object{{"layer", r.name},
                                       {"node", fg::nodeName(r.op)},
                                       {"params", readoutParams}}},
        {"blocks", std::move(blocks)},
        {"perturbation_points", std::move(points)}};
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
                 << "\n";
    return 0;
  }
  llvm::raw_ostream &os = llvm::outs();
  os << options.model << ": " << p.blocks.size() << " block(s), "
     << p.layers.size() << " perturbation point(s), " << classes
     << " classes\n";
  for (auto [b, v] : llvm::enumerate(blocks)) {
    const llvm::json::Object &o = *v.getAsObject();
    const fg::LocalBlock &block = p.blocks[b];
    os << "\n"
       << block.name << ": output " << typeString(block.output.getType())
       << " at '" << fg::nodeName(block.output.getDefiningOp()) << "', layout "
       << block.layout.letters << ", P=" << block.patches
       << ", G=" << block.groups << ", C=" << block.channels << "\n";
    os << "  nodes: " << block.nodes.size() << " ("
       << (block.nodes.empty() ? "" : block.nodes.front()) << " .. "
       << (block.nodes.empty() ? "" : block.nodes.back()) << ")\n";
    for (unsigned i : block.layers) {
      const fg::LinearLayer &l = p.layers[i];
      os << "  site " << i << ": " << l.name << " ("
         << (l.isConv()  ? "conv"
             : l.grouped ? "grouped"
                         : "dense")
         << ", at '" << fg::nodeName(l.op) << "'), perturbation "
         << typeString(l.z.getType())
         << (l.activation ? " before " + l.activation->getName()
                                             .getStringRef()
                                             .drop_front(3)
                                             .str()
                          : std::string())
         << (l.skip ? ", before the residual add" : "") << "\n";
    }
    if (const llvm::json::Object *h = o.getObject("head"))
      os << "  head: pool -> " << *h->getString("weight")
         << " linear -> softmax CE, replicated " << *h->getInteger("copies")
         << "x, " << *h->getInteger("params") << " parameters\n";
  }
  os << "\nreadout: " << r.name << " (" << readoutParams
     << " parameters, exact gradient)\n";
  os << "parameters: " << modelParams << " model + " << headParams
     << " local heads = " << modelParams + headParams << "\n";
  return 0;
}

} // namespace fgc::driver
