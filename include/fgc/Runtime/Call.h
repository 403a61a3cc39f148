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

/// Threads of the compiled code (OpenMP: the generated loops and the
/// matrix products, see Blas.cpp); 0 keeps OpenMP's default
/// (OMP_NUM_THREADS, else one per core).
void setNumThreads(int threads);

/// OpenBLAS picks its kernels once, when it is loaded, from the CPU's
/// family and model; a CPU it does not know (a virtual machine's "Intel
/// Xeon Processor" with AVX-512, say) gets its oldest x86-64 kernels,
/// "Prescott" (SSE3), at a third of the speed. When that happened and the
/// user did not choose (no OPENBLAS_CORETYPE), this re-executes the program
/// (`/proc/self/exe`, the same `argv`) with the kernels the CPU's features
/// allow: SkylakeX with AVX-512, Haswell with AVX2. Returns only when
/// nothing is to be done or the exec failed. Call it first in main.
void useNativeBlasKernels(char **argv);

} // namespace fgc::rt

#endif // FGC_RUNTIME_CALL_H
