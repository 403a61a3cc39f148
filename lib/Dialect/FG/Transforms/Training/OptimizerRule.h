//===- OptimizerRule.h - Parameter updates of @train_step -------*- C++ -*-===//
//
// An optimizer turns a parameter's gradient into its update, with per-
// parameter state buffers that @train_step takes and returns (the trainer
// feeds them back and checkpoints them). Adding an optimizer means adding
// one file with an OptimizerRule (and its factory declared below), one
// Optimizer value (TrainingEnums.h) and one case in createOptimizer().
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_OPTIMIZERRULE_H
#define FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_OPTIMIZERRULE_H

#include "StepState.h"

#include "fgc/Runtime/TrainerABI.h"

#include <memory>

namespace fgc::fg::training {

/// The hyper-parameters fg-train-step's options give the optimizers.
struct OptimizerHyperParams {
  double momentum = 0.9, weightDecay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
};

class OptimizerRule {
public:
  virtual ~OptimizerRule();

  /// The suffixes of its per-parameter state buffers, in argument order
  /// (fgc/Runtime/TrainerABI.h names them).
  virtual llvm::SmallVector<llvm::StringRef> stateSuffixes() const = 0;

  /// Emits what all updates share (e.g. Adam's bias-correction step).
  virtual void begin(StepState &state) {}

  /// The new value of parameter `t` (value `w`, gradient `g`, state
  /// `stateIn`) with its learning rate scaled by `lrScale`; appends the new
  /// state to `stateOut`.
  virtual mlir::Value update(StepState &state, const Trained &t, mlir::Value w,
                             mlir::Value g, llvm::ArrayRef<mlir::Value> stateIn,
                             double lrScale,
                             llvm::SmallVectorImpl<mlir::Value> &stateOut) = 0;
};

std::unique_ptr<OptimizerRule> createSgd(const OptimizerHyperParams &params);
/// Adam (weight decay added to the gradient) or, with `decoupled`, AdamW.
std::unique_ptr<OptimizerRule> createAdam(const OptimizerHyperParams &params,
                                          bool decoupled);

std::unique_ptr<OptimizerRule>
createOptimizer(Optimizer optimizer, const OptimizerHyperParams &params);

/// Updates every trained parameter with `rule` (state arguments from
/// `stateArg` on; learning rates of heads and readout scaled by `headLr`
/// and `lastLayerLr`) and appends the new parameters (all of them, in
/// declaration order: untrained ones and those without a gradient pass
/// through) and then the new state to `results`, named in `resultNames`.
void applyUpdates(StepState &state, OptimizerRule &rule, unsigned stateArg,
                  double headLr, double lastLayerLr,
                  llvm::SmallVectorImpl<mlir::Value> &results,
                  llvm::SmallVectorImpl<std::string> &resultNames);

} // namespace fgc::fg::training

#endif // FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_OPTIMIZERRULE_H
