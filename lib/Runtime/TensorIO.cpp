//===- TensorIO.cpp - Tensors as .npy and ONNX TensorProto files ----------===//

#include "fgc/Runtime/TensorIO.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace fgc::rt {

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 34;

/// Rejects bool bytes other than 0 and 1: generated code tests the low bit
/// only, so any other byte would read differently here and there.
bool checkBools(const Tensor &t, std::string &error) {
  const uint8_t *p = t.data<uint8_t>();
  for (int64_t i = 0, e = t.numElements(); i < e; ++i)
    if (p[i] > 1) {
      error = "bool element " + std::to_string(i) + " is " +
              std::to_string(p[i]) + " (must be 0 or 1)";
      return false;
    }
  return true;
}

//===--- NumPy .npy -------------------------------------------------------===//

/// Finds `'key':` in the header dictionary and returns the text after it.
const char *npyField(const std::string &header, const char *key) {
  std::string quoted = std::string("'") + key + "'";
  size_t at = header.find(quoted);
  if (at == std::string::npos)
    return nullptr;
  at = header.find(':', at + quoted.size());
  return at == std::string::npos ? nullptr : header.c_str() + at + 1;
}

} // namespace

bool checkedCount(const std::vector<int64_t> &shape, int64_t &count,
                  std::string &error) {
  count = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      error = "negative dimension " + std::to_string(d);
      return false;
    }
    if (d && count > kMaxElements / d) {
      error = "too many elements";
      return false;
    }
    count *= d;
  }
  return true;
}

bool parseNpy(const std::string &bytes, Tensor &out, std::string &error) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    error = "not a .npy file (no \\x93NUMPY magic)";
    return false;
  }
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(bytes[8]) |
                static_cast<unsigned char>(bytes[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      error = "truncated .npy header";
      return false;
    }
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    headerStart = 12;
  } else {
    error = "unsupported .npy format version " + std::to_string(major);
    return false;
  }
  if (bytes.size() < headerStart + headerLen) {
    error = "truncated .npy header";
    return false;
  }
  std::string header = bytes.substr(headerStart, headerLen);
  const char *descr = npyField(header, "descr");
  const char *fortran = npyField(header, "fortran_order");
  const char *shapeText = npyField(header, "shape");
  if (!descr || !fortran || !shapeText) {
    error = "malformed .npy header";
    return false;
  }
  while (*descr == ' ')
    ++descr;
  std::string d(descr, strcspn(descr, ","));
  DType dtype;
  if (d == "'<f4'")
    dtype = DType::F32;
  else if (d == "'<f8'")
    dtype = DType::F64;
  else if (d == "'<i8'")
    dtype = DType::I64;
  else if (d == "'|b1'")
    dtype = DType::Bool;
  else {
    error = "unsupported .npy dtype " + d + " (supported: <f4, <f8, <i8, |b1)";
    return false;
  }
  while (*fortran == ' ')
    ++fortran;
  if (strncmp(fortran, "False", 5) != 0) {
    error = "Fortran-order .npy arrays are not supported";
    return false;
  }
  std::vector<int64_t> shape;
  const char *p = strchr(shapeText, '(');
  const char *end = p ? strchr(p, ')') : nullptr;
  if (!p || !end) {
    error = "malformed .npy shape";
    return false;
  }
  for (++p; p < end;) {
    while (p < end && (*p == ' ' || *p == ','))
      ++p;
    if (p >= end)
      break;
    char *next;
    long long v = strtoll(p, &next, 10);
    if (next == p || v < 0) {
      error = "malformed .npy shape";
      return false;
    }
    shape.push_back(v);
    p = next;
  }
  int64_t count;
  if (!checkedCount(shape, count, error))
    return false;
  size_t dataStart = headerStart + headerLen;
  size_t need = count * dtypeSize(dtype);
  if (bytes.size() - dataStart != need) {
    error = "has " + std::to_string(bytes.size() - dataStart) +
            " bytes of data, expected " + std::to_string(need) + " for " +
            dtypeName(dtype) + shapeString(shape);
    return false;
  }
  out = Tensor(dtype, shape);
  if (need) // memcpy's pointers must be valid even for 0 bytes
    std::memcpy(out.data(), bytes.data() + dataStart, need);
  if (dtype == DType::Bool && !checkBools(out, error))
    return false;
  return true;
}

