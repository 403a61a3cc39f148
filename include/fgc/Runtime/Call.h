//===- Call.h - Calling compiled functions ----------------------*- C++ -*-===//
//
// Compiled functions take every tensor as a memref descriptor; their packed
// entry point is `void (void **args)` where args[i] points to a pointer to
// the i-th descriptor (MLIR's C interface, packed). This header hides the
// descriptors: callers pass Tensors in signature order (inputs, parameters,
// then the outputs the function writes).
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_CALL_H
#define FGC_RUNTIME_CALL_H

#include "fgc/Runtime/Tensor.h"

#include <string>
#include <vector>

namespace fgc::rt {

using PackedFunction = void (*)(void **);

/// One argument of a compiled function.
struct ArgSpec {
  enum class Kind { Input, Parameter, Output };
  Kind kind;
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;

  std::string typeString() const;
};

/// Checks `tensors` against `specs` (count, dtype, shape); names the first
/// mismatching argument in `error`.
bool checkArguments(const std::vector<ArgSpec> &specs,
                    const std::vector<Tensor *> &tensors, std::string &error);

/// Calls `fn` with one descriptor per tensor, in order.
void callPacked(PackedFunction fn, const std::vector<Tensor *> &tensors);

/// Threads used by the BLAS kernels (OpenBLAS); 0 keeps the default.
void setNumThreads(int threads);

} // namespace fgc::rt

#endif // FGC_RUNTIME_CALL_H
