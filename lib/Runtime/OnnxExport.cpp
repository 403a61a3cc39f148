//===- OnnxExport.cpp - Trained initializers into an ONNX model -----------===//

#include "fgc/Runtime/OnnxExport.h"

#include "fgc/Runtime/TensorIO.h"

#include <functional>
#include <set>

namespace fgc::rt {

namespace {

struct Field {
  uint64_t number = 0;
  unsigned wire = 0;
  size_t begin = 0, end = 0;               // the whole field, tag included
  size_t payloadBegin = 0, payloadEnd = 0; // length-delimited payload
  uint64_t value = 0;                      // a varint's value
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
      if (!readVarint(b, at, f.value))
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

/// What a TensorProto says about itself apart from its values, and its
/// fields.
struct TensorHeader {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<Field> fields;
};

bool readHeader(const std::string &b, TensorHeader &out) {
  if (!fields(b, out.fields))
    return false;
  for (const Field &f : out.fields) {
    if (f.number == 8 && f.wire == 2) { // TensorProto.name
      out.name = b.substr(f.payloadBegin, f.payloadEnd - f.payloadBegin);
    } else if (f.number == 1 && f.wire == 0) { // dims, one per field
      out.dims.push_back(int64_t(f.value));
    } else if (f.number == 1 && f.wire == 2) { // dims, packed
      for (size_t at = f.payloadBegin; at < f.payloadEnd;) {
        uint64_t d;
        if (!readVarint(b, at, d) || at > f.payloadEnd)
          return false;
        out.dims.push_back(int64_t(d));
      }
    }
  }
  return true;
}

/// Copies `model` with each graph initializer passed through `rewrite`
/// (its header and TensorProto bytes in, its new bytes out; false with
/// `error` set stops). Everything else is kept byte for byte.
bool rewriteInitializers(
    const std::string &model,
    const std::function<bool(const TensorHeader &, const std::string &,
                             std::string &, std::string &)> &rewrite,
    std::string &out, std::string &error) {
  std::vector<Field> top;
  if (!fields(model, top)) {
    error = "the embedded ONNX model is malformed";
    return false;
  }
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
      if (g.number != 5 || g.wire != 2) { // GraphProto.initializer
        newGraph.append(graph, g.begin, g.end - g.begin);
        continue;
      }
      std::string bytes =
          graph.substr(g.payloadBegin, g.payloadEnd - g.payloadBegin);
      TensorHeader header;
      if (!readHeader(bytes, header)) {
        error = "an embedded initializer is malformed";
        return false;
      }
      std::string replaced;
      if (!rewrite(header, bytes, replaced, error))
        return false;
      appendField(newGraph, 5, replaced);
    }
    appendField(out, 7, newGraph);
  }
  return true;
}

/// An error naming the first of `wanted` that is not in `seen`.
bool allSeen(const std::set<std::string> &wanted,
             const std::set<std::string> &seen, std::string &error) {
  for (const std::string &name : wanted)
    if (!seen.count(name)) {
      error = "the ONNX model has no initializer '" + name + "'";
      return false;
    }
  return true;
}

} // namespace

bool replaceInitializers(const std::string &model,
                         const std::map<std::string, const Tensor *> &values,
                         std::string &out, std::string &error) {
  std::set<std::string> wanted, replaced;
  for (const auto &[name, t] : values)
    wanted.insert(name);
  auto rewrite = [&](const TensorHeader &h, const std::string &bytes,
                     std::string &result, std::string &why) {
    auto it = values.find(h.name);
    if (it == values.end()) {
      result = bytes;
      return true;
    }
    int64_t count;
    if (!checkedCount(h.dims, count, why)) {
      why = "initializer '" + h.name + "': " + why;
      return false;
    }
    if (count != it->second->numElements()) {
      why = "initializer '" + h.name + "' has " + std::to_string(count) +
            " elements, the trained value " +
            std::to_string(it->second->numElements());
      return false;
    }
    result = serializeTensorProto(*it->second, h.name);
    replaced.insert(h.name);
    return true;
  };
  return rewriteInitializers(model, rewrite, out, error) &&
         allSeen(wanted, replaced, error);
}

bool stripInitializers(const std::string &model,
                       const std::set<std::string> &names, std::string &out,
                       std::string &error) {
  std::set<std::string> stripped;
  auto rewrite = [&](const TensorHeader &h, const std::string &bytes,
                     std::string &result, std::string &) {
    if (!names.count(h.name)) {
      result = bytes;
      return true;
    }
    // Keep every field but the values: float_data, int32_data, string_data,
    // int64_data, raw_data, double_data, uint64_data and the external-data
    // fields (4-7, 9-11, 13, 14).
    result.clear();
    for (const Field &f : h.fields)
      if (!(f.number >= 4 && f.number <= 7) &&
          !(f.number >= 9 && f.number <= 11) && f.number != 13 &&
          f.number != 14)
        result.append(bytes, f.begin, f.end - f.begin);
    stripped.insert(h.name);
    return true;
  };
  return rewriteInitializers(model, rewrite, out, error) &&
         allSeen(names, stripped, error);
}

} // namespace fgc::rt
