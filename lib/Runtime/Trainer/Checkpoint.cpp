//===- Checkpoint.cpp - The training state and its files ------------------===//
//
// The format (CheckpointFormat.cpp) ends with a CRC-32 and is read
// strictly.
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

using namespace fgc::rt;

namespace fgc::trainer {

namespace {

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
  std::string path = dir + "/checkpoint.fgc";
  if (!writeFileAtomically(path, serializeCheckpoint(print, s), error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

bool loadCheckpoint(const std::string &dir, uint64_t print,
                    int64_t stepsPerEpoch, TrainState &s, std::string &error) {
  std::string path = dir + "/checkpoint.fgc", bytes;
  if (!readFile(path, bytes, error)) {
    error = path + ": " + error;
    return false;
  }
  if (!parseCheckpoint(bytes, print, stepsPerEpoch, s, error)) {
    error = path + ": " + error + " (the file is left as it is)";
    return false;
  }
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
