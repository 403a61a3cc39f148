//===- CPUTarget.cpp - The native CPU target ------------------------------===//
//
// Lowers linalg to the LLVM dialect (one-shot bufferization, results as
// out-parameters, matrix products as OpenBLAS calls, loops, the large ones
// as OpenMP work-sharing loops), optimises the LLVM IR with LLVM's default
// pipeline for the host (or --mcpu) and emits object files or JIT-compiles
// in process.
//
//===----------------------------------------------------------------------===//

#include "fgc/Target/Target.h"

#include "fgc/Conversion/Passes.h"
#include "fgc/Dialect/FG/IR/FGDialect.h"
#include "fgc/Support/Diagnostics.h"
#include "fgc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

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

namespace {

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CodegenOptions &options, std::string &error) {
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
  // LLVM tunes AVX-512 CPUs of the Skylake line to prefer 256-bit vectors
  // (full-width instructions lower the clock of the scalar code around
  // them). A trainer's generated code is long vector loops (the normal-number
  // generator, elementwise passes over whole activations) where full width
  // wins: M/1/16 steps ~15% faster, M/8/16 ~8%, the same results (the lanes
  // compute the same operations). On CPUs without AVX-512 this changes
  // nothing: their widest vectors are 256-bit.
  if (triple.isX86())
    features += (features.empty() ? "" : ",") + std::string("-prefer-256-bit");
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

class CPUJitModule : public JitModule {
public:
  explicit CPUJitModule(std::unique_ptr<ExecutionEngine> engine)
      : engine(std::move(engine)) {}
  rt::PackedFunction lookup(StringRef entry, std::string &error) override;

private:
  std::unique_ptr<ExecutionEngine> engine;
};

rt::PackedFunction CPUJitModule::lookup(StringRef entry, std::string &error) {
  auto fn = engine->lookupPacked(("_mlir_ciface_" + entry).str());
  if (!fn) {
    error = llvm::toString(fn.takeError());
    return nullptr;
  }
  return *fn;
}

class CPUTarget : public Target {
public:
  StringRef getName() const override { return "cpu"; }
  void registerDialects(DialectRegistry &registry) const override;
  void buildLoweringPipeline(OpPassManager &pm,
                             const LoweringOptions &options) const override;
  std::unique_ptr<llvm::Module>
  translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                    const CodegenOptions &options,
                    std::string &error) const override;
  bool optimizeLLVMIR(llvm::Module &module, const CodegenOptions &options,
                      std::string &error) const override;
  bool emitObjectFile(llvm::Module &module, const CodegenOptions &options,
                      llvm::raw_pwrite_stream &out,
                      std::string &error) const override;
  std::vector<std::string> linkLibraries() const override {
    return {"-lopenblas", "-lomp", "-lm", "-lpthread"};
  }
  std::unique_ptr<JitModule> createJit(ModuleOp module,
                                       const CodegenOptions &options,
                                       ArrayRef<RuntimeSymbol> runtime,
                                       std::string &error) const override;
};

void CPUTarget::registerDialects(DialectRegistry &registry) const {
  registry.insert<fg::FGDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

void CPUTarget::buildLoweringPipeline(OpPassManager &pm,
                                      const LoweringOptions &options) const {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addNestedPass<func::FuncOp>(createElideCopies());
  bufferization::buildBufferDeallocationPipeline(pm);
  // The pipeline frees buffers at the end of their block; the body's order
  // (fgc-schedule-for-memory) only bounds memory once each is freed after
  // its last use.
  pm.addNestedPass<func::FuncOp>(
      bufferization::createOptimizeAllocationLivenessPass());
  // After the frees are placed: the liveness analysis sees the products'
  // operands as operands of linalg ops, not behind the views and casts the
  // runtime calls take (it does not follow memref.transpose).
  pm.addPass(createConvertLinalgToBlas());
  pm.addNestedPass<func::FuncOp>(createTileTransposes());
  pm.addPass(createForallToParallelLoopPass());
  // Tangents of a JVP read the primal's activations once per sample, not
  // once per tangent.
  pm.addNestedPass<func::FuncOp>(createReuseBroadcastOperands());
  // Reductions keep their accumulators in registers (LLVM cannot prove the
  // output does not alias the inputs); the other linalg ops become loops
  // below.
  pm.addNestedPass<func::FuncOp>(createLowerReductions());
  // Threads: one parallel dimension per loop nest worth a fork, as OpenMP
  // work-sharing loops; everything else serial.
  pm.addPass(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createSelectParallelLoops());
  // LLVM compiles many small functions much faster than one huge one.
  pm.addPass(createOutlineLoops());
  // Checks on the loops' loads and stores and on the views they index,
  // before the views are expanded into pointer arithmetic.
  if (options.runtimeChecks)
    pm.addPass(createGenerateRuntimeVerificationPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  // Inlines the memref.alloca_scope the conversion wraps each loop body in
  // (the bodies allocate nothing on the stack); scf-to-cf would otherwise
  // leave it with several blocks.
  pm.addPass(createCanonicalizerPass());
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
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

std::unique_ptr<llvm::Module>
CPUTarget::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                             const CodegenOptions &options,
                             std::string &error) const {
  FirstErrorCollector collect(module.getContext(), error,
                              /*withLocation=*/true);
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
  return llvmModule;
}

bool CPUTarget::optimizeLLVMIR(llvm::Module &module,
                               const CodegenOptions &options,
                               std::string &error) const {
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  if (!tm)
    return false;
  if (llvm::Error err = optimizeModule(&module, options.optLevel, tm.get())) {
    error = llvm::toString(std::move(err));
    return false;
  }
  return true;
}

bool CPUTarget::emitObjectFile(llvm::Module &module,
                               const CodegenOptions &options,
                               llvm::raw_pwrite_stream &out,
                               std::string &error) const {
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

std::unique_ptr<JitModule> CPUTarget::createJit(ModuleOp module,
                                                const CodegenOptions &options,
                                                ArrayRef<RuntimeSymbol> runtime,
                                                std::string &error) const {
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  if (!tm)
    return nullptr;
  // The JIT (RuntimeDyld with SectionMemoryManager) maps code, data and the
  // GOT with separate mmap calls, which may land more than 2 GiB apart -
  // they do under AddressSanitizer's memory layout. The small code model's
  // 32-bit PC-relative references (calls through the GOT, constant pools)
  // then wrap silently and the first external call jumps through a wild
  // pointer. The large code model addresses everything with 64 bits.
  tm->setCodeModel(llvm::CodeModel::Large);
  llvm::TargetMachine *tmPtr = tm.get();
  unsigned level = options.optLevel;
  auto transformer = [tmPtr, level](llvm::Module *m) {
    return optimizeModule(m, level, tmPtr);
  };
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = tm->getOptLevel();
  FirstErrorCollector collect(module.getContext(), error,
                              /*withLocation=*/true);
  auto engine = ExecutionEngine::create(module, engineOptions, std::move(tm));
  if (!engine) {
    std::string message = llvm::toString(engine.takeError());
    if (error.empty())
      error = message;
    return nullptr;
  }
  (*engine)->registerSymbols([&](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    for (const RuntimeSymbol &symbol : runtime)
      map[interner(symbol.name)] = {
          llvm::orc::ExecutorAddr::fromPtr(symbol.address),
          llvm::JITSymbolFlags::Exported};
    return map;
  });
  (*engine)->initialize();
  return std::make_unique<CPUJitModule>(std::move(*engine));
}

} // namespace

const Target &getCPUTarget() {
  static const CPUTarget target;
  return target;
}

} // namespace fgc
