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

enum class EmitStage { FG, Local, Train, Linalg, MLIR, LLVM, Object, Executable };

/// Parses "fg", "local", "train", "linalg", "mlir", "llvm", "obj", "exe".
bool parseEmitStage(llvm::StringRef text, EmitStage &stage);

/// What shapes the training step (fg-localize and fg-train-step options).
struct TrainOptions {
  /// lg-fg-a, fg-a, lg-fg-w, fg-w or readout; empty: no training step.
  std::string algo;
  std::vector<std::string> blocks, layouts;
  std::vector<int64_t> groups;
  bool spatialLoss = true, modularLoss = true, headNorm = true;
  std::string headInit = "kaiming";
  int64_t headSeed = 0;
  int64_t tangents = 1;
  bool explicitTangents = false;
  std::string optimizer = "sgd";
  double momentum = 0.9, weightDecay = 0.0, headLr = 1.0, lastLayerLr = 0.1;
  std::string schedule = "linear";
  /// Whether the algorithm uses local losses (lg-*).
  bool local() const { return algo == "lg-fg-a" || algo == "lg-fg-w"; }
};

enum class TrainingStage { Localize, TrainStep, Both };

/// Runs fg-localize and/or fg-train-step on an imported module. False with
/// `why` set after an error.
bool buildTraining(mlir::ModuleOp module, const TrainOptions &options,
                   TrainingStage stage, std::string &why);

struct CompileOptions {
  std::string model;
  TrainOptions train;
  /// Re-initialise the model's parameters (spec §3.3): kaiming, lecun or
  /// constant; empty keeps the ONNX initializers.
  std::string init;
  std::string output; // "-" for stdout (text stages)
  EmitStage emit = EmitStage::Object;
  ImportOptions import;
  CPUOptions cpu;
};

int compile(const CompileOptions &options);

struct RunOptions {
  std::string model;
  /// The function to run: forward, or with `train.algo` also train_step,
  /// eval_step, learning_rate or local_losses.
  std::string function = "forward";
  TrainOptions train;
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

struct InspectOptions {
  std::string model;
  ImportOptions import;
  TrainOptions train;
  bool json = false;
};

/// Prints the partition of a model into local-loss blocks.
int inspect(const InspectOptions &options);

/// The values of a module's fg.parameter declarations.
std::map<std::string, rt::Tensor> parameterTensors(mlir::ModuleOp module);

/// Prints "fgc: error: <message>" and returns 1.
int error(const llvm::Twine &message);

} // namespace fgc::driver

#endif // FGC_DRIVER_DRIVER_H
