//===- CheckpointFuzzer.cpp - libFuzzer entry point for checkpoints -------===//
//
// Feeds arbitrary bytes to fgc::trainer::parseCheckpoint, the reader of the
// checkpoint a trainer resumes from (lib/Runtime/Trainer/CheckpointFormat.cpp),
// for a fixed small model: three tensors, two loss sums, five steps an epoch.
// It must answer every input with a state or a one-line error that leaves
// the state untouched; a crash, an abort, a leak or a sanitizer report is a
// bug. A state it accepts must serialize to bytes that read back the same.
//
// The first byte picks how the rest is read. Even: as it is (mutations of
// the checksum and of the data it covers). Odd: the CRC-32 line is appended
// to it first, so that mutations reach the header parser behind the
// checksum, which a fuzzer would otherwise never get past.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <zlib.h>

using namespace fgc;

namespace {

/// The model every input is read against (seeds/generate.py writes its
/// checkpoints): must match there.
constexpr uint64_t kFingerprint = 1234567;
constexpr int64_t kStepsPerEpoch = 5;

trainer::TrainState makeState() {
  trainer::TrainState s;
  s.tensors.emplace("b", rt::Tensor(rt::DType::F32, {3}));
  s.tensors.emplace("w", rt::Tensor(rt::DType::F32, {2, 3}));
  s.tensors.emplace("w.momentum", rt::Tensor(rt::DType::F32, {2, 3}));
  for (auto &[name, t] : s.tensors)
    std::memset(t.data(), 0x5a, t.byteSize());
  s.sums["loss.block0"] = 0;
  s.sums["loss.readout"] = 0;
  return s;
}

/// Everything parseCheckpoint may change, as text, to compare two states.
std::string snapshot(const trainer::TrainState &s) {
  std::string out = std::to_string(s.epoch) + " " + std::to_string(s.step) +
                    " " + std::to_string(s.globalStep) + " " +
                    std::to_string(s.seed) + " " +
                    trainer::formatDouble(s.seconds) + " " +
                    trainer::formatDouble(s.correct) + "\n";
  for (const auto &[name, v] : s.sums)
    out += name + " " + trainer::formatDouble(v) + "\n";
  for (const trainer::EpochRecord &r : s.history)
    out += trainer::formatRecord(r);
  for (const auto &[name, t] : s.tensors)
    out.append(static_cast<const char *>(t.data()), t.byteSize());
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  std::string bytes(reinterpret_cast<const char *>(data) + 1, size - 1);
  if (data[0] & 1) {
    char trailer[16];
    std::snprintf(trailer, sizeof trailer, "crc32 %08lx\n",
                  crc32(crc32(0L, Z_NULL, 0),
                        reinterpret_cast<const Bytef *>(bytes.data()),
                        static_cast<uInt>(bytes.size())));
    bytes += trailer;
  }
  trainer::TrainState s = makeState();
  std::string before = snapshot(s), error;
  if (!trainer::parseCheckpoint(bytes, kFingerprint, kStepsPerEpoch, s,
                                error)) {
    if (error.empty() || error.find('\n') != std::string::npos ||
        snapshot(s) != before)
      std::abort();
    return 0;
  }
  // Accepted: in range, and it writes back to a checkpoint that reads back
  // the same state.
  if (s.epoch < 0 || s.step < 0 || s.step >= kStepsPerEpoch ||
      s.globalStep != s.epoch * kStepsPerEpoch + s.step ||
      int64_t(s.history.size()) != s.epoch)
    std::abort();
  std::string again = trainer::serializeCheckpoint(kFingerprint, s);
  trainer::TrainState t = makeState();
  if (!trainer::parseCheckpoint(again, kFingerprint, kStepsPerEpoch, t,
                                error) ||
      snapshot(t) != snapshot(s))
    std::abort();
  return 0;
}
