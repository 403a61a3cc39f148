//===- Target.cpp - The target seam ---------------------------------------===//

#include "fgc/Target/Target.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <mutex>

namespace fgc {

// Out of line: anchors the vtables in the target-neutral library.
JitModule::~JitModule() = default;
Target::~Target() = default;

bool compileToObjects(const Target &target,
                      std::unique_ptr<llvm::Module> module,
                      const CodegenOptions &options,
                      llvm::ArrayRef<std::string> objects, std::string &error) {
  // What only the whole module can tell, before it is split: the outlined
  // loop nests are internal functions with one call site each, whose
  // memref sizes, strides and offsets interprocedural constant propagation
  // makes constant (static trip counts, no aliasing checks: the loops
  // vectorise as they did in one module).
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb;
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm;
    if (llvm::Error err = pb.parsePassPipeline(mpm, "ipsccp,deadargelim")) {
      error = llvm::toString(std::move(err));
      return false;
    }
    mpm.run(*module, mam);
  }
  // Each part travels as bitcode: an LLVMContext is not thread-safe, and
  // parts split off one module share its context.
  std::vector<llvm::SmallVector<char, 0>> parts;
  llvm::SplitModule(
      *module, objects.size(),
      [&](std::unique_ptr<llvm::Module> part) {
        llvm::raw_svector_ostream os(parts.emplace_back());
        llvm::WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false, /*RoundRobin=*/true);
  module.reset();
  std::mutex mutex;
  std::string firstError;
  auto compilePart = [&](size_t i) {
    std::string why;
    auto fail = [&](std::string message) {
      std::lock_guard<std::mutex> lock(mutex);
      if (firstError.empty())
        firstError = std::move(message);
    };
    llvm::LLVMContext context;
    llvm::Expected<std::unique_ptr<llvm::Module>> part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(llvm::StringRef(parts[i].data(), parts[i].size()),
                              "part"),
        context);
    if (!part)
      return fail(llvm::toString(part.takeError()));
    if (!target.optimizeLLVMIR(**part, options, why))
      return fail(why);
    std::error_code ec;
    llvm::raw_fd_ostream out(objects[i], ec);
    if (ec)
      return fail(objects[i] + ": " + ec.message());
    if (!target.emitObjectFile(**part, options, out, why))
      return fail(why);
  };
  {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(parts.size()));
    for (size_t i = 0; i < parts.size(); ++i)
      pool.async(compilePart, i);
    pool.wait();
  }
  if (!firstError.empty()) {
    error = firstError;
    return false;
  }
  return true;
}

} // namespace fgc
