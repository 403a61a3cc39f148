//===- Sgd.cpp - SGD with momentum ----------------------------------------===//
//
// m <- momentum * m + lrScale * g (+ weight decay * w on weights);
// w <- w - lr * m. Weight decay is coupled, as in torch.optim.SGD. This
// file also holds createOptimizer(), the map from the option to the rule.
//
//===----------------------------------------------------------------------===//

#include "OptimizerRule.h"

using namespace mlir;

namespace fgc::fg::training {

OptimizerRule::~OptimizerRule() = default;

namespace {

class Sgd : public OptimizerRule {
public:
  explicit Sgd(const OptimizerHyperParams &params) : params(params) {}

  SmallVector<StringRef> stateSuffixes() const override {
    return {rt::abi::kMomentum};
  }

  Value update(StepState &s, const Trained &t, Value w, Value g,
               ArrayRef<Value> stateIn, double lrScale,
               SmallVectorImpl<Value> &stateOut) override {
    Emitter &e = s.e;
    if (lrScale != 1.0)
      g = e.mul(g, lrScale);
    if (t.weight && params.weightDecay != 0.0)
      g = e.add(g, e.mul(w, params.weightDecay));
    Value m = e.add(e.mul(stateIn[0], params.momentum), g);
    stateOut.push_back(m);
    return e.sub(w, e.mul(m, s.lr));
  }

private:
  OptimizerHyperParams params;
};

} // namespace

std::unique_ptr<OptimizerRule> createSgd(const OptimizerHyperParams &params) {
  return std::make_unique<Sgd>(params);
}

std::unique_ptr<OptimizerRule>
createOptimizer(Optimizer optimizer, const OptimizerHyperParams &params) {
  switch (optimizer) {
  case Optimizer::Sgd:
    return createSgd(params);
  case Optimizer::Adam:
    return createAdam(params, /*decoupled=*/false);
  case Optimizer::AdamW:
    return createAdam(params, /*decoupled=*/true);
  }
  llvm_unreachable("unknown optimizer");
}

} // namespace fgc::fg::training
