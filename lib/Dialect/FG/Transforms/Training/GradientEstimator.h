//===- GradientEstimator.h - One way of computing a gradient ----*- C++ -*-===//
//
// A gradient estimator, given the partition and the forward sweep of
// @train_step, adds the gradient of the parameters it is responsible for to
// StepState::grads. fg-train-step runs the estimators of its algorithm in
// three stages: declareTangents (the explicit-tangent arguments), then
// addDirections (before the one forward-mode sweep, which propagates every
// estimator's directions at once), then addGradients.
//
// Adding a learning rule (backprop, feedback alignment) means adding one
// file with a GradientEstimator (and its factory declared below), one
// Algorithm value (TrainingEnums.h) and one case in createEstimators().
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_GRADIENTESTIMATOR_H
#define FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_GRADIENTESTIMATOR_H

#include "StepState.h"

#include <memory>

namespace fgc::fg::training {

class GradientEstimator {
public:
  virtual ~GradientEstimator();

  /// Whether it seeds tangents: the forward sweep runs only if one does.
  virtual bool perturbs() const { return false; }

  /// Appends the arguments that carry its directions when they are given
  /// instead of drawn (explicit-tangents). `localSites` are the
  /// perturbation points of @local_losses in site order.
  virtual void declareTangents(const Plan &plan, const StepState &state,
                               llvm::ArrayRef<PerturbOp> localSites,
                               Signature &signature) const {}

  /// Draws (or takes from StepState::nextTangent on) its directions into
  /// StepState::siteTangent / paramTangent; the builder is at the start of
  /// the body.
  virtual void addDirections(StepState &state, bool explicitTangents) {}

  /// Adds its gradients to StepState::grads after the sweep.
  virtual mlir::LogicalResult addGradients(StepState &state) = 0;
};

/// Activity perturbation (FG-A, LG-FG-A): J u pulled back to the weights.
std::unique_ptr<GradientEstimator> createActivityPerturbation();
/// Weight perturbation (FG-W, LG-FG-W): J v per parameter.
std::unique_ptr<GradientEstimator> createWeightPerturbation();
/// Exact gradients of the local heads and the readout (their own VJPs).
std::unique_ptr<GradientEstimator> createExactHeadGradients();

/// The estimators of `algo`, in the order their gradients are built.
llvm::SmallVector<std::unique_ptr<GradientEstimator>>
createEstimators(Algorithm algo);

} // namespace fgc::fg::training

#endif // FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_GRADIENTESTIMATOR_H