std::string serializeNpy(const Tensor &t) {
  const char *descr = t.dtype() == DType::F32   ? "<f4"
                      : t.dtype() == DType::F64 ? "<f8"
                      : t.dtype() == DType::I64 ? "<i8"
                                                : "|b1";
  std::string shape = "(";
  for (int64_t d : t.shape())
    shape += std::to_string(d) + ", ";
  if (t.rank() > 1)
    shape.resize(shape.size() - 2);
  else if (t.rank() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts at a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char *>(t.data()), t.byteSize());
  return out;
}

//===--- ONNX TensorProto (protobuf wire format) --------------------------===//

namespace {

enum OnnxType : int { kFloat = 1, kInt64 = 7, kBool = 9, kDouble = 11 };

const char *onnxTypeName(int64_t t) {
  static const char *names[] = {
      "UNDEFINED", "FLOAT",  "UINT8",     "INT8",       "UINT16",  "INT16",
      "INT32",     "INT64",  "STRING",    "BOOL",       "FLOAT16", "DOUBLE",
      "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
  return t >= 0 && t < 17 ? names[t] : "unknown";
}

struct Reader {
  const unsigned char *p, *end;
  bool ok = true;

  bool atEnd() const { return p >= end; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) {
        ok = false;
        return 0;
      }
      unsigned char b = *p++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80))
        return v;
    }
    ok = false;
    return 0;
  }
  bool bytes(size_t n, const unsigned char *&out) {
    if (size_t(end - p) < n) {
      ok = false;
      return false;
    }
    out = p;
    p += n;
    return true;
  }
  void skip(unsigned wire) {
    const unsigned char *ignored;
    switch (wire) {
    case 0:
      varint();
      break;
    case 1:
      bytes(8, ignored);
      break;
    case 2:
      bytes(varint(), ignored);
      break;
    case 5:
      bytes(4, ignored);
      break;
    default:
      ok = false;
    }
  }
};

/// Appends a repeated scalar field, packed (wire 2) or not.
template <typename T>
bool readRepeated(Reader &r, unsigned wire, std::vector<T> &out,
                  bool isVarint) {
  auto one = [&](Reader &in) {
    if (isVarint) {
      out.push_back(static_cast<T>(static_cast<int64_t>(in.varint())));
    } else {
      const unsigned char *b;
      if (in.bytes(sizeof(T), b)) {
        T v;
        std::memcpy(&v, b, sizeof(T));
        out.push_back(v);
      }
    }
  };
  if (wire == 2) {
    const unsigned char *b;
    size_t n = r.varint();
    if (!r.bytes(n, b))
      return false;
    Reader inner{b, b + n};
    while (!inner.atEnd() && inner.ok)
      one(inner);
    return inner.ok;
  }
  one(r);
  return r.ok;
}

