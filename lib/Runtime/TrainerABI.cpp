//===- TrainerABI.cpp - Names of the compiled functions' arguments --------===//
//
// The helpers of TrainerABI.h that form and recognise argument and result
// names, and that assign roles to @train_step's arguments.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/TrainerABI.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

namespace fgc::rt {

namespace abi {

std::string stateName(const std::string &param, const char *suffix) {
  return param + "." + suffix;
}

static bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isOptimizerState(const std::string &name) {
  for (const char *suffix : {kMomentum, kAdamM, kAdamV})
    if (endsWith(name, std::string(".") + suffix))
      return true;
  return false;
}

std::string tangentName(const std::string &name) {
  return name + kTangentSuffix;
}

bool isTangent(const std::string &name) {
  return endsWith(name, kTangentSuffix);
}

std::string cotangentName(const std::string &name) {
  return name + kCotangentSuffix;
}

bool isCotangent(const std::string &name) {
  return endsWith(name, kCotangentSuffix);
}

std::string blockLossName(int64_t block) {
  return kBlockLossPrefix + std::to_string(block);
}

bool isBlockLoss(const std::string &name) {
  return name.rfind(kBlockLossPrefix, 0) == 0;
}

bool parseBlockLoss(const std::string &name, int64_t &block) {
  if (!isBlockLoss(name))
    return false;
  const char *digits = name.c_str() + std::strlen(kBlockLossPrefix);
  for (const char *c = digits; *c; ++c)
    if (!std::isdigit(static_cast<unsigned char>(*c)))
      return false;
  errno = 0;
  long long v = std::strtoll(digits, nullptr, 10);
  if (!*digits || errno)
    return false;
  block = v;
  return true;
}

std::string lossLabel(const std::string &name) {
  // Every loss result is "loss.<what>"; reports show <what>.
  return name.rfind("loss.", 0) == 0 ? name.substr(5) : name;
}

const ArgSpec *findImageInput(const std::vector<ArgSpec> &args) {
  const ArgSpec *image = nullptr;
  for (const ArgSpec &a : args)
    if (a.kind == ArgSpec::Kind::Input && a.name != kLabels &&
        a.shape.size() >= 2 && a.dtype == DType::F32 &&
        a.name.find('.') == std::string::npos)
      image = &a;
  return image;
}

std::vector<const ArgSpec *> fedBackInputs(const std::vector<ArgSpec> &args) {
  std::set<std::string> returned;
  for (const ArgSpec &a : args)
    if (a.kind == ArgSpec::Kind::Output)
      returned.insert(a.name);
  std::vector<const ArgSpec *> fed;
  for (const ArgSpec &a : args)
    if (a.kind == ArgSpec::Kind::Input && returned.count(a.name))
      fed.push_back(&a);
  return fed;
}

bool isMetric(const ArgSpec &arg) {
  return arg.kind == ArgSpec::Kind::Output && arg.shape.empty();
}

} // namespace abi

} // namespace fgc::rt
