//===- CPUTarget.cpp - Compiling fg modules to native CPU code ------------===//

#include "fgc/Target/CPU.h"

#include "fgc/Conversion/Passes.h"
#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Runtime/Blas.h"
#include "fgc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace fgc {

size_t FunctionSignature::count(rt::ArgSpec::Kind kind) const {
  size_t n = 0;
  for (const rt::ArgSpec &a : args)
    n += a.kind == kind;
  return n;
}

void registerCPUPipelineDialects(DialectRegistry &registry) {
  registry.insert<fg::FGDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

namespace {

/// Collects the first error diagnostic as a one-line message.
class ErrorCollector {
public:
  ErrorCollector(MLIRContext *ctx, std::string &error)
      : error(error), handler(ctx, [this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error &&
              this->error.empty()) {
            std::string loc;
            llvm::raw_string_ostream os(loc);
            os << diag.getLocation();
            this->error = diag.str() + " (at " + loc + ")";
          }
          return success();
        }) {}

private:
  std::string &error;
  ScopedDiagnosticHandler handler;
};

FailureOr<rt::DType> dtypeOf(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t)
    return failure();
  Type e = t.getElementType();
  if (e.isF32())
    return rt::DType::F32;
  if (e.isF64())
    return rt::DType::F64;
  if (e.isInteger(64))
    return rt::DType::I64;
  return failure();
}

LogicalResult runPasses(ModuleOp module, PassManager &pm, std::string &error,
                        StringRef stage) {
  ErrorCollector collect(module.getContext(), error);
  if (failed(pm.run(module))) {
    if (error.empty())
      error = ("the " + stage + " pipeline failed").str();
    return failure();
  }
  return success();
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CPUOptions &options, std::string &error) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  llvm::Triple triple(llvm::sys::getProcessTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu;
  std::string features = options.features;
  if (cpu == "host" || cpu.empty()) {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
    for (auto &f : hostFeatures)
      features += (features.empty() ? "" : ",") +
                  std::string(f.second ? "+" : "-") + f.first().str();
  } else if (!std::unique_ptr<llvm::MCSubtargetInfo>(
                  target->createMCSubtargetInfo(triple, "", ""))
                  ->isCPUStringValid(cpu)) {
    error = "unknown --mcpu '" + cpu + "' for " + triple.str();
    return nullptr;
  }
  llvm::CodeGenOptLevel level =
      options.optLevel == 0   ? llvm::CodeGenOptLevel::None
      : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
      : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                              : llvm::CodeGenOptLevel::Aggressive;
  llvm::TargetOptions targetOptions;
  return std::unique_ptr<llvm::TargetMachine>(
      target->createTargetMachine(triple, cpu, features, targetOptions,
                                  llvm::Reloc::PIC_, std::nullopt, level));
}

/// LLVM's default pipeline at `level`, without loop unrolling and SLP
/// vectorisation: networks lower to hundreds of small static loop nests,
/// which full unrolling turns into megabytes of code and minutes of compile
/// time for no measurable gain (the matrix products run in BLAS; the
/// remaining loops still get vectorised).
llvm::Error optimizeModule(llvm::Module *module, unsigned level,
                           llvm::TargetMachine *tm) {
  if (level == 0)
    return llvm::Error::success();
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  tuning.SLPVectorization = false;
  tuning.LoopVectorization = true;
  llvm::PassBuilder pb(tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel o = level == 1   ? llvm::OptimizationLevel::O1
                              : level == 2 ? llvm::OptimizationLevel::O2
                                           : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(o);
  mpm.run(*module, mam);
  return llvm::Error::success();
}

} // namespace

FailureOr<FunctionSignature> lowerToLinalg(ModuleOp module, StringRef entry,
                                           std::string &error) {
  PassManager pm(module.getContext());
  pm.addPass(fg::createFGParamsToArgs());
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createConvertFGToLinalg());
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createFuseElementwise());
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
  if (failed(runPasses(module, pm, error, "fg-to-linalg")))
    return failure();
  return getSignature(module, entry, error);
}

FailureOr<FunctionSignature> getSignature(ModuleOp module, StringRef entry,
                                          std::string &error) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func) {
    error = ("the module has no function '" + entry + "'").str();
    return failure();
  }
  FunctionSignature sig;
  sig.name = entry.str();
  FunctionType type = func.getFunctionType();
  // Completes `spec` with the dtype and shape of `t` and appends it.
  auto addArg = [&](rt::ArgSpec &spec, Type t,
                    StringRef what) -> LogicalResult {
    FailureOr<rt::DType> dtype = dtypeOf(t);
    if (failed(dtype)) {
      error = (what + " '" + spec.name + "' has unsupported type").str();
      return failure();
    }
    auto shape = cast<RankedTensorType>(t).getShape();
    spec.dtype = *dtype;
    spec.shape.assign(shape.begin(), shape.end());
    sig.args.push_back(spec);
    return success();
  };
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    rt::ArgSpec spec;
    if (auto name = func.getArgAttrOfType<StringAttr>(i, "fg.param")) {
      spec.kind = rt::ArgSpec::Kind::Parameter;
      spec.name = name.str();
    } else {
      spec.kind = rt::ArgSpec::Kind::Input;
      auto argName = func.getArgAttrOfType<StringAttr>(i, "fg.name");
      spec.name = argName ? argName.str() : "arg" + std::to_string(i);
    }
    if (failed(addArg(spec, type.getInput(i), "argument")))
      return failure();
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    rt::ArgSpec spec;
    spec.kind = rt::ArgSpec::Kind::Output;
    auto name = func.getResultAttrOfType<StringAttr>(i, "fg.name");
    spec.name = name ? name.str() : "result" + std::to_string(i);
    if (failed(addArg(spec, type.getResult(i), "result")))
      return failure();
  }
  return sig;
}

