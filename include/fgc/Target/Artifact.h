//===- Artifact.h - Target-neutral parts of compiled programs ---*- C++ -*-===//
//
// What every target's output shares: the calling convention of compiled
// entry points (their signature, and a packed `void f(void **)` wrapper of
// the C interface that rt::callPacked calls), data embedded in the object
// (a trainer's model description), and linking an object with fgc's runtime
// into an executable.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_TARGET_ARTIFACT_H
#define FGC_TARGET_ARTIFACT_H

#include "fgc/Runtime/TrainerABI.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace fgc {

/// The calling convention of a compiled entry point (inputs, parameters,
/// then outputs, all as tensors), as the trainer reads it.
using FunctionSignature = rt::FunctionSignature;

/// The signature of `entry` in a module lowered to linalg (parameters are
/// arguments tagged fg.param; names come from fg.name).
mlir::FailureOr<FunctionSignature>
getSignature(mlir::ModuleOp module, llvm::StringRef entry, std::string &error);

/// Adds `void <name>(void **args)` for the C interface of `entry`
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

/// How an executable is linked: a C++ compiler driver found on PATH (or an
/// absolute path) and the flags it needs before the object. A build with
/// sanitizers links trainers with its own compiler and `-fsanitize=...`,
/// because its runtime libraries call into the sanitizer runtime.
struct LinkCommand {
  std::string driver = "c++";
  std::vector<std::string> flags;
};

/// Links `objects` with `libraries` (paths or -l flags, in order) into the
/// executable `output` with `command`. The executable appears only when
/// linking succeeded. False with `error` set otherwise.
bool linkExecutable(llvm::ArrayRef<std::string> objects, llvm::StringRef output,
                    llvm::ArrayRef<std::string> libraries,
                    const LinkCommand &command, std::string &error);

} // namespace fgc

#endif // FGC_TARGET_ARTIFACT_H
