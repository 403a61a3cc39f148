//===- ModelDescription.cpp - The blob fgc embeds in trainers -------------===//
//
// Writing and reading the format documented in TrainerABI.h. The writer is
// the compiler's (fgc compile -o EXE), the reader the trainer's; both live
// here so that a change to one cannot miss the other.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/TrainerABI.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace fgc::rt {

//===--- Writing ----------------------------------------------------------===//

std::string formatDescriptionDouble(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-INF" : "INF";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6e", value);
  return buf;
}

static const char *kindName(ArgSpec::Kind kind) {
  switch (kind) {
  case ArgSpec::Kind::Input:
    return "input";
  case ArgSpec::Kind::Parameter:
    return "param";
  case ArgSpec::Kind::Output:
    return "output";
  }
  return "?";
}

static std::string shapeFields(const std::vector<int64_t> &shape) {
  std::string s = std::to_string(shape.size());
  for (int64_t d : shape)
    s += " " + std::to_string(d);
  return s;
}

void ModelDescription::addParameter(const std::string &name, bool isModel,
                                    const Tensor &value) {
  if (parsed) {
    owned.assign(viewed.data(), viewed.size());
    parsed = false;
  }
  ParameterEntry p;
  p.name = name;
  p.model = isModel;
  p.dtype = value.dtype();
  p.offset = onnxOffset;
  p.size = value.byteSize();
  p.shape = value.shape();
  owned.insert(onnxOffset, static_cast<const char *>(value.data()), p.size);
  onnxOffset += p.size;
  params.push_back(std::move(p));
}

void ModelDescription::setOnnx(std::string_view bytes) {
  if (parsed) {
    owned.assign(viewed.data(), viewed.size());
    parsed = false;
  }
  owned.resize(onnxOffset);
  owned.append(bytes.data(), bytes.size());
  onnxSize = bytes.size();
}

std::vector<std::pair<std::string, std::string>>
ModelDescription::facts() const {
  auto boolean = [](bool b) { return std::string(b ? "true" : "false"); };
  std::vector<std::pair<std::string, std::string>> f = {
      {"model", model},
      {"algorithm", algorithm},
      {"batch", std::to_string(batch)},
      {"classes", std::to_string(classes)},
      {"tangents", std::to_string(tangents)},
      {"optimizer", optimizer},
      {"momentum", formatDescriptionDouble(momentum)},
      {"weight-decay", formatDescriptionDouble(weightDecay)},
      {"head-lr", formatDescriptionDouble(headLr)},
      {"last-layer-lr", formatDescriptionDouble(lastLayerLr)},
      {"schedule", schedule},
      {"spatial-loss", boolean(spatialLoss)},
      {"modular-loss", boolean(modularLoss)}};
  if (!blocks.empty())
    f.push_back({"blocks", blocks});
  if (dropout != "identity")
    f.push_back({"dropout", dropout});
  return f;
}

std::string ModelDescription::header() const {
  if (parsed)
    return parsedHeader;
  std::string s = "fgc-trainer 1\n";
  for (const auto &[key, value] : facts())
    s += "fact " + key + " " + value + "\n";
  for (const FunctionSignature &sig : functions) {
    s += "function " + sig.name + "\n";
    for (const ArgSpec &a : sig.args)
      s += std::string("arg ") + kindName(a.kind) + " " + a.name + " " +
           dtypeName(a.dtype) + " " + shapeFields(a.shape) + "\n";
  }
  for (const ParameterEntry &p : params)
    s += std::string("tensor ") + (p.model ? "model" : "head") + " " + p.name +
         " " + dtypeName(p.dtype) + " " + std::to_string(p.offset) + " " +
         std::to_string(p.size) + " " + shapeFields(p.shape) + "\n";
  s += "onnx " + std::to_string(onnxOffset) + " " + std::to_string(onnxSize);
  return s;
}

std::string ModelDescription::serialize() const {
  std::string_view data = dataSection();
  std::string s = header();
  s.reserve(s.size() + 6 + data.size());
  s += "\ndata\n";
  s.append(data.data(), data.size());
  return s;
}