void putVarint(std::string &s, uint64_t v) {
  while (v >= 0x80) {
    s += static_cast<char>(v | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
}

void putKey(std::string &s, unsigned field, unsigned wire) {
  putVarint(s, field << 3 | wire);
}

} // namespace

bool parseTensorProto(const std::string &bytes, Tensor &out, std::string &name,
                      std::string &error) {
  Reader r{reinterpret_cast<const unsigned char *>(bytes.data()),
           reinterpret_cast<const unsigned char *>(bytes.data()) +
               bytes.size()};
  std::vector<int64_t> dims;
  int64_t dataType = 0;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::vector<int64_t> ints;
  const unsigned char *raw = nullptr;
  size_t rawSize = 0;
  bool hasRaw = false;
  name.clear();
  while (!r.atEnd() && r.ok) {
    uint64_t key = r.varint();
    unsigned field = key >> 3, wire = key & 7;
    switch (field) {
    case 1:
      readRepeated(r, wire, dims, true);
      break;
    case 2:
      dataType = static_cast<int64_t>(r.varint());
      break;
    case 4:
      readRepeated(r, wire, floats, false);
      break;
    case 5: // int32_data
    case 7:
      readRepeated(r, wire, ints, true);
      break;
    case 8: {
      const unsigned char *b;
      size_t n = r.varint();
      if (r.bytes(n, b))
        name.assign(reinterpret_cast<const char *>(b), n);
      break;
    }
    case 9:
      rawSize = r.varint();
      hasRaw = r.bytes(rawSize, raw);
      break;
    case 10:
      readRepeated(r, wire, doubles, false);
      break;
    case 13:
      error = "uses external data, which is not supported";
      return false;
    case 14:
      if (r.varint() == 1) {
        error = "uses external data, which is not supported";
        return false;
      }
      break;
    default:
      r.skip(wire);
    }
  }
  if (!r.ok) {
    error = "not a valid ONNX TensorProto (truncated or corrupt protobuf)";
    return false;
  }
  DType dtype;
  if (dataType == kFloat)
    dtype = DType::F32;
  else if (dataType == kDouble)
    dtype = DType::F64;
  else if (dataType == kInt64)
    dtype = DType::I64;
  else if (dataType == kBool)
    dtype = DType::Bool;
  else {
    error = std::string("unsupported TensorProto element type ") +
            onnxTypeName(dataType) + " (supported: FLOAT, DOUBLE, INT64, BOOL)";
    return false;
  }
  int64_t count;
  if (!checkedCount(dims, count, error))
    return false;
  size_t need = count * dtypeSize(dtype);
  Tensor t(dtype, dims);
  // A tensor with a zero dimension has no data: the source pointers (raw
  // data, an empty vector's data()) may then be null, which memcpy does not
  // allow even for 0 bytes.
  if (hasRaw) {
    if (rawSize != need) {
      error = "has " + std::to_string(rawSize) + " bytes of raw data, " +
              "expected " + std::to_string(need) + " for " + t.typeString();
      return false;
    }
    if (need)
      std::memcpy(t.data(), raw, need);
    if (dtype == DType::Bool && !checkBools(t, error))
      return false;
  } else {
    size_t have = dtype == DType::F32   ? floats.size()
                  : dtype == DType::F64 ? doubles.size()
                                        : ints.size();
    if (have != static_cast<size_t>(count)) {
      error = "has " + std::to_string(have) + " values, expected " +
              std::to_string(count) + " for " + t.typeString();
      return false;
    }
    if (need == 0)
      ;
    else if (dtype == DType::F32)
      std::memcpy(t.data(), floats.data(), need);
    else if (dtype == DType::F64)
      std::memcpy(t.data(), doubles.data(), need);
    else if (dtype == DType::I64)
      std::memcpy(t.data(), ints.data(), need);
    else // BOOL values come as int32_data, one per element
      for (int64_t i = 0; i < count; ++i)
        t.data<uint8_t>()[i] = ints[i] != 0;
  }
  out = std::move(t);
  return true;
}

std::string serializeTensorProto(const Tensor &t, const std::string &name) {
  std::string s;
  if (t.rank()) {
    std::string packed;
    for (int64_t d : t.shape())
      putVarint(packed, d);
    putKey(s, 1, 2);
    putVarint(s, packed.size());
    s += packed;
  }
  putKey(s, 2, 0);
  putVarint(s, t.dtype() == DType::F32   ? kFloat
               : t.dtype() == DType::F64 ? kDouble
               : t.dtype() == DType::I64 ? kInt64
                                         : kBool);
  if (!name.empty()) {
    putKey(s, 8, 2);
    putVarint(s, name.size());
    s += name;
  }
  putKey(s, 9, 2);
  putVarint(s, t.byteSize());
  s.append(static_cast<const char *>(t.data()), t.byteSize());
  return s;
}

//===--- Files ------------------------------------------------------------===//

bool readFile(const std::string &path, std::string &bytes, std::string &error) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  bytes.clear();
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0)
    bytes.append(buffer, n);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) {
    error = "read error";
    return false;
  }
  return true;
}

bool writeFileAtomically(const std::string &path, const std::string &bytes,
                         std::string &error) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    error = std::string("cannot create: ") + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      error = std::string("write failed: ") + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += n;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    error = std::string("write failed: ") + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = std::string("cannot rename into place: ") + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

bool readTensorFile(const std::string &path, Tensor &out, std::string &error) {
  std::string bytes;
  if (!readFile(path, bytes, error))
    return false;
  if (bytes.compare(0, 6, "\x93NUMPY") == 0)
    return parseNpy(bytes, out, error);
  std::string name;
  if (parseTensorProto(bytes, out, name, error))
    return true;
  bool pbName = path.size() > 3 && path.compare(path.size() - 3, 3, ".pb") == 0;
  if (!pbName)
    error = "neither a .npy file nor an ONNX TensorProto (.pb)";
  return false;
}

bool writeTensorFile(const std::string &path, const Tensor &tensor,
                     std::string &error) {
  bool pb = path.size() > 3 && path.compare(path.size() - 3, 3, ".pb") == 0;
  return writeFileAtomically(
      path, pb ? serializeTensorProto(tensor) : serializeNpy(tensor), error);
}

} // namespace fgc::rt
