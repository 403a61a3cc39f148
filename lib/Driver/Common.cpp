//===- Common.cpp - What the fgc subcommands share ------------------------===//

#include "Common.h"

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Runtime/Blas.h"
#include "fgc/Runtime/TensorIO.h"

#include "mlir/Support/FileUtilities.h"
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

std::unique_ptr<MLIRContext> makeContext(const Target &target) {
  DialectRegistry registry;
  registerImportDialects(registry);
  target.registerDialects(registry);
  auto ctx = std::make_unique<MLIRContext>(registry);
  ctx->printOpOnDiagnostic(false);
  ctx->loadAllAvailableDialects();
  return ctx;
}

OwningOpRef<ModuleOp> importModel(MLIRContext &ctx, const std::string &path,
                                  const ImportOptions &importOptions,
                                  const PipelineOptions &pipelineOptions,
                                  std::string *modelBytes, bool *batchAssumed) {
  ImportOptions options = importOptions;
  options.keepModelBytes = modelBytes != nullptr;
  ImportResult result = importOnnxFile(ctx, path, options);
  for (const std::string &w : result.warnings)
    llvm::WithColor::warning(llvm::errs(), "fgc") << w << "\n";
  if (!result.module) {
    error(result.error);
    return nullptr;
  }
  std::string why;
  if (failed(runPipeline(*result.module, pipelineOptions, Phase::ImportCleanup,
                         Phase::ImportCleanup, why))) {
    error(path + ": " + why);
    return nullptr;
  }
  if (modelBytes)
    *modelBytes = std::move(result.modelBytes);
  if (batchAssumed)
    *batchAssumed = result.batchAssumed;
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

static rt::DType dtypeOf(Type elt) {
  if (elt.isF32())
    return rt::DType::F32;
  if (elt.isF64())
    return rt::DType::F64;
  if (elt.isInteger(1))
    return rt::DType::Bool;
  return rt::DType::I64;
}

rt::Tensor tensorFromAttr(DenseElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  rt::Tensor t(
      dtypeOf(type.getElementType()),
      std::vector<int64_t>(type.getShape().begin(), type.getShape().end()));
  size_t elementBytes = rt::dtypeSize(t.dtype());
  if (t.dtype() == rt::DType::Bool) { // i1 attributes are bit-packed
    auto *out = t.data<uint8_t>();
    for (auto [i, v] : llvm::enumerate(attr.getValues<bool>()))
      out[i] = v;
    return t;
  }
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
             : t.dtype() == rt::DType::I64 ? Type(IntegerType::get(&ctx, 64))
                                           : Type(IntegerType::get(&ctx, 1));
  auto type = RankedTensorType::get(t.shape(), elt);
  if (t.dtype() == rt::DType::Bool) { // i1 attributes are bit-packed
    const auto *p = t.data<uint8_t>();
    SmallVector<bool> values(p, p + t.numElements());
    return DenseElementsAttr::get(type, values);
  }
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

std::map<std::string, rt::Tensor> parameterTensors(ModuleOp module) {
  std::map<std::string, rt::Tensor> params;
  for (auto p : module.getOps<fg::ParameterOp>())
    params.emplace(p.getSymName().str(),
                   tensorFromAttr(cast<DenseElementsAttr>(p.getValue())));
  return params;
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

std::vector<RuntimeSymbol> runtimeSymbols() {
  return {
      {"fgc_blas_sgemm", reinterpret_cast<void *>(&fgc_blas_sgemm)},
      {"fgc_blas_dgemm", reinterpret_cast<void *>(&fgc_blas_dgemm)},
      {"fgc_blas_sgemm_batched",
       reinterpret_cast<void *>(&fgc_blas_sgemm_batched)},
      {"fgc_blas_dgemm_batched",
       reinterpret_cast<void *>(&fgc_blas_dgemm_batched)},
      {"fgc_blas_sgemm_overwrite",
       reinterpret_cast<void *>(&fgc_blas_sgemm_overwrite)},
      {"fgc_blas_dgemm_overwrite",
       reinterpret_cast<void *>(&fgc_blas_dgemm_overwrite)},
      {"fgc_blas_sgemm_batched_overwrite",
       reinterpret_cast<void *>(&fgc_blas_sgemm_batched_overwrite)},
      {"fgc_blas_dgemm_batched_overwrite",
       reinterpret_cast<void *>(&fgc_blas_dgemm_batched_overwrite)},
      {"memrefCopy", reinterpret_cast<void *>(&memrefCopy)},
  };
}

FailureOr<FunctionSignature> lowerToLinalg(ModuleOp module, StringRef entry,
                                           std::string &error) {
  if (failed(runPipeline(module, PipelineOptions(), Phase::Linalg,
                         Phase::Linalg, error)))
    return failure();
  return getSignature(module, entry, error);
}

std::unique_ptr<JitModule> lowerAndJit(ModuleOp module,
                                       const CodegenOptions &options,
                                       std::string &error) {
  PipelineOptions pipeline;
  if (failed(runPipeline(module, pipeline, Phase::LLVM, Phase::LLVM, error)))
    return nullptr;
  return pipeline.target->createJit(module, options, runtimeSymbols(), error);
}

} // namespace fgc::driver