const FunctionSignature *
ModelDescription::function(const std::string &name) const {
  for (const FunctionSignature &f : functions)
    if (f.name == name)
      return &f;
  return nullptr;
}

//===--- Reading ----------------------------------------------------------===//

namespace {

const char kDamaged[] = "the embedded model description is damaged";

std::vector<std::string> tokens(const std::string &line) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < line.size()) {
    size_t next = line.find(' ', at);
    if (next == std::string::npos)
      next = line.size();
    if (next > at)
      out.push_back(line.substr(at, next - at));
    at = next + 1;
  }
  return out;
}

bool toInt(const std::string &s, int64_t &v) {
  char *end = nullptr;
  errno = 0;
  long long x = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || errno)
    return false;
  v = x;
  return true;
}

bool toUnsigned(const std::string &s, uint64_t &v) {
  char *end = nullptr;
  errno = 0;
  unsigned long long x = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || s[0] == '-' || *end || errno)
    return false;
  v = x;
  return true;
}

bool toDType(const std::string &s, DType &d) {
  for (DType t : {DType::F32, DType::F64, DType::I64, DType::Bool})
    if (s == dtypeName(t)) {
      d = t;
      return true;
    }
  return false;
}

/// Reads "<rank> <dim>..." from `t` at `first`, which must end the line.
bool toShape(const std::vector<std::string> &t, size_t first,
             std::vector<int64_t> &shape) {
  uint64_t rank;
  if (t.size() <= first || !toUnsigned(t[first], rank) ||
      t.size() - first - 1 != rank)
    return false;
  shape.resize(rank);
  for (size_t i = 0; i < rank; ++i)
    if (!toInt(t[first + 1 + i], shape[i]))
      return false;
  return true;
}

/// Bytes of a dense `dtype` tensor of `shape`; false on a negative dimension
/// or overflow.
bool denseBytes(DType dtype, const std::vector<int64_t> &shape,
                uint64_t &bytes) {
  bytes = dtypeSize(dtype);
  for (int64_t d : shape) {
    if (d < 0 || (d && bytes > UINT64_MAX / uint64_t(d)))
      return false;
    bytes *= uint64_t(d);
  }
  return true;
}

} // namespace

bool ModelDescription::parseFact(const std::string &key,
                                 const std::string &value, std::string &why) {
  std::string *text = key == "model"       ? &model
                      : key == "algorithm" ? &algorithm
                      : key == "optimizer" ? &optimizer
                      : key == "schedule"  ? &schedule
                      : key == "blocks"    ? &blocks
                      : key == "dropout"   ? &dropout
                                           : nullptr;
  int64_t *integer = key == "batch"      ? &batch
                     : key == "classes"  ? &classes
                     : key == "tangents" ? &tangents
                                         : nullptr;
  double *real = key == "momentum"        ? &momentum
                 : key == "weight-decay"  ? &weightDecay
                 : key == "head-lr"       ? &headLr
                 : key == "last-layer-lr" ? &lastLayerLr
                                          : nullptr;
  bool *flag = key == "spatial-loss"   ? &spatialLoss
               : key == "modular-loss" ? &modularLoss
                                       : nullptr;
  if (text) {
    *text = value;
    return true;
  }
  if (integer && toInt(value, *integer))
    return true;
  if (real) {
    // strtod reads back what formatDescriptionDouble writes, "nan" and
    // "INF" included.
    char *end = nullptr;
    *real = std::strtod(value.c_str(), &end);
    if (!value.empty() && !*end)
      return true;
  }
  if (flag && (value == "true" || value == "false")) {
    *flag = value == "true";
    return true;
  }
  why = integer || real || flag
            ? "fact '" + key + "' has a bad value '" + value + "'"
            : "unknown fact '" + key + "'";
  return false;
}

