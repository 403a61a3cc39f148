//===- Tensor.cpp - Host tensors of the fgc runtime -----------------------===//

#include "fgc/Runtime/Tensor.h"

#include <cstdio>
#include <cstdlib>

namespace fgc::rt {

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::Bool:
    return 1;
  }
  return 0;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I64:
    return "i64";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

void Tensor::Free::operator()(void *p) const { std::free(p); }

Tensor::Tensor(DType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)) {
  // aligned_alloc needs a size that is a multiple of the alignment; keep at
  // least one line so that empty tensors still have a valid pointer.
  size_t bytes = (byteSize() + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, bytes ? bytes : 64);
  if (!p) {
    std::fprintf(stderr,
                 "fgc: out of memory allocating %zu bytes for a %s "
                 "tensor\n",
                 bytes, typeString().c_str());
    std::exit(1);
  }
  storage_.reset(p);
}

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

std::string Tensor::typeString() const {
  return std::string(dtypeName(dtype_)) + shapeString(shape_);
}

} // namespace fgc::rt
