//===- Driver.h - The fgc subcommands ---------------------------*- C++ -*-===//
//
// The work behind `fgc compile` and `fgc run`, separate from command-line
// parsing so that tests and benchmarks can drive it. Each returns the
// process exit status and reports errors as one line on stderr.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DRIVER_DRIVER_H
#define FGC_DRIVER_DRIVER_H

#include "fgc/Import/OnnxImporter.h"
#include "fgc/Runtime/Tensor.h"
#include "fgc/Target/CPU.h"

#include <map>
#include <string>
#include <vector>

namespace fgc::driver {

enum class EmitStage { FG, Linalg, MLIR, LLVM, Object };

/// Parses "fg", "linalg", "mlir", "llvm", "obj".
bool parseEmitStage(llvm::StringRef text, EmitStage &stage);

struct CompileOptions {
  std::string model;
  std::string output; // "-" for stdout (text stages)
  EmitStage emit = EmitStage::Object;
  ImportOptions import;
  CPUOptions cpu;
};

int compile(const CompileOptions &options);

struct RunOptions {
  std::string model;
  /// NAME -> FILE (.npy or .pb).
  std::vector<std::pair<std::string, std::string>> inputs;
  /// Inputs folded into the compiled code as constants (their --input value).
  std::vector<std::string> foldInputs;
  std::string outputDir = ".";
  /// An .onnx model or a directory of <name>.npy / <name>.pb files.
  std::string params;
  ImportOptions import;
  CPUOptions cpu;
  int threads = 0;
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

/// The values of a module's fg.parameter declarations.
std::map<std::string, rt::Tensor> parameterTensors(mlir::ModuleOp module);

/// Prints "fgc: error: <message>" and returns 1.
int error(const llvm::Twine &message);

} // namespace fgc::driver

#endif // FGC_DRIVER_DRIVER_H