bool ModelDescription::parse(const char *data, size_t size,
                             ModelDescription &out, std::string &error) {
  std::string_view blob(data, size);
  size_t end = blob.find("\ndata\n");
  if (blob.compare(0, 14, "fgc-trainer 1\n") != 0 ||
      end == std::string_view::npos) {
    error = kDamaged;
    return false;
  }
  ModelDescription d;
  d.parsed = true;
  d.parsedHeader.assign(blob.data(), end);
  d.viewed = blob.substr(end + 6);
  const uint64_t dataSize = d.viewed.size();
  size_t lineNo = 1;
  auto fail = [&](const std::string &why) {
    error =
        std::string(kDamaged) + ": line " + std::to_string(lineNo) + ": " + why;
    return false;
  };
  /// Whether [offset, offset + bytes) lies in the data section.
  auto inData = [&](uint64_t offset, uint64_t bytes) {
    return offset <= dataSize && bytes <= dataSize - offset;
  };
  std::set<std::string> facts;
  bool haveOnnx = false;
  size_t at = 14;
  while (at < d.parsedHeader.size()) {
    size_t next = d.parsedHeader.find('\n', at);
    if (next == std::string::npos)
      next = d.parsedHeader.size();
    std::string line = d.parsedHeader.substr(at, next - at);
    at = next + 1;
    ++lineNo;
    std::vector<std::string> t = tokens(line);
    const std::string kind = t.empty() ? "" : t[0];
    if (kind == "fact" && t.size() >= 2) {
      // The value is the rest of the line: file names may hold spaces.
      size_t keyEnd = line.find(t[1], 5) + t[1].size();
      std::string value = keyEnd < line.size() ? line.substr(keyEnd + 1) : "";
      std::string why;
      if (!facts.insert(t[1]).second)
        return fail("fact '" + t[1] + "' given twice");
      if (!d.parseFact(t[1], value, why))
        return fail(why);
    } else if (kind == "function" && t.size() == 2) {
      if (d.function(t[1]))
        return fail("function '" + t[1] + "' given twice");
      d.functions.push_back({t[1], {}});
    } else if (kind == "arg" && t.size() >= 5) {
      ArgSpec a;
      a.kind = t[1] == "input"   ? ArgSpec::Kind::Input
               : t[1] == "param" ? ArgSpec::Kind::Parameter
                                 : ArgSpec::Kind::Output;
      a.name = t[2];
      if (t[1] != "input" && t[1] != "param" && t[1] != "output")
        return fail("unknown argument kind '" + t[1] + "'");
      if (!toDType(t[3], a.dtype))
        return fail("unknown dtype '" + t[3] + "'");
      if (!toShape(t, 4, a.shape))
        return fail("bad shape of argument '" + a.name + "'");
      if (d.functions.empty())
        return fail("argument '" + a.name + "' outside a function");
      d.functions.back().args.push_back(std::move(a));
    } else if (kind == "tensor" && t.size() >= 7) {
      ParameterEntry p;
      uint64_t bytes;
      p.model = t[1] == "model";
      p.name = t[2];
      if (t[1] != "model" && t[1] != "head")
        return fail("unknown parameter role '" + t[1] + "'");
      if (!toDType(t[3], p.dtype))
        return fail("unknown dtype '" + t[3] + "'");
      if (!toUnsigned(t[4], p.offset) || !toUnsigned(t[5], p.size) ||
          !toShape(t, 6, p.shape) || !denseBytes(p.dtype, p.shape, bytes) ||
          bytes != p.size)
        return fail("bad layout of parameter '" + p.name + "'");
      if (!inData(p.offset, p.size))
        return fail("truncated: parameter '" + p.name + "' lies past the " +
                    std::to_string(dataSize) + " bytes of data");
      d.params.push_back(std::move(p));
    } else if (kind == "onnx" && t.size() == 3) {
      if (!toUnsigned(t[1], d.onnxOffset) || !toUnsigned(t[2], d.onnxSize))
        return fail("bad onnx line");
      if (!inData(d.onnxOffset, d.onnxSize))
        return fail("truncated: the ONNX model lies past the " +
                    std::to_string(dataSize) + " bytes of data");
      haveOnnx = true;
    } else {
      return fail("unexpected '" + line + "'");
    }
  }
  for (const auto &[key, value] : d.facts())
    if (key != "blocks" && !facts.count(key)) {
      error = std::string(kDamaged) + ": no fact '" + key + "'";
      return false;
    }
  if (!haveOnnx) {
    error = std::string(kDamaged) + ": no onnx line";
    return false;
  }
  out = std::move(d);
  return true;
}

} // namespace fgc::rt
