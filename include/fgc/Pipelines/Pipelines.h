//===- Pipelines.h - fgc's pass pipeline, in phases -------------*- C++ -*-===//
//
// Every pass fgc runs is sequenced here, and nowhere else: `fgc compile
// --emit=X` runs the phases up to X, and `fgc-opt --fgc-<phase>` (registered
// below) runs the same passes on IR read from a file, so that each stage can
// be reproduced, bisected and tested with lit.
//
//   imported IR --ImportCleanup--> fg      canonicalize, fg-fuse-layer-norm,
//                                          fg-init-params
//               --Local----------> local   fg-localize
//               --Train----------> train   fg-train-step
//               --Linalg---------> linalg  fg-params-to-args,
//                                          fg-decompose-losses,
//                                          convert-fg-to-linalg, fusion
//               --LLVM-----------> mlir    fg-strip-parameters,
//                                          fgc-emit-c-interface, then the
//                                          target's lowering (Target.h)
//
// Local and Train exist only for training (an --algo); a forward-only
// compile goes from ImportCleanup straight to Linalg.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_PIPELINES_PIPELINES_H
#define FGC_PIPELINES_PIPELINES_H

#include "fgc/Dialect/FG/Transforms/TrainingEnums.h"
#include "fgc/Target/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace fgc {

class OptionsBinder;

enum class Phase { ImportCleanup, Local, Train, Linalg, LLVM };

/// The name of a phase as `fgc-pipeline{from=... to=...}` spells it.
llvm::StringRef stringifyPhase(Phase phase);

/// The options of every phase. Each is declared once: the training and
/// clean-up options in the bind functions below (bound to fgc's command line
/// and to the registered pipelines' option strings), `fuseLayerNorm` by the
/// registered pipelines (fgc spells it --no-fuse-layer-norm).
struct PipelineOptions {
  // ImportCleanup.
  /// Replace decomposed (opset-13) layer norms by fg.layer_norm.
  bool fuseLayerNorm = true;
  /// Re-initialise the model's weights (spec §3.3); None keeps the ONNX
  /// initializers.
  fg::InitScheme init = fg::InitScheme::None;

  // Local and Train.
  fg::Algorithm algo = fg::Algorithm::LgFgA;
  std::vector<std::string> blocks, layouts;
  std::vector<int64_t> groups;
  std::string readout;
  bool spatialLoss = true, modularLoss = true, headNorm = true;
  fg::InitScheme headInit = fg::InitScheme::Kaiming;
  int64_t headSeed = 0;
  int64_t tangents = 1;
  bool explicitTangents = false;
  fg::Optimizer optimizer = fg::Optimizer::Sgd;
  double momentum = 0.9, weightDecay = 0.0, headLr = 1.0, lastLayerLr = 1.0;
  fg::Schedule schedule = fg::Schedule::Linear;
  fg::DropoutMode dropout = fg::DropoutMode::Identity;

  // LLVM.
  /// The code generator whose lowering ends the llvm phase.
  const Target *target = &getCPUTarget();
  LoweringOptions lowering;

  /// Declares the training options (Local and Train).
  void bindTrainingOptions(OptionsBinder &binder);
  /// Declares the clean-up option `init`.
  void bindCleanupOptions(OptionsBinder &binder);
};

/// Adds the passes of phases `from` to `to` (inclusive) to `pm`.
void buildPipeline(mlir::OpPassManager &pm, const PipelineOptions &options,
                   Phase from, Phase to);

/// Runs phases `from` to `to` on `module`. On failure, `error` holds the
/// first error diagnostic, e.g. "failed to legalize operation 'fg.xyz'".
mlir::LogicalResult runPipeline(mlir::ModuleOp module,
                                const PipelineOptions &options, Phase from,
                                Phase to, std::string &error);

/// Runs fg-jvp on `function` (what `fgc jvp` compiles).
mlir::LogicalResult runJvp(mlir::ModuleOp module, llvm::StringRef function,
                           llvm::ArrayRef<std::string> wrt, int64_t tangents,
                           std::string &error);

/// Runs fg-vjp on `function` (what `fgc vjp` compiles).
mlir::LogicalResult runVjp(mlir::ModuleOp module, llvm::StringRef function,
                           llvm::ArrayRef<std::string> wrt, std::string &error);

/// Registers `fgc-import-cleanup`, `fgc-local`, `fgc-train`, `fgc-training`
/// (local and train), `fgc-linalg`, `fgc-llvm` and `fgc-pipeline` (from=,
/// to=) with fgc-opt.
void registerPipelines();

} // namespace fgc

#endif // FGC_PIPELINES_PIPELINES_H