LogicalResult lowerToLLVMDialect(ModuleOp module, std::string &error) {
  for (auto param :
       llvm::make_early_inc_range(module.getOps<fg::ParameterOp>()))
    param.erase();
  for (auto func : module.getOps<func::FuncOp>())
    if (func.isPublic() && !func.isExternal())
      func->setAttr("llvm.emit_c_interface",
                    UnitAttr::get(module.getContext()));

  PassManager pm(module.getContext());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createConvertLinalgToBlas());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  return runPasses(module, pm, error, "linalg-to-llvm");
}

std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module,
                                                llvm::LLVMContext &context,
                                                const CPUOptions &options,
                                                std::string &error) {
  ErrorCollector collect(module.getContext(), error);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule) {
    if (error.empty())
      error = "translation to LLVM IR failed";
    return nullptr;
  }
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  if (!tm)
    return nullptr;
  ExecutionEngine::setupTargetTripleAndDataLayout(llvmModule.get(), tm.get());
  if (llvm::Error err =
          optimizeModule(llvmModule.get(), options.optLevel, tm.get())) {
    error = llvm::toString(std::move(err));
    return nullptr;
  }
  return llvmModule;
}

bool addPackedEntry(llvm::Module &module, StringRef entry, StringRef name) {
  llvm::Function *f = module.getFunction(("_mlir_ciface_" + entry).str());
  if (!f || f->isDeclaration())
    return false;
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *type =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  auto *wrapper = llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                                         name, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", wrapper));
  llvm::Value *packed = wrapper->getArg(0);
  SmallVector<llvm::Value *> args;
  for (auto [i, arg] : llvm::enumerate(f->args())) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, packed, i);
    llvm::Value *argPtr = b.CreateLoad(ptr, slot);
    args.push_back(b.CreateLoad(arg.getType(), argPtr));
  }
  llvm::Value *result = b.CreateCall(f, args);
  if (!f->getReturnType()->isVoidTy()) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, packed, args.size());
    b.CreateStore(result, b.CreateLoad(ptr, slot));
  }
  b.CreateRetVoid();
  return true;
}

void addByteArray(llvm::Module &module, StringRef name, StringRef bytes) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Constant *data = llvm::ConstantDataArray::getRaw(
      bytes, bytes.size(), llvm::Type::getInt8Ty(ctx));
  auto *global =
      new llvm::GlobalVariable(module, data->getType(), /*isConstant=*/true,
                               llvm::GlobalValue::ExternalLinkage, data, name);
  global->setAlignment(llvm::Align(64));
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  new llvm::GlobalVariable(
      module, i64, true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantInt::get(i64, bytes.size()), (name + "_size").str());
}

bool emitObjectFile(llvm::Module &module, const CPUOptions &options,
                    llvm::raw_pwrite_stream &out, std::string &error) {
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  if (!tm)
    return false;
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, out, nullptr,
                              llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  pm.run(module);
  return true;
}

JitModule::~JitModule() = default;

std::unique_ptr<JitModule> JitModule::create(ModuleOp module,
                                             const CPUOptions &options,
                                             std::string &error) {
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  if (!tm)
    return nullptr;
  llvm::TargetMachine *tmPtr = tm.get();
  unsigned level = options.optLevel;
  auto transformer = [tmPtr, level](llvm::Module *m) {
    return optimizeModule(m, level, tmPtr);
  };
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = tm->getOptLevel();
  ErrorCollector collect(module.getContext(), error);
  auto engine = ExecutionEngine::create(module, engineOptions, std::move(tm));
  if (!engine) {
    std::string message = llvm::toString(engine.takeError());
    if (error.empty())
      error = message;
    return nullptr;
  }
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    auto bind = [&](const char *name, void *fn) {
      map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                             llvm::JITSymbolFlags::Exported};
    };
    bind("fgc_blas_sgemm", reinterpret_cast<void *>(&fgc_blas_sgemm));
    bind("fgc_blas_dgemm", reinterpret_cast<void *>(&fgc_blas_dgemm));
    bind("fgc_blas_sgemm_batched",
         reinterpret_cast<void *>(&fgc_blas_sgemm_batched));
    bind("fgc_blas_dgemm_batched",
         reinterpret_cast<void *>(&fgc_blas_dgemm_batched));
    bind("memrefCopy", reinterpret_cast<void *>(&memrefCopy));
    return map;
  });
  (*engine)->initialize();
  std::unique_ptr<JitModule> jit(new JitModule());
  jit->engine = std::move(*engine);
  return jit;
}

rt::PackedFunction JitModule::lookup(StringRef entry, std::string &error) {
  auto fn = engine->lookupPacked(("_mlir_ciface_" + entry).str());
  if (!fn) {
    error = llvm::toString(fn.takeError());
    return nullptr;
  }
  return *fn;
}

} // namespace fgc
