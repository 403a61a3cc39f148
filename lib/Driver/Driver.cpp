//===- Driver.cpp - The fgc subcommands -----------------------------------===//

#include "fgc/Driver/Driver.h"

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Runtime/Call.h"
#include "fgc/Runtime/TensorIO.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSet.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
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
  std::optional<EmitStage> s = llvm::StringSwitch<std::optional<EmitStage>>(text)
                                   .Case("fg", EmitStage::FG)
                                   .Case("linalg", EmitStage::Linalg)
                                   .Case("mlir", EmitStage::MLIR)
                                   .Case("llvm", EmitStage::LLVM)
                                   .Case("obj", EmitStage::Object)
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
  rt::Tensor t(dtypeOf(type.getElementType()),
               std::vector<int64_t>(type.getShape().begin(),
                                    type.getShape().end()));
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
    s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
          c == '-' || c == '_')
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

int compile(const CompileOptions &options) {
  std::unique_ptr<MLIRContext> ctx = makeContext();
  OwningOpRef<ModuleOp> module = importModel(*ctx, options.model, options.import);
  if (!module)
    return 1;
  auto printModule = [&](llvm::raw_ostream &os) { module->print(os); };
  std::string output = options.output;
  if (options.emit == EmitStage::FG)
    return writeOutput(output, printModule) ? 0 : 1;

  std::string why;
  if (failed(lowerToLinalg(*module, "forward", why)))
    return error(options.model + ": " + why);
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
    return writeOutput(output,
                       [&](llvm::raw_ostream &os) {
                         llvmModule->print(os, nullptr);
                       })
               ? 0
               : 1;

  if (output == "-")
    return error("-o: an object file cannot be written to standard output");
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
  if (!options.params.empty() &&
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
      } else if (tangents && StringRef(a.name).ends_with(".tangent")) {
        auto tt = tangents->find(a.name);
        if (tt != tangents->end()) {
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
  std::unique_ptr<JitModule> jit = JitModule::create(*s.module, options.cpu, why);
  if (!jit)
    return error(options.model + ": " + why);
  rt::PackedFunction fn = jit->lookup(entry, why);
  if (!fn)
    return error(why);
  rt::setNumThreads(options.threads);
  rt::callPacked(fn, args);

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
  return execute(s, "forward", options);
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
    ScopedDiagnosticHandler handler(s.ctx.get(), [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error && why.empty())
        why = diag.str();
      return success();
    });
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
                   (differentiated.empty() ? "nothing" : differentiated) +
                   ")");
  return execute(s, "forward_jvp", options, &tangents);
}

} // namespace fgc::driver
