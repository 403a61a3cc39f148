//===- Call.cpp - Calling compiled functions ------------------------------===//

#include "fgc/Runtime/Call.h"

extern "C" void openblas_set_num_threads(int);

namespace fgc::rt {

std::string ArgSpec::typeString() const {
  return std::string(dtypeName(dtype)) + shapeString(shape);
}

bool checkArguments(const std::vector<ArgSpec> &specs,
                    const std::vector<Tensor *> &tensors, std::string &error) {
  if (specs.size() != tensors.size()) {
    error = "expected " + std::to_string(specs.size()) + " arguments, got " +
            std::to_string(tensors.size());
    return false;
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    const Tensor *t = tensors[i];
    if (!t || t->dtype() != specs[i].dtype || t->shape() != specs[i].shape) {
      error = "'" + specs[i].name + "' must be " + specs[i].typeString() +
              ", got " + (t ? t->typeString() : "nothing");
      return false;
    }
  }
  return true;
}

void callPacked(PackedFunction fn, const std::vector<Tensor *> &tensors) {
  // A memref descriptor is {T *allocated, T *aligned, i64 offset,
  // i64 sizes[rank], i64 strides[rank]}; all fields are 8 bytes wide.
  std::vector<std::vector<int64_t>> descriptors(tensors.size());
  std::vector<void *> descriptorPtrs(tensors.size());
  std::vector<void *> args(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    Tensor &t = *tensors[i];
    std::vector<int64_t> &d = descriptors[i];
    d.resize(3 + 2 * t.rank());
    auto ptr = reinterpret_cast<int64_t>(t.data());
    d[0] = ptr;
    d[1] = ptr;
    d[2] = 0;
    int64_t stride = 1;
    for (int64_t r = t.rank() - 1; r >= 0; --r) {
      d[3 + r] = t.shape()[r];
      d[3 + t.rank() + r] = stride;
      stride *= t.shape()[r];
    }
    descriptorPtrs[i] = d.data();
    args[i] = &descriptorPtrs[i];
  }
  fn(args.data());
}

void setNumThreads(int threads) {
  if (threads > 0)
    openblas_set_num_threads(threads);
}

} // namespace fgc::rt
