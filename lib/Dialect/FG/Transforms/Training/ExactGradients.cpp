//===- ExactGradients.cpp - Local heads and readout by their VJPs ---------===//
//
// Every algorithm trains the local heads and the readout classifier with
// their exact gradients (spec §2.5): each is a few ops after a stop-gradient,
// so its reverse-mode rule is cheap and local. This estimator also holds
// createEstimators(), the map from an algorithm to its estimators.
//
//===----------------------------------------------------------------------===//

#include "GradientEstimator.h"

using namespace mlir;

namespace fgc::fg::training {

GradientEstimator::~GradientEstimator() = default;

namespace {

class ExactHeadGradients : public GradientEstimator {
public:
  LogicalResult addGradients(StepState &s) override {
    for (LocalLossOpInterface h : s.heads) {
      RankedTensorType t = h.getType();
      if (failed(s.pullBack(
              {h.getOperation()}, h.getResult(),
              s.e.splat(t, 1.0 / static_cast<double>(t.getNumElements())))))
        return failure();
    }
    if (!s.readoutLayer.op)
      return success();
    SmallVector<Operation *> chainOps = s.readoutLayer.ops();
    llvm::append_range(chainOps, s.readoutLayer.tail);
    chainOps.push_back(s.readoutLoss);
    return s.pullBack(
        chainOps, s.readoutLoss.getResult(),
        s.e.splat(s.readoutLoss.getType(), 1.0 / static_cast<double>(s.n)));
  }
};

} // namespace

std::unique_ptr<GradientEstimator> createExactHeadGradients() {
  return std::make_unique<ExactHeadGradients>();
}

SmallVector<std::unique_ptr<GradientEstimator>>
createEstimators(Algorithm algo) {
  SmallVector<std::unique_ptr<GradientEstimator>> estimators;
  if (perturbsActivities(algo))
    estimators.push_back(createActivityPerturbation());
  if (perturbsWeights(algo))
    estimators.push_back(createWeightPerturbation());
  estimators.push_back(createExactHeadGradients());
  return estimators;
}

} // namespace fgc::fg::training
