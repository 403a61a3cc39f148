//===- Checkpoint.cpp - The training state and its files ------------------===//
//
// A checkpoint is text then raw bytes:
//
//   fgc-checkpoint 1
//   fingerprint <FNV-1a of the model description's text>
//   epoch <epochs done>
//   step <steps done in the current epoch>
//   global <steps done in all>
//   seed <the run's seed>
//   tensor <name> <bytes>          one per parameter and optimizer state,
//   data                           in name order
//   <the tensors' bytes back to back>
//
// It is written to a temporary file and renamed into place, so a crash never
// leaves a partial one.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include "fgc/Runtime/OnnxExport.h"
#include "fgc/Runtime/TensorIO.h"

#include <cstring>
#include <sstream>
#include <sys/stat.h>

using namespace fgc::rt;

namespace fgc::trainer {

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
  return state;
}

uint64_t fingerprint(const std::string &text) {
  uint64_t h = 1469598103934665603ull;
  for (char c : text)
    h = (h ^ uint8_t(c)) * 1099511628211ull;
  return h;
}

bool saveCheckpoint(const std::string &dir, uint64_t print, const TrainState &s,
                    std::string &error) {
  std::string header =
      "fgc-checkpoint 1\nfingerprint " + std::to_string(print) + "\nepoch " +
      std::to_string(s.epoch) + "\nstep " + std::to_string(s.step) +
      "\nglobal " + std::to_string(s.globalStep) + "\nseed " +
      std::to_string(s.seed) + "\n";
  std::string body;
  for (const auto &[name, t] : s.tensors) {
    header += "tensor " + name + " " + std::to_string(t.byteSize()) + "\n";
    body.append(static_cast<const char *>(t.data()), t.byteSize());
  }
  header += "data\n";
  ::mkdir(dir.c_str(), 0777);
  return writeFileAtomically(dir + "/checkpoint.fgc", header + body, error);
}

bool loadCheckpoint(const std::string &dir, uint64_t print, TrainState &s,
                    std::string &error) {
  std::string path = dir + "/checkpoint.fgc", bytes;
  if (!readFile(path, bytes, error)) {
    error = path + ": " + error;
    return false;
  }
  size_t end = bytes.find("\ndata\n");
  if (bytes.compare(0, 17, "fgc-checkpoint 1\n") != 0 ||
      end == std::string::npos) {
    error = path + ": not an fgc checkpoint (or damaged)";
    return false;
  }
  std::istringstream in(bytes.substr(0, end));
  std::string line;
  std::getline(in, line);
  size_t at = end + 6;
  std::map<std::string, bool> seen;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "fingerprint") {
      uint64_t f;
      ls >> f;
      if (f != print) {
        error = path + ": a checkpoint of another model or training setup";
        return false;
      }
    } else if (key == "epoch") {
      ls >> s.epoch;
    } else if (key == "step") {
      ls >> s.step;
    } else if (key == "global") {
      ls >> s.globalStep;
    } else if (key == "seed") {
      ls >> s.seed;
    } else if (key == "tensor") {
      std::string name;
      size_t size;
      ls >> name >> size;
      auto it = s.tensors.find(name);
      if (it == s.tensors.end() || it->second.byteSize() != size ||
          at + size > bytes.size()) {
        error = path + ": tensor '" + name + "' does not fit this model";
        return false;
      }
      std::memcpy(it->second.data(), bytes.data() + at, size);
      at += size;
      seen[name] = true;
    }
  }
  if (at != bytes.size() || seen.size() != s.tensors.size()) {
    error = path + ": truncated or incomplete";
    return false;
  }
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
