//===- LiveMemory.h - Bytes a tensor program keeps alive -------*- C++ -*-===//
//
// An estimate, on tensors before bufferization, of the memory a function's
// body allocates: which results get a buffer of their own, how long each
// buffer lives, and the most that is alive at once in the body's order.
// fgc-schedule-for-memory reports it before and after reordering; `fgc
// inspect` plans a training step's activation memory with it.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_TRANSFORMS_LIVEMEMORY_H
#define FGC_TRANSFORMS_LIVEMEMORY_H

#include <cstdint>

namespace mlir {
class Block;
} // namespace mlir

namespace fgc {

struct LiveMemory {
  /// The most bytes alive at once when every buffer is freed after the last
  /// use of any value that aliases it.
  int64_t peakBytes = 0;
  /// The bytes of all buffers together: what is alive at the end when none
  /// is freed before the body returns.
  int64_t totalBytes = 0;
  /// The number of buffers counted.
  int64_t buffers = 0;
};

/// The buffers the straight-line tensor code of `body` will allocate, as
/// one-shot bufferization makes them: a destination-passing op (linalg)
/// writes into its init operand's buffer when that is this body's and read
/// no later, else (a `tensor.empty`, shared by every op CSE gave it to, an
/// argument, a value still needed) into a new one; a reshape, cast or slice
/// views its source; any other tensor-producing op allocates. Block
/// arguments (the caller's buffers),
/// constants (global data) and the buffers of returned values (out-
/// parameters the caller provides) are not counted. Dynamic shapes count
/// zero bytes.
LiveMemory estimateLiveMemory(mlir::Block &body);

} // namespace fgc

#endif // FGC_TRANSFORMS_LIVEMEMORY_H
