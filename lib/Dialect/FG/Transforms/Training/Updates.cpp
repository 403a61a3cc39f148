//===- Updates.cpp - Applying the optimizer to every trained parameter ----===//

#include "OptimizerRule.h"

using namespace mlir;

namespace fgc::fg::training {

void applyUpdates(StepState &s, OptimizerRule &rule, unsigned stateArg,
                  double headLr, double lastLayerLr,
                  SmallVectorImpl<Value> &results,
                  SmallVectorImpl<std::string> &resultNames) {
  llvm::StringMap<std::pair<Value, SmallVector<Value>>> updated;
  SmallVector<StringRef> states = rule.stateSuffixes();
  rule.begin(s);
  for (const Trained &t : s.plan.trained) {
    Value w = s.paramArg.lookup(t.name);
    SmallVector<Value> st;
    for (size_t i = 0; i < states.size(); ++i)
      st.push_back(s.body->getArgument(stateArg++));
    Value g = s.grads.lookup(t.name);
    if (!g) {
      updated[t.name] = {w, st};
      continue;
    }
    double lrScale = t.role == Role::Head      ? double(headLr)
                     : t.role == Role::Readout ? double(lastLayerLr)
                                               : 1.0;
    SmallVector<Value> newState;
    Value nw = rule.update(s, t, w, g, st, lrScale, newState);
    updated[t.name] = {nw, newState};
  }
  for (const std::string &p : s.plan.params) {
    auto it = updated.find(p);
    Value state = s.stateUpdates.lookup(p);
    results.push_back(it != updated.end() ? it->second.first
                      : state             ? state
                                          : s.paramArg.lookup(p));
    resultNames.push_back(p);
  }
  for (const Trained &t : s.plan.trained)
    for (auto [suffix, v] : llvm::zip(states, updated[t.name].second)) {
      results.push_back(v);
      resultNames.push_back(t.name + "." + suffix.str());
    }
}

} // namespace fgc::fg::training
