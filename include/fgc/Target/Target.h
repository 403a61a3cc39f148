//===- Target.h - Code-generation targets -----------------------*- C++ -*-===//
//
// The seam between the target-neutral compiler (import, training synthesis,
// lowering to linalg: lib/Pipelines) and a code generator. A target lowers
// the linalg phase's output to the LLVM dialect (its part of the `llvm`
// phase), turns that into optimised LLVM IR and an object file, names the
// libraries a program built from the object links, and can JIT-compile a
// module for `fgc run`. The CPU target (lib/Target/CPU) is the first; a CUDA
// target will add lib/Target/CUDA with its own lowering (gpu.launch, NVVM,
// an embedded cubin) and runtime library behind the same interface.
//
// Everything runs in-process; nothing calls mlir-opt, llc or clang.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_TARGET_TARGET_H
#define FGC_TARGET_TARGET_H

#include "fgc/Runtime/Call.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace fgc {

/// How LLVM generates code: the options of the back end, not of the IR.
/// Options of a target's MLIR lowering (buildLoweringPipeline).
struct LoweringOptions {
  /// Insert MLIR's runtime verification after the loops are formed: every
  /// memref access is bounds-checked and a failed check aborts naming the
  /// op. For finding out-of-bounds accesses in generated code; slow.
  bool runtimeChecks = false;
};

struct CodegenOptions {
  /// LLVM optimisation level (0..3).
  unsigned optLevel = 3;
  /// Target CPU ("host" for the machine fgc runs on) and extra features.
  std::string cpu = "host";
  std::string features;
};

/// A function of this process that JIT-compiled code may call.
struct RuntimeSymbol {
  const char *name;
  void *address;
};

/// Compiled code loaded into this process.
class JitModule {
public:
  virtual ~JitModule();
  /// The packed C-interface entry point of `entry`, or null.
  virtual rt::PackedFunction lookup(llvm::StringRef entry,
                                    std::string &error) = 0;
};

class Target {
public:
  virtual ~Target();

  /// The name `--target` would take ("cpu").
  virtual llvm::StringRef getName() const = 0;

  /// Adds the dialects and LLVM IR translations the target's passes use.
  virtual void registerDialects(mlir::DialectRegistry &registry) const = 0;

  /// Adds the passes that lower a module from linalg on tensors (with C
  /// interfaces requested, parameters stripped) to the LLVM dialect.
  virtual void buildLoweringPipeline(mlir::OpPassManager &pm,
                                     const LoweringOptions &options) const = 0;

  /// LLVM dialect -> LLVM IR for the target (triple and data layout set),
  /// not yet optimised.
  virtual std::unique_ptr<llvm::Module>
  translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &context,
                    const CodegenOptions &options,
                    std::string &error) const = 0;

  /// Optimises LLVM IR for the target at `options.optLevel`.
  virtual bool optimizeLLVMIR(llvm::Module &module,
                              const CodegenOptions &options,
                              std::string &error) const = 0;

  /// LLVM IR -> object file.
  virtual bool emitObjectFile(llvm::Module &module,
                              const CodegenOptions &options,
                              llvm::raw_pwrite_stream &out,
                              std::string &error) const = 0;

  /// Linker arguments (-l...) for the libraries the generated code calls,
  /// besides fgc's runtime.
  virtual std::vector<std::string> linkLibraries() const = 0;

  /// JIT-compiles a module in the LLVM dialect for this process, resolving
  /// calls into fgc's runtime (BLAS entry points, memrefCopy) to `runtime`,
  /// which the calling program provides: the compiler libraries themselves
  /// do not link the runtime.
  virtual std::unique_ptr<JitModule>
  createJit(mlir::ModuleOp module, const CodegenOptions &options,
            llvm::ArrayRef<RuntimeSymbol> runtime,
            std::string &error) const = 0;
};

/// Optimises and compiles `module` (as translateToLLVMIR returns it) into
/// one object file per path in `objects`, on as many threads as the
/// machine has (up to one per part): LLVM's optimisation and code
/// generation of one large module are single-threaded, and make up most of
/// a trainer's compile time. The module is split by function
/// (llvm::SplitModule, round robin by size); each part is optimised and
/// compiled in an LLVM context of its own. The parts, and so the code, do
/// not depend on the number of threads. Consumes `module`.
bool compileToObjects(const Target &target,
                      std::unique_ptr<llvm::Module> module,
                      const CodegenOptions &options,
                      llvm::ArrayRef<std::string> objects, std::string &error);

/// The native CPU target (lib/Target/CPU).
const Target &getCPUTarget();

} // namespace fgc

#endif // FGC_TARGET_TARGET_H
