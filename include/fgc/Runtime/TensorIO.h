//===- TensorIO.h - Tensors as .npy and ONNX TensorProto files --*- C++ -*-===//
//
// Reading and writing NumPy .npy (format 1.0-3.0, little-endian, C order)
// and serialized ONNX TensorProto (.pb) files. The TensorProto codec is a
// small protobuf wire-format reader/writer for that one message, so the
// runtime (and the trainers that link it) need no protobuf library.
//
// Every function returns false and sets `error` (one line, without the file
// name, which callers add) on failure; a failed write leaves no file.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_TENSORIO_H
#define FGC_RUNTIME_TENSORIO_H

#include "fgc/Runtime/Tensor.h"

#include <string>
#include <vector>

namespace fgc::rt {

/// The element count of `shape` in `count`; false with `error` set for a
/// negative dimension or more elements than a tensor file may hold.
bool checkedCount(const std::vector<int64_t> &shape, int64_t &count,
                  std::string &error);

bool parseNpy(const std::string &bytes, Tensor &out, std::string &error);
std::string serializeNpy(const Tensor &tensor);

/// `name` receives the TensorProto's name field (may be empty).
bool parseTensorProto(const std::string &bytes, Tensor &out, std::string &name,
                      std::string &error);
std::string serializeTensorProto(const Tensor &tensor,
                                 const std::string &name = "");

/// Reads a .npy or .pb file (chosen by the NumPy magic, else TensorProto).
bool readTensorFile(const std::string &path, Tensor &out, std::string &error);
/// Writes by extension: ".pb" as TensorProto, anything else as .npy. The
/// file is written to a temporary name and renamed into place.
bool writeTensorFile(const std::string &path, const Tensor &tensor,
                     std::string &error);

/// Whole-file helpers (atomic write: temporary file, fsync, rename).
bool readFile(const std::string &path, std::string &bytes, std::string &error);
bool writeFileAtomically(const std::string &path, const std::string &bytes,
                         std::string &error);

} // namespace fgc::rt

#endif // FGC_RUNTIME_TENSORIO_H
