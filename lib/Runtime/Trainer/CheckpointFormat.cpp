//===- CheckpointFormat.cpp - A checkpoint's bytes ------------------------===//
//
// A checkpoint is text, raw bytes, then a checksum:
//
//   fgc-checkpoint 4
//   fingerprint <FNV-1a of the model description's text>
//   epoch <epochs done>
//   step <steps done in the current epoch>
//   global <steps done in all: epoch * steps per epoch + step>
//   seed <the run's seed>
//   seconds <the current epoch's seconds so far>      doubles as C99 hex
//   correct <the current epoch's correct count>       floats (%a), exact
//   sum <loss> <the current epoch's sum of it>        one per loss
//   record <epoch> <train loss> <train error> <test loss> <test error>
//          <examples/s> <seconds> <lr> <peak RSS bytes>
//          [<label> <block loss>]...
//                                  one per epoch done, in order (format 3,
//                                  also read: no peak RSS)
//   tensor <name> <bytes>          one per parameter and optimizer state,
//   data                           in name order
//   <the tensors' bytes back to back>
//   crc32 <8 hex digits: zlib's CRC-32 of everything before this line>
//
// The reader accepts nothing else (each header key once, in range, the
// checksum right), so a damaged or edited file is refused rather than
// trained on. It works on bytes, not files, so that a fuzzer can drive it
// (test/fuzz/CheckpointFuzzer.cpp).
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <zlib.h>

using namespace fgc::rt;

namespace fgc::trainer {

namespace {

constexpr const char *kMagic = "fgc-checkpoint 4\n";
/// The format before records kept the peak resident memory: still read.
constexpr const char *kMagic3 = "fgc-checkpoint 3\n";
/// "crc32 " + 8 hex digits + "\n".
constexpr size_t kTrailerSize = 15;

uint32_t crc32Of(const char *data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large files in pieces.
  while (size > 0) {
    uInt n = size > (1u << 30) ? (1u << 30) : static_cast<uInt>(size);
    crc = crc32(crc, reinterpret_cast<const Bytef *>(data), n);
    data += n;
    size -= n;
  }
  return static_cast<uint32_t>(crc);
}

/// A decimal integer and nothing else (no sign for unsigned, no blanks).
bool parseInt(const std::string &s, int64_t &out) {
  if (s.empty() || !(std::isdigit(uint8_t(s[0])) || s[0] == '-'))
    return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || *end)
    return false;
  out = v;
  return true;
}

bool parseUnsigned(const std::string &s, uint64_t &out) {
  if (s.empty() || !std::isdigit(uint8_t(s[0])))
    return false;
  errno = 0;
  char *end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno || *end)
    return false;
  out = v;
  return true;
}

} // namespace

std::string formatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

bool parseDouble(const std::string &s, double &out, bool finite) {
  if (s.empty() || std::isspace(uint8_t(s[0])))
    return false;
  char *end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !*end && (!finite || std::isfinite(out));
}

static std::vector<std::string> splitWords(const std::string &s) {
  std::vector<std::string> words;
  size_t at = 0;
  while (at <= s.size()) {
    size_t sp = s.find(' ', at);
    if (sp == std::string::npos)
      sp = s.size();
    words.push_back(s.substr(at, sp - at));
    at = sp + 1;
  }
  return words;
}

std::string formatRecord(const EpochRecord &r) {
  std::string line = "record " + std::to_string(r.epoch);
  for (double v : {r.trainLoss, r.trainError, r.testLoss, r.testError,
                   r.examplesPerSecond, r.seconds, r.lr, r.peakRssBytes})
    line += " " + formatDouble(v);
  for (auto &[label, v] : r.blockLosses)
    line += " " + label + " " + formatDouble(v);
  return line + "\n";
}

bool parseRecord(const std::string &value, int64_t epoch, EpochRecord &r,
                 bool withPeakRss) {
  std::vector<std::string> w = splitWords(value);
  const size_t fixed = withPeakRss ? 8 : 7;
  if (w.size() < fixed + 1 || (w.size() - fixed - 1) % 2 != 0 ||
      w[0] != std::to_string(epoch))
    return false;
  r.epoch = epoch;
  double *fields[] = {&r.trainLoss, &r.trainError,        &r.testLoss,
                      &r.testError, &r.examplesPerSecond, &r.seconds,
                      &r.lr,        &r.peakRssBytes};
  // The test figures are NaN in epochs not evaluated, the peak RSS in
  // records that came from a format-3 checkpoint.
  for (size_t i = 0; i < fixed; ++i)
    if (!parseDouble(w[i + 1], *fields[i],
                     /*finite=*/i != 2 && i != 3 && i != 7))
      return false;
  if (withPeakRss && (std::isinf(r.peakRssBytes) || r.peakRssBytes < 0))
    return false;
  for (size_t i = fixed + 1; i < w.size(); i += 2) {
    double v;
    if (w[i].empty() || !parseDouble(w[i + 1], v))
      return false;
    r.blockLosses.push_back({w[i], v});
  }
  return true;
}

