//===- Tensor.h - Host tensors of the fgc runtime ---------------*- C++ -*-===//
//
// The runtime is plain C++ (no LLVM or MLIR): trainers link it and must run
// without the compiler's libraries.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_TENSOR_H
#define FGC_RUNTIME_TENSOR_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fgc::rt {

/// Element types of runtime tensors. Bool is one byte per element, 0 or 1
/// (how NumPy, ONNX raw data and MLIR's i1 memrefs store it).
enum class DType { F32, F64, I64, Bool };

/// Bytes per element.
size_t dtypeSize(DType dtype);
/// "f32", "f64", "i64", "bool".
const char *dtypeName(DType dtype);

/// "[2x3x4]" (or "[]" for a scalar).
std::string shapeString(const std::vector<int64_t> &shape);

/// An owning, dense, row-major tensor with 64-byte aligned storage.
class Tensor {
public:
  Tensor() = default;
  Tensor(DType dtype, std::vector<int64_t> shape);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numElements() const;
  size_t byteSize() const { return numElements() * dtypeSize(dtype_); }

  void *data() { return storage_.get(); }
  const void *data() const { return storage_.get(); }
  template <typename T> T *data() { return static_cast<T *>(data()); }
  template <typename T> const T *data() const {
    return static_cast<const T *>(data());
  }

  /// "f32[2x3]".
  std::string typeString() const;

private:
  struct Free {
    void operator()(void *p) const;
  };
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  std::unique_ptr<void, Free> storage_;
};

} // namespace fgc::rt

#endif // FGC_RUNTIME_TENSOR_H
