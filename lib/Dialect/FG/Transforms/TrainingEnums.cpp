//===- TrainingEnums.cpp - Names of the training choices ------------------===//

#include "fgc/Dialect/FG/Transforms/TrainingEnums.h"

#include "llvm/Support/ErrorHandling.h"

using namespace llvm;

namespace fgc::fg {

StringRef stringifyAlgorithm(Algorithm algo) {
  switch (algo) {
  case Algorithm::LgFgA:
    return "lg-fg-a";
  case Algorithm::FgA:
    return "fg-a";
  case Algorithm::LgFgW:
    return "lg-fg-w";
  case Algorithm::FgW:
    return "fg-w";
  case Algorithm::Readout:
    return "readout";
  }
  llvm_unreachable("unknown algorithm");
}

StringRef stringifyOptimizer(Optimizer optimizer) {
  switch (optimizer) {
  case Optimizer::Sgd:
    return "sgd";
  case Optimizer::Adam:
    return "adam";
  case Optimizer::AdamW:
    return "adamw";
  }
  llvm_unreachable("unknown optimizer");
}

StringRef stringifySchedule(Schedule schedule) {
  switch (schedule) {
  case Schedule::Constant:
    return "constant";
  case Schedule::Linear:
    return "linear";
  case Schedule::WarmupCosine:
    return "warmup-cosine";
  case Schedule::Staircase:
    return "staircase";
  }
  llvm_unreachable("unknown schedule");
}

StringRef stringifyInitScheme(InitScheme scheme) {
  switch (scheme) {
  case InitScheme::None:
    return "none";
  case InitScheme::Kaiming:
    return "kaiming";
  case InitScheme::LeCun:
    return "lecun";
  case InitScheme::Constant:
    return "constant";
  }
  llvm_unreachable("unknown init scheme");
}

StringRef stringifyDropoutMode(DropoutMode mode) {
  switch (mode) {
  case DropoutMode::Identity:
    return "identity";
  case DropoutMode::Train:
    return "train";
  }
  llvm_unreachable("unknown dropout mode");
}

cl::ValuesClass algorithmValues() {
  return cl::values(
      clEnumValN(Algorithm::LgFgA, "lg-fg-a",
                 "local losses, activity perturbation (the paper's method)"),
      clEnumValN(Algorithm::FgA, "fg-a", "global loss, activity perturbation"),
      clEnumValN(Algorithm::LgFgW, "lg-fg-w",
                 "local losses, weight perturbation"),
      clEnumValN(Algorithm::FgW, "fg-w", "global loss, weight perturbation"),
      clEnumValN(Algorithm::Readout, "readout",
                 "backbone frozen, readout trained"));
}

cl::ValuesClass optimizerValues() {
  return cl::values(
      clEnumValN(Optimizer::Sgd, "sgd", "SGD with momentum"),
      clEnumValN(Optimizer::Adam, "adam",
                 "Adam (weight decay in the gradient)"),
      clEnumValN(Optimizer::AdamW, "adamw", "AdamW (decoupled weight decay)"));
}

cl::ValuesClass scheduleValues() {
  return cl::values(
      clEnumValN(Schedule::Constant, "constant", "constant learning rate"),
      clEnumValN(Schedule::Linear, "linear", "linear decay to zero"),
      clEnumValN(Schedule::WarmupCosine, "warmup-cosine",
                 "linear warm-up, then cosine decay"),
      clEnumValN(Schedule::Staircase, "staircase",
                 "x0.1 at 50% and again at 80% of the steps"));
}

cl::ValuesClass dropoutModeValues() {
  return cl::values(clEnumValN(DropoutMode::Identity, "identity",
                               "no dropout, as in evaluation"),
                    clEnumValN(DropoutMode::Train, "train",
                               "a seeded random mask in every training step"));
}

cl::ValuesClass initSchemeValues(bool withNone) {
  auto kaiming =
      clEnumValN(InitScheme::Kaiming, "kaiming", "min(2/sqrt(fan_in), 0.1)");
  auto lecun =
      clEnumValN(InitScheme::LeCun, "lecun", "min(1/sqrt(fan_in), 0.1)");
  auto constant = clEnumValN(InitScheme::Constant, "constant", "0.1");
  if (!withNone)
    return cl::values(kaiming, lecun, constant);
  return cl::values(
      clEnumValN(InitScheme::None, "none", "keep the model's values"), kaiming,
      lecun, constant);
}

} // namespace fgc::fg
