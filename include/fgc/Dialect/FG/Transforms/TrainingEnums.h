//===- TrainingEnums.h - Typed choices of the training passes ---*- C++ -*-===//
//
// The learning rule, optimizer, learning-rate schedule and initialisation
// scheme are closed sets of choices. They are enums (not strings) in the pass
// options and in the pipeline options, so that a misspelt value is rejected
// by the option parser with the list of valid ones, and the passes switch over
// them instead of comparing strings. Each enum has one table of names, used by
// the option parsers (`...Values()`), printing (`stringify...`) and the
// description embedded in trainers.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_TRANSFORMS_TRAININGENUMS_H
#define FGC_DIALECT_FG_TRANSFORMS_TRAININGENUMS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

namespace fgc::fg {

/// The learning rules of spec §1.2-§2.5.
enum class Algorithm {
  /// Local losses, activity perturbation: the paper's method.
  LgFgA,
  /// One global loss, activity perturbation.
  FgA,
  /// Local losses, weight perturbation.
  LgFgW,
  /// One global loss, weight perturbation.
  FgW,
  /// The backbone stays at its initial value; only the readout trains.
  Readout,
};

enum class Optimizer { Sgd, Adam, AdamW };

enum class Schedule { Constant, Linear, WarmupCosine, Staircase };

/// Spec §3.3's initialisation of weights: scale * N(0, 1).
enum class InitScheme {
  /// Keep the values the ONNX model holds (only for the model's parameters).
  None,
  Kaiming,
  LeCun,
  Constant,
};

/// What a training step does with the network's dropout layers.
enum class DropoutMode {
  /// Nothing: the identity, as in evaluation (the default).
  Identity,
  /// A seeded random mask in @train_step.
  Train,
};

llvm::StringRef stringifyAlgorithm(Algorithm algo);
llvm::StringRef stringifyOptimizer(Optimizer optimizer);
llvm::StringRef stringifySchedule(Schedule schedule);
llvm::StringRef stringifyInitScheme(InitScheme scheme);
llvm::StringRef stringifyDropoutMode(DropoutMode mode);

/// The values of each enum for llvm::cl / pass options, with help texts.
llvm::cl::ValuesClass algorithmValues();
llvm::cl::ValuesClass optimizerValues();
llvm::cl::ValuesClass scheduleValues();
llvm::cl::ValuesClass dropoutModeValues();
/// Kaiming, LeCun and constant (`withNone` adds "none": keep the model's).
llvm::cl::ValuesClass initSchemeValues(bool withNone = false);

/// Whether the rule uses one local loss per block (lg-*) rather than the
/// network's final loss alone.
inline bool usesLocalLosses(Algorithm algo) {
  return algo == Algorithm::LgFgA || algo == Algorithm::LgFgW;
}
/// Whether the rule perturbs activities (FG-A) or weights (FG-W).
inline bool perturbsActivities(Algorithm algo) {
  return algo == Algorithm::LgFgA || algo == Algorithm::FgA;
}
inline bool perturbsWeights(Algorithm algo) {
  return algo == Algorithm::LgFgW || algo == Algorithm::FgW;
}

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_TRANSFORMS_TRAININGENUMS_H
