//===- CPU.h - Compiling fg modules to native CPU code ----------*- C++ -*-===//
//
// The CPU pipeline, in stages that `fgc compile --emit=` can stop after:
//
//   fg      the imported module (func.func @forward on tensors)
//   linalg  fg-params-to-args, convert-fg-to-linalg, fgc-fuse-elementwise
//   mlir    one-shot bufferization, results as out-parameters,
//           convert-linalg-to-blas, buffer deallocation, loops, and the
//           conversion of everything to the LLVM dialect
//   llvm    translation to LLVM IR, optimised at -O<n>
//   obj     an object file from an in-process TargetMachine
//
// All of it runs in-process; nothing calls mlir-opt, llc or clang.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_TARGET_CPU_H
#define FGC_TARGET_CPU_H

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
class ExecutionEngine;
} // namespace mlir

namespace fgc {

struct CPUOptions {
  /// LLVM optimisation level (0..3).
  unsigned optLevel = 3;
  /// Target CPU ("host" for the machine fgc runs on) and extra features.
  std::string cpu = "host";
  std::string features;
};

/// The calling convention of a compiled entry point: inputs, parameters,
/// then outputs, all as tensors.
struct FunctionSignature {
  std::string name;
  std::vector<rt::ArgSpec> args;

  size_t count(rt::ArgSpec::Kind kind) const;
};

/// Adds the dialects and LLVM translations the CPU pipeline needs.
void registerCPUPipelineDialects(mlir::DialectRegistry &registry);

/// Stage fg -> linalg. Returns the signature of `entry` (the lowering turns
/// its parameters into arguments). On failure `error` holds the first
/// diagnostic, e.g. "failed to legalize operation 'fg.xyz'".
mlir::FailureOr<FunctionSignature>
lowerToLinalg(mlir::ModuleOp module, llvm::StringRef entry, std::string &error);

/// The signature of `entry` in a module lowered to linalg.
mlir::FailureOr<FunctionSignature>
getSignature(mlir::ModuleOp module, llvm::StringRef entry, std::string &error);

/// Stage linalg -> LLVM dialect. Every public function gets a C interface
/// (_mlir_ciface_<name>); fg.parameter declarations are dropped.
mlir::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module,
                                       std::string &error);

/// Stage LLVM dialect -> optimised LLVM IR for the target.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                const CPUOptions &options,
                                                std::string &error);

/// Adds `void <name>_packed(void **args)` for the C interface of `entry`
/// (`_mlir_ciface_<entry>`): the calling convention rt::callPacked uses, as
/// the JIT's packed wrappers, so a standalone program can call compiled
/// functions the way `fgc run` does. Returns false if there is no such
/// function.
bool addPackedEntry(llvm::Module &module, llvm::StringRef entry,
                    llvm::StringRef name);

/// Adds a constant byte array `name` (and `<name>_size`, a uint64) to the
/// module: data a standalone program reads at run time.
void addByteArray(llvm::Module &module, llvm::StringRef name,
                  llvm::StringRef bytes);

/// Stage LLVM IR -> object file.
bool emitObjectFile(llvm::Module &module, const CPUOptions &options,
                    llvm::raw_pwrite_stream &out, std::string &error);

/// A module in the LLVM dialect, JIT-compiled for the host.
class JitModule {
public:
  ~JitModule();
  static std::unique_ptr<JitModule> create(mlir::ModuleOp module,
                                           const CPUOptions &options,
                                           std::string &error);
  /// The packed C-interface entry point of `entry`, or null.
  rt::PackedFunction lookup(llvm::StringRef entry, std::string &error);

private:
  JitModule() = default;
  std::unique_ptr<mlir::ExecutionEngine> engine;
};

} // namespace fgc

#endif // FGC_TARGET_CPU_H
