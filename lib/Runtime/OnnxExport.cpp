//===- OnnxExport.cpp - Trained initializers into an ONNX model -----------===//

#include "fgc/Runtime/OnnxExport.h"

#include "fgc/Runtime/TensorIO.h"

#include <set>

namespace fgc::rt {

namespace {

struct Field {
  uint64_t number = 0;
  unsigned wire = 0;
  size_t begin = 0, end = 0;               // the whole field, tag included
  size_t payloadBegin = 0, payloadEnd = 0; // length-delimited payload
};

bool readVarint(const std::string &b, size_t &at, uint64_t &v) {
  v = 0;
  for (int shift = 0; shift < 64 && at < b.size(); shift += 7) {
    uint8_t byte = b[at++];
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return true;
  }
  return false;
}

void writeVarint(std::string &out, uint64_t v) {
  while (v >= 0x80) {
    out += char((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += char(v);
}

/// Splits a message into its fields; false on malformed input.
bool fields(const std::string &b, std::vector<Field> &out) {
  size_t at = 0;
  while (at < b.size()) {
    Field f;
    f.begin = at;
    uint64_t tag;
    if (!readVarint(b, at, tag))
      return false;
    f.number = tag >> 3;
    f.wire = tag & 7;
    uint64_t v;
    switch (f.wire) {
    case 0:
      if (!readVarint(b, at, v))
        return false;
      break;
    case 1:
      at += 8;
      break;
    case 5:
      at += 4;
      break;
    case 2:
      if (!readVarint(b, at, v) || v > b.size() - at)
        return false;
      f.payloadBegin = at;
      f.payloadEnd = at + v;
      at += v;
      break;
    default:
      return false;
    }
    if (at > b.size())
      return false;
    f.end = at;
    out.push_back(f);
  }
  return true;
}

void appendField(std::string &out, uint64_t number,
                 const std::string &payload) {
  writeVarint(out, (number << 3) | 2);
  writeVarint(out, payload.size());
  out += payload;
}

} // namespace

bool replaceInitializers(const std::string &model,
                         const std::map<std::string, const Tensor *> &values,
                         std::string &out, std::string &error) {
  std::vector<Field> top;
  if (!fields(model, top)) {
    error = "the embedded ONNX model is malformed";
    return false;
  }
  std::set<std::string> replaced;
  out.clear();
  for (const Field &f : top) {
    if (f.number != 7 || f.wire != 2) { // ModelProto.graph
      out.append(model, f.begin, f.end - f.begin);
      continue;
    }
    std::string graph =
        model.substr(f.payloadBegin, f.payloadEnd - f.payloadBegin);
    std::vector<Field> gf;
    if (!fields(graph, gf)) {
      error = "the embedded ONNX graph is malformed";
      return false;
    }
    std::string newGraph;
    for (const Field &g : gf) {
      if (g.number == 5 && g.wire == 2) { // GraphProto.initializer
        std::string bytes =
            graph.substr(g.payloadBegin, g.payloadEnd - g.payloadBegin);
        Tensor old;
        std::string name, why;
        if (!parseTensorProto(bytes, old, name, why)) {
          error = "embedded initializer: " + why;
          return false;
        }
        auto it = values.find(name);
        if (it != values.end()) {
          if (it->second->numElements() != old.numElements()) {
            error = "initializer '" + name + "' has " +
                    std::to_string(old.numElements()) +
                    " elements, the "
                    "trained value " +
                    std::to_string(it->second->numElements());
            return false;
          }
          appendField(newGraph, 5, serializeTensorProto(*it->second, name));
          replaced.insert(name);
          continue;
        }
      }
      newGraph.append(graph, g.begin, g.end - g.begin);
    }
    appendField(out, 7, newGraph);
  }
  for (const auto &[name, t] : values)
    if (!replaced.count(name)) {
      error = "the ONNX model has no initializer '" + name + "'";
      return false;
    }
  return true;
}

} // namespace fgc::rt
