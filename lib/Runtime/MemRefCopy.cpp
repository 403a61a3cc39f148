//===- MemRefCopy.cpp - memref.copy between non-contiguous buffers --------===//
//
// MLIR lowers memref.copy of buffers with identity layouts to memcpy, and
// any other copy to a call of `memrefCopy` on unranked descriptors. This is
// that function (the contract of MLIR's CRunnerUtils), so generated code
// needs no MLIR runtime library.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/Blas.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace {

struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

/// Views the fields of a ranked descriptor of `rank`.
struct Strided {
  char *aligned;
  int64_t offset;
  const int64_t *sizes, *strides;

  Strided(void *descriptor, int64_t rank) {
    auto *fields = static_cast<int64_t *>(descriptor);
    aligned = reinterpret_cast<char *>(fields[1]);
    offset = fields[2];
    sizes = fields + 3;
    strides = fields + 3 + rank;
  }
};

} // namespace

extern "C" void memrefCopy(int64_t elemSize, void *srcPtr, void *dstPtr) {
  auto *src = static_cast<UnrankedMemRef *>(srcPtr);
  auto *dst = static_cast<UnrankedMemRef *>(dstPtr);
  int64_t rank = src->rank;
  Strided s(src->descriptor, rank), d(dst->descriptor, rank);
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i)
    count *= s.sizes[i];
  if (count == 0)
    return;
  std::vector<int64_t> index(rank, 0);
  int64_t srcOff = s.offset, dstOff = d.offset;
  for (int64_t n = 0; n < count; ++n) {
    std::memcpy(d.aligned + dstOff * elemSize, s.aligned + srcOff * elemSize,
                elemSize);
    // Advance the multi-index (last dimension fastest).
    for (int64_t axis = rank - 1; axis >= 0; --axis) {
      if (++index[axis] < s.sizes[axis]) {
        srcOff += s.strides[axis];
        dstOff += d.strides[axis];
        break;
      }
      srcOff -= s.strides[axis] * (s.sizes[axis] - 1);
      dstOff -= d.strides[axis] * (d.sizes[axis] - 1);
      index[axis] = 0;
    }
  }
}
