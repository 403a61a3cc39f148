//===- Adam.cpp - Adam and AdamW ------------------------------------------===//
//
// m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
// w <- w - lr * lrScale * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// with t = step + 1. Adam adds weight decay * w to the gradient of weights;
// AdamW (decoupled) adds it to the update instead.
//
//===----------------------------------------------------------------------===//

#include "OptimizerRule.h"

using namespace mlir;

namespace fgc::fg::training {

namespace {

class Adam : public OptimizerRule {
public:
  Adam(const OptimizerHyperParams &params, bool decoupled)
      : params(params), decoupled(decoupled) {}

  SmallVector<StringRef> stateSuffixes() const override {
    return {rt::abi::kAdamM, rt::abi::kAdamV};
  }

  void begin(StepState &s) override {
    Type elt = typeOf(s.lr).getElementType();
    t1 = s.e.add(
        CastOp::create(s.b, s.loc, RankedTensorType::get({}, elt), s.step),
        s.e.scalar(elt, 1.0));
  }

  Value update(StepState &s, const Trained &t, Value w, Value g,
               ArrayRef<Value> stateIn, double lrScale,
               SmallVectorImpl<Value> &stateOut) override {
    Emitter &e = s.e;
    Type elt = typeOf(s.lr).getElementType();
    double b1 = params.beta1, b2 = params.beta2;
    bool decay = t.weight && params.weightDecay != 0.0;
    if (!decoupled && decay)
      g = e.add(g, e.mul(w, params.weightDecay));
    Value m = e.add(e.mul(stateIn[0], b1), e.mul(g, 1.0 - b1));
    Value v2 = e.add(e.mul(stateIn[1], b2), e.mul(e.mul(g, g), 1.0 - b2));
    Value c1 = e.sub(e.scalar(elt, 1.0),
                     PowOp::create(s.b, s.loc, e.scalar(elt, b1), t1));
    Value c2 = e.sub(e.scalar(elt, 1.0),
                     PowOp::create(s.b, s.loc, e.scalar(elt, b2), t1));
    Value upd =
        e.div(e.div(m, c1), e.add(SqrtOp::create(s.b, s.loc, e.div(v2, c2)),
                                  e.scalar(elt, params.epsilon)));
    if (decoupled && decay)
      upd = e.add(upd, e.mul(w, params.weightDecay));
    stateOut.append({m, v2});
    return e.sub(w, e.mul(e.mul(upd, s.lr), lrScale));
  }

private:
  OptimizerHyperParams params;
  bool decoupled;
  /// The step count t = step + 1 of the bias corrections.
  Value t1;
};

} // namespace

std::unique_ptr<OptimizerRule> createAdam(const OptimizerHyperParams &params,
                                          bool decoupled) {
  return std::make_unique<Adam>(params, decoupled);
}

} // namespace fgc::fg::training
