//===- Call.cpp - Calling compiled functions ------------------------------===//

#include "fgc/Runtime/Call.h"

#include <cstdlib>
#include <cstring>
#include <omp.h>
#include <strings.h>
#include <unistd.h>

extern "C" char *openblas_get_corename(void);

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
    omp_set_num_threads(threads);
}

void useNativeBlasKernels(char **argv) {
#if defined(__x86_64__) && defined(__linux__)
  if (std::getenv("OPENBLAS_CORETYPE"))
    return;
  const char *core = openblas_get_corename();
  if (!core || strcasecmp(core, "prescott") != 0)
    return;
  __builtin_cpu_init();
  const char *native = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                       : __builtin_cpu_supports("avx2")  ? "Haswell"
                                                         : nullptr;
  if (!native)
    return;
  // Set even if the exec fails: a child started later must not loop.
  setenv("OPENBLAS_CORETYPE", native, /*overwrite=*/1);
  execv("/proc/self/exe", argv);
#else
  (void)argv;
#endif
}

} // namespace fgc::rt
