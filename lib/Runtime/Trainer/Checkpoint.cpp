//===- Checkpoint.cpp - The training state and its files ------------------===//
//
// A checkpoint is text, raw bytes, then a checksum:
//
//   fgc-checkpoint 3
//   fingerprint <FNV-1a of the model description's text>
//   epoch <epochs done>
//   step <steps done in the current epoch>
//   global <steps done in all: epoch * steps per epoch + step>
//   seed <the run's seed>
//   seconds <the current epoch's seconds so far>      doubles as C99 hex
//   correct <the current epoch's correct count>       floats (%a), exact
//   sum <loss> <the current epoch's sum of it>        one per loss
//   record <epoch> <train loss> <train error> <test loss> <test error>
//          <examples/s> <seconds> <lr> [<label> <block loss>]...
//                                  one per epoch done, in order
//   tensor <name> <bytes>          one per parameter and optimizer state,
//   data                           in name order
//   <the tensors' bytes back to back>
//   crc32 <8 hex digits: zlib's CRC-32 of everything before this line>
//
// It is written to a temporary file and renamed into place, so a crash never
// leaves a partial one; the reader accepts nothing else (each header key
// once, in range, the checksum right), so a damaged or edited file is
// refused rather than trained on. The directory also holds `checkpoint.lock`,
// flock'ed by the one trainer that uses it.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include "fgc/Runtime/OnnxExport.h"
#include "fgc/Runtime/TensorIO.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

using namespace fgc::rt;

namespace fgc::trainer {

namespace {

constexpr const char *kMagic = "fgc-checkpoint 3\n";
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

std::string lockPath(const std::string &dir) {
  return dir + "/checkpoint.lock";
}

} // namespace

TrainState initialState(const ModelDescription &d, uint64_t seed) {
  TrainState state;
  state.seed = seed;
  for (const ParameterEntry &p : d.parameters()) {
    Tensor t(p.dtype, p.shape);
    std::memcpy(t.data(), d.parameterData(p), p.size);
    state.tensors.emplace(p.name, std::move(t));
  }
  // Optimizer state starts at zero. Parameters are fed back too, and keep
  // the values above (emplace does not replace them).
  for (const ArgSpec *a :
       rt::abi::fedBackInputs(d.function(rt::abi::kTrainStep)->args)) {
    Tensor t(a->dtype, a->shape);
    std::memset(t.data(), 0, t.byteSize());
    state.tensors.emplace(a->name, std::move(t));
  }
  for (const ArgSpec &a : d.function(rt::abi::kTrainStep)->args)
    if (rt::abi::isMetric(a) && a.name != rt::abi::kCorrect)
      state.sums[a.name] = 0;
  return state;
}

uint64_t fingerprint(const std::string &text) {
  uint64_t h = 1469598103934665603ull;
  for (char c : text)
    h = (h ^ uint8_t(c)) * 1099511628211ull;
  return h;
}

bool checkFinite(const TrainState &s, std::string &error) {
  for (const auto &[name, t] : s.tensors) {
    if (t.dtype() != DType::F32)
      continue;
    const float *p = t.data<float>();
    for (int64_t i = 0; i < t.numElements(); ++i)
      if (!std::isfinite(p[i])) {
        error = "the state tensor '" + name + "' is not finite at epoch " +
                std::to_string(s.epoch + 1) + ", step " +
                std::to_string(s.step) +
                "; training stopped, the last good checkpoint is kept";
        return false;
      }
  }
  return true;
}

bool saveCheckpoint(const std::string &dir, uint64_t print, const TrainState &s,
                    std::string &error) {
  // Every write path comes here: a poisoned state never replaces a good one.
  if (!checkFinite(s, error))
    return false;
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
  std::string path = dir + "/checkpoint.fgc";
  if (!writeFileAtomically(path, out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

bool loadCheckpoint(const std::string &dir, uint64_t print,
                    int64_t stepsPerEpoch, TrainState &s, std::string &error) {
  std::string path = dir + "/checkpoint.fgc", bytes;
  auto bad = [&](const std::string &what) {
    error = path + ": " + what + " (the file is left as it is)";
    return false;
  };
  if (!readFile(path, bytes, error)) {
    error = path + ": " + error;
    return false;
  }
  if (bytes.compare(0, 15, "fgc-checkpoint ") != 0)
    return bad("not an fgc checkpoint (or damaged)");
  if (bytes.compare(0, std::strlen(kMagic), kMagic) != 0)
    return bad("checkpoint format '" +
               bytes.substr(15, bytes.find('\n') - 15).substr(0, 20) +
               "' is not this trainer's (3)");
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
  std::map<std::string, bool> seen;
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
      std::memcpy(it->second.data(), bytes.data() + at, size);
      at += size;
      seen[name] = true;
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
      if (!parseRecord(value, int64_t(history.size()) + 1, r))
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
  return true;
}

bool claimCheckpointDir(const std::string &dir, std::string &error) {
  std::string reason;
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    reason = std::strerror(errno);
  else
    probeDirectory(dir, reason);
  if (!reason.empty()) {
    error = "--checkpoint-dir=" + dir + ": cannot write checkpoints: " + reason;
    return false;
  }
  // Held until the process ends (the kernel drops it even on SIGKILL).
  int fd = ::open(lockPath(dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "--checkpoint-dir=" + dir +
            ": cannot write checkpoints: " + std::strerror(errno);
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder = "unknown PID";
    char buf[32] = {0};
    // The holder writes its PID right after locking: give it a moment.
    for (int i = 0; i < 20; ++i) {
      ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      if (n > 0) {
        buf[n] = 0;
        holder = "PID " + std::string(buf, std::strcspn(buf, "\n"));
        break;
      }
      ::usleep(10000);
    }
    ::close(fd);
    error = "--checkpoint-dir=" + dir +
            (err == EWOULDBLOCK
                 ? ": in use by another trainer (" + holder + ")"
                 : std::string(": cannot lock: ") + std::strerror(err));
    return false;
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size())) {
    error = "--checkpoint-dir=" + dir +
            ": cannot write checkpoints: " + std::strerror(errno);
    return false;
  }
  // With the lock held no other trainer writes here: every temporary file
  // is left over from a killed write.
  removeStaleTemps(dir, "checkpoint.fgc", /*all=*/true);
  removeStaleTemps(dir, ".fgc-probe", /*all=*/true);
  return true;
}

bool exportOnnx(const ModelDescription &d, const TrainState &s,
                const std::string &path, std::string &error) {
  std::map<std::string, const Tensor *> values;
  for (const ParameterEntry &p : d.parameters())
    if (p.model)
      values[p.name] = &s.tensors.at(p.name);
  std::string onnx(d.onnx()), out;
  if (!replaceInitializers(onnx, values, out, error) ||
      !writeFileAtomically(path, out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

} // namespace fgc::trainer
