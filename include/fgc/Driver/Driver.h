//===- Driver.h - The fgc subcommands ---------------------------*- C++ -*-===//
//
// The work behind the fgc subcommands (Compile.cpp, Run.cpp, Inspect.cpp),
// separate from command-line parsing so that tests and benchmarks can drive
// it. Each returns the process exit status and reports errors as one line
// on stderr.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DRIVER_DRIVER_H
#define FGC_DRIVER_DRIVER_H

#include "fgc/Import/OnnxImporter.h"
#include "fgc/Pipelines/Pipelines.h"
#include "fgc/Runtime/Tensor.h"
#include "fgc/Runtime/TrainerABI.h"
#include "fgc/Target/Artifact.h"
#include "fgc/Target/Target.h"

#include <map>
#include <string>
#include <vector>

namespace fgc::driver {

enum class EmitStage {
  FG,
  Local,
  Train,
  Linalg,
  MLIR,
  LLVM,
  Object,
  Executable
};

/// Parses "fg", "local", "train", "linalg", "mlir", "llvm", "obj", "exe".
bool parseEmitStage(llvm::StringRef text, EmitStage &stage);

struct CompileOptions {
  std::string model;
  /// The passes' options (clean-up, training, target).
  PipelineOptions pipeline;
  /// Whether to build a training step (an --algo was given).
  bool training = false;
  std::string output; // "-" for stdout (text stages)
  EmitStage emit = EmitStage::Object;
  ImportOptions import;
  CodegenOptions codegen;
};

int compile(const CompileOptions &options);

struct RunOptions {
  std::string model;
  /// The function to run: forward, or with `training` also train_step,
  /// eval_step, learning_rate or local_losses.
  std::string function = rt::abi::kForward;
  PipelineOptions pipeline;
  bool training = false;
  /// NAME -> FILE (.npy or .pb).
  std::vector<std::pair<std::string, std::string>> inputs;
  /// Inputs folded into the compiled code as constants (their --input value).
  std::vector<std::string> foldInputs;
  std::string outputDir = ".";
  /// An .onnx model or a directory of <name>.npy / <name>.pb files.
  std::string params;
  ImportOptions import;
  CodegenOptions codegen;
  int threads = 0;
  /// Run the function this many times (0: once, quietly), feeding outputs
  /// named like arguments back and counting "step" up; prints the scalar
  /// outputs of each call.
  int64_t steps = 0;
  /// Stop after reading the inputs and importing (exit 0 if that worked):
  /// lets test drivers tell import failures from compile failures.
  bool importOnly = false;
};

int run(const RunOptions &options);

struct JvpOptions : RunOptions {
  /// "inputs", "params", or input/parameter names (fg-jvp's wrt).
  std::vector<std::string> wrt;
  /// NAME -> FILE: the tangent of a differentiated input or parameter
  /// (leading [K] dimension when K > 1); zero when not given.
  std::vector<std::pair<std::string, std::string>> tangents;
  int64_t numTangents = 1;
};

/// Compiles <forward>_jvp and writes <output>.npy and <output>.tangent.npy.
int jvp(const JvpOptions &options);

struct VjpOptions : RunOptions {
  /// "inputs", "params", or input/parameter names (fg-vjp's wrt).
  std::vector<std::string> wrt;
  /// OUTPUT -> FILE: the cotangent of a model output (its shape); zero when
  /// not given, but at least one is required.
  std::vector<std::pair<std::string, std::string>> cotangents;
};

/// Compiles <forward>_vjp and writes <output>.npy and <name>.grad.npy for
/// each differentiated input or parameter.
int vjp(const VjpOptions &options);

struct InspectOptions {
  std::string model;
  ImportOptions import;
  PipelineOptions pipeline;
  /// Whether an --algo was given (without one, the lg-fg-a view).
  bool training = false;
  bool json = false;
};

/// Prints the partition of a model into local-loss blocks.
int inspect(const InspectOptions &options);

/// The values of a module's fg.parameter declarations.
std::map<std::string, rt::Tensor> parameterTensors(mlir::ModuleOp module);

/// Imports a model and runs the clean-up phase (fgc import, and the first
/// step of every subcommand). Null after reporting an error. With
/// `batchAssumed`, whether ImportOptions::assumedBatchSize was used.
mlir::OwningOpRef<mlir::ModuleOp>
importModel(mlir::MLIRContext &ctx, const std::string &path,
            const ImportOptions &importOptions,
            const PipelineOptions &pipelineOptions,
            std::string *modelBytes = nullptr, bool *batchAssumed = nullptr);

/// The linalg phase of the pipeline (default options) on `module`, and the
/// signature of `entry` in the result: the first half of what `fgc run`
/// does, for tests and benchmarks that compile IR of their own.
mlir::FailureOr<FunctionSignature>
lowerToLinalg(mlir::ModuleOp module, llvm::StringRef entry, std::string &error);

/// The llvm phase on a module lowered to linalg, JIT-compiled for this
/// process by the CPU target with fgc's runtime functions bound.
std::unique_ptr<JitModule> lowerAndJit(mlir::ModuleOp module,
                                       const CodegenOptions &options,
                                       std::string &error);

/// The runtime functions JIT-compiled code calls (BLAS, memrefCopy).
std::vector<RuntimeSymbol> runtimeSymbols();

/// A context with every dialect the pipeline and `target` use; diagnostics
/// do not print the op.
std::unique_ptr<mlir::MLIRContext> makeContext(const Target &target);

/// Prints "fgc: error: <message>" and returns 1.
int error(const llvm::Twine &message);

} // namespace fgc::driver

#endif // FGC_DRIVER_DRIVER_H