std::string serializeCheckpoint(uint64_t print, const TrainState &s) {
  std::string out =
      std::string(kMagic) + "fingerprint " + std::to_string(print) +
      "\nepoch " + std::to_string(s.epoch) + "\nstep " +
      std::to_string(s.step) + "\nglobal " + std::to_string(s.globalStep) +
      "\nseed " + std::to_string(s.seed) + "\nseconds " +
      formatDouble(s.seconds) + "\ncorrect " + formatDouble(s.correct) + "\n";
  for (const auto &[name, v] : s.sums)
    out += "sum " + name + " " + formatDouble(v) + "\n";
  for (const EpochRecord &r : s.history)
    out += formatRecord(r);
  for (const auto &[name, t] : s.tensors)
    out += "tensor " + name + " " + std::to_string(t.byteSize()) + "\n";
  out += "data\n";
  for (const auto &[name, t] : s.tensors)
    out.append(static_cast<const char *>(t.data()), t.byteSize());
  char trailer[kTrailerSize + 1];
  std::snprintf(trailer, sizeof trailer, "crc32 %08x\n",
                crc32Of(out.data(), out.size()));
  out += trailer;
  return out;
}

bool parseCheckpoint(const std::string &bytes, uint64_t print,
                     int64_t stepsPerEpoch, TrainState &s, std::string &error) {
  auto bad = [&](const std::string &what) {
    error = what;
    return false;
  };
  if (bytes.compare(0, 15, "fgc-checkpoint ") != 0)
    return bad("not an fgc checkpoint (or damaged)");
  // Both magics have the same length.
  const bool format3 = bytes.compare(0, std::strlen(kMagic3), kMagic3) == 0;
  if (!format3 && bytes.compare(0, std::strlen(kMagic), kMagic) != 0)
    return bad("checkpoint format '" +
               bytes.substr(15, bytes.find('\n') - 15).substr(0, 20) +
               "' is not this trainer's (4, or 3)");
  // The checksum first: nothing of a damaged file is believed.
  if (bytes.size() < kTrailerSize + std::strlen(kMagic))
    return bad("truncated");
  size_t body = bytes.size() - kTrailerSize;
  char *end = nullptr;
  if (bytes.compare(body, 6, "crc32 ") != 0 || bytes.back() != '\n')
    return bad("truncated or damaged: no checksum at the end");
  std::string hex = bytes.substr(body + 6, 8);
  unsigned long stored = std::strtoul(hex.c_str(), &end, 16);
  if (*end || hex.size() != 8)
    return bad("damaged checksum line");
  uint32_t actual = crc32Of(bytes.data(), body);
  if (stored != actual) {
    char buf[96];
    std::snprintf(
        buf, sizeof buf,
        "damaged: checksum mismatch (crc32 %08x, the file says %08lx)", actual,
        stored);
    return bad(buf);
  }
  size_t dataLine = bytes.find("\ndata\n");
  if (dataLine == std::string::npos || dataLine > body)
    return bad("no 'data' line");
  // The header, strictly: known keys, each once, then the tensors in order.
  std::map<std::string, std::string> header;
  // Where each tensor's bytes start: copied only once everything checked
  // out, so that a refused file leaves `s` as it was.
  std::map<std::string, size_t> seen;
  std::map<std::string, double> sumsSeen;
  std::vector<EpochRecord> history;
  size_t at = dataLine + 6, line = std::strlen(kMagic);
  while (line < dataLine + 1) {
    size_t eol = bytes.find('\n', line);
    std::string text = bytes.substr(line, eol - line);
    line = eol + 1;
    size_t sp = text.find(' ');
    std::string key = text.substr(0, sp),
                value = sp == std::string::npos ? "" : text.substr(sp + 1);
    if (key == "tensor") {
      size_t sp2 = value.rfind(' ');
      std::string name = value.substr(0, sp2);
      int64_t size = -1;
      auto it = s.tensors.find(name);
      if (sp2 == std::string::npos || !parseInt(value.substr(sp2 + 1), size) ||
          it == s.tensors.end() || int64_t(it->second.byteSize()) != size ||
          seen.count(name))
        return bad("tensor line '" + text.substr(0, 80) +
                   "' does not fit this model");
      if (size_t(size) > body - at)
        return bad("truncated: tensor '" + name + "' runs past the end");
      seen[name] = at;
      at += size;
      continue;
    }
    if (!seen.empty())
      return bad("header line '" + text.substr(0, 80) + "' after the tensors");
    if (key == "sum") {
      size_t sp2 = value.rfind(' ');
      std::string name = value.substr(0, sp2);
      double v;
      if (sp2 == std::string::npos || !s.sums.count(name) ||
          !parseDouble(value.substr(sp2 + 1), v) ||
          !sumsSeen.emplace(name, v).second)
        return bad("sum line '" + text.substr(0, 80) +
                   "' does not fit this model");
      continue;
    }
    if (key == "record") {
      EpochRecord r;
      if (!parseRecord(value, int64_t(history.size()) + 1, r, !format3))
        return bad("record line '" + text.substr(0, 80) +
                   "' is not a well-formed record of epoch " +
                   std::to_string(history.size() + 1));
      history.push_back(r);
      continue;
    }
    if (key != "fingerprint" && key != "epoch" && key != "step" &&
        key != "global" && key != "seed" && key != "seconds" &&
        key != "correct")
      return bad("unknown header line '" + text.substr(0, 80) + "'");
    if (!header.emplace(key, value).second)
      return bad("header key '" + key + "' appears twice");
    // Another model's tensors would not fit: say why first.
    uint64_t f = 0;
    if (key == "fingerprint" && !parseUnsigned(value, f))
      return bad("bad fingerprint '" + value + "'");
    if (key == "fingerprint" && f != print)
      return bad("a checkpoint of another model or training setup");
  }
  for (const char *key :
       {"fingerprint", "epoch", "step", "global", "seed", "seconds", "correct"})
    if (!header.count(key))
      return bad(std::string("header key '") + key + "' is missing");
  int64_t epoch, step, global;
  uint64_t seed;
  if (!parseInt(header["epoch"], epoch) || epoch < 0)
    return bad("epoch '" + header["epoch"] + "' is not an integer >= 0");
  if (!parseInt(header["step"], step) || step < 0 || step >= stepsPerEpoch)
    return bad("step '" + header["step"] + "' is not in [0, " +
               std::to_string(stepsPerEpoch) + "), the steps of an epoch");
  int64_t expected;
  if (!parseInt(header["global"], global) ||
      __builtin_mul_overflow(epoch, stepsPerEpoch, &expected) ||
      __builtin_add_overflow(expected, step, &expected) || global != expected)
    return bad("global step '" + header["global"] + "' is not epoch * " +
               std::to_string(stepsPerEpoch) + " + step");
  if (!parseUnsigned(header["seed"], seed))
    return bad("bad seed '" + header["seed"] + "'");
  double seconds, correct;
  if (!parseDouble(header["seconds"], seconds) || seconds < 0)
    return bad("seconds '" + header["seconds"] + "' is not a number >= 0");
  if (!parseDouble(header["correct"], correct) || correct < 0)
    return bad("correct '" + header["correct"] + "' is not a number >= 0");
  if (sumsSeen.size() != s.sums.size())
    return bad("incomplete: " + std::to_string(sumsSeen.size()) + " of " +
               std::to_string(s.sums.size()) + " loss sums");
  if (int64_t(history.size()) != epoch)
    return bad(std::to_string(history.size()) + " epoch records for epoch " +
               std::to_string(epoch));
  if (seen.size() != s.tensors.size())
    return bad("incomplete: " + std::to_string(seen.size()) + " of " +
               std::to_string(s.tensors.size()) + " tensors");
  if (at != body)
    return bad("the tensors' bytes do not end at the checksum");
  s.epoch = epoch;
  s.step = step;
  s.globalStep = global;
  s.seed = seed;
  s.seconds = seconds;
  s.correct = correct;
  s.sums = sumsSeen;
  s.history = std::move(history);
  for (const auto &[name, offset] : seen)
    std::memcpy(s.tensors.at(name).data(), bytes.data() + offset,
                s.tensors.at(name).byteSize());
  return true;
}

} // namespace fgc::trainer
