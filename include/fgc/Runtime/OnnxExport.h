//===- OnnxExport.h - Trained initializers into an ONNX model ---*- C++ -*-===//
//
// Rewrites a serialized ONNX ModelProto with new values for some of its
// graph initializers, working on the protobuf wire format directly (like
// the TensorProto codec in TensorIO.h), so trainers need no protobuf
// library. Everything else in the model is kept byte for byte.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_ONNXEXPORT_H
#define FGC_RUNTIME_ONNXEXPORT_H

#include "fgc/Runtime/Tensor.h"

#include <map>
#include <set>
#include <string>

namespace fgc::rt {

/// Replaces the graph initializers named in `values` (each must exist, with
/// the same element count, with or without its values) and returns the new
/// model in `out`.
bool replaceInitializers(const std::string &model,
                         const std::map<std::string, const Tensor *> &values,
                         std::string &out, std::string &error);

/// Drops the values of the graph initializers named in `names` (each must
/// exist), keeping their names, element types and shapes: a trainer holds
/// those values in its parameter table and puts them back
/// (replaceInitializers) when it exports, so it embeds each parameter once.
/// The result is not a complete model until then.
bool stripInitializers(const std::string &model,
                       const std::set<std::string> &names, std::string &out,
                       std::string &error);

} // namespace fgc::rt

#endif // FGC_RUNTIME_ONNXEXPORT_H
