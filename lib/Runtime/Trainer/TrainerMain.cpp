//===- TrainerMain.cpp - The main program of fgc trainer executables ------===//
//
// `fgc compile MODEL --algo=A -o EXE` links this program with the compiled
// @train_step / @eval_step / @learning_rate (packed entry points
// fgc_train_step, ...) and a description of them (fgc_model_blob: the
// signatures, the compile-time facts, the initial parameters and the ONNX
// model). It loads a data set, trains, reports, checkpoints and exports.
// Plain C++ over lib/Runtime: no MLIR, LLVM or Python at run time.
//
// Rules worth knowing (also in docs/trainer.md):
// * Each epoch visits the training set in a fresh order (seeded by --seed and
//   the epoch); the last partial batch is dropped (the step has a fixed
//   batch size), so an epoch has floor(train / batch) steps.
// * Test error is over the whole test set: the last partial batch is padded
//   and only its real examples count.
// * A checkpoint holds parameters, optimizer state, epoch, step in the epoch
//   and the seed; the data order is a function of (seed, epoch), so --resume
//   continues exactly where the run stopped.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/Call.h"
#include "fgc/Runtime/Data.h"
#include "fgc/Runtime/OnnxExport.h"
#include "fgc/Runtime/Random.h"
#include "fgc/Runtime/TensorIO.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

extern "C" {
extern const unsigned char fgc_model_blob[];
extern const uint64_t fgc_model_blob_size;
void fgc_train_step(void **);
void fgc_eval_step(void **);
void fgc_learning_rate(void **);
}

using namespace fgc::rt;

namespace {

//===--- The compiled model's description ---------------------------------===//

struct ParamInfo {
  std::string name;
  bool model = true; // an ONNX initializer (else a local head)
  DType dtype = DType::F32;
  uint64_t offset = 0, bytes = 0;
  std::vector<int64_t> shape;
};

struct Description {
  std::vector<std::pair<std::string, std::string>> facts;
  std::map<std::string, std::vector<ArgSpec>> functions;
  std::vector<ParamInfo> params;
  uint64_t onnxOffset = 0, onnxSize = 0;
  const char *data = nullptr;
  std::string header; // the text part, for the checkpoint fingerprint
};

DType parseDType(const std::string &s) {
  return s == "f32" ? DType::F32 : s == "f64" ? DType::F64 : DType::I64;
}

bool parseDescription(Description &d, std::string &error) {
  const char *blob = reinterpret_cast<const char *>(fgc_model_blob);
  std::string all(blob, fgc_model_blob_size);
  size_t end = all.find("\ndata\n");
  if (all.compare(0, 14, "fgc-trainer 1\n") != 0 || end == std::string::npos) {
    error = "the embedded model description is damaged";
    return false;
  }
  d.header = all.substr(0, end);
  d.data = blob + end + 6;
  std::istringstream in(d.header);
  std::string line, current;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (kind == "fact") {
      std::string key, value;
      ls >> key;
      std::getline(ls, value);
      d.facts.push_back({key, value.empty() ? value : value.substr(1)});
    } else if (kind == "function") {
      ls >> current;
      d.functions[current];
    } else if (kind == "arg") {
      ArgSpec a;
      std::string k, dt;
      size_t rank;
      ls >> k >> a.name >> dt >> rank;
      a.kind = k == "input"   ? ArgSpec::Kind::Input
               : k == "param" ? ArgSpec::Kind::Parameter
                              : ArgSpec::Kind::Output;
      a.dtype = parseDType(dt);
      a.shape.resize(rank);
      for (int64_t &x : a.shape)
        ls >> x;
      d.functions[current].push_back(a);
    } else if (kind == "tensor") {
      ParamInfo p;
      std::string role, dt;
      size_t rank;
      ls >> role >> p.name >> dt >> p.offset >> p.bytes >> rank;
      p.model = role == "model";
      p.dtype = parseDType(dt);
      p.shape.resize(rank);
      for (int64_t &x : p.shape)
        ls >> x;
      d.params.push_back(p);
    } else if (kind == "onnx") {
      ls >> d.onnxOffset >> d.onnxSize;
    }
  }
  for (const char *f : {"train_step", "eval_step", "learning_rate"})
    if (!d.functions.count(f)) {
      error = std::string("the embedded description has no ") + f;
      return false;
    }
  return true;
}

std::string fact(const Description &d, const std::string &key) {
  for (const auto &[k, v] : d.facts)
    if (k == key)
      return v;
  return "";
}

uint64_t fingerprint(const std::string &text) {
  uint64_t h = 1469598103934665603ull;
  for (char c : text)
    h = (h ^ uint8_t(c)) * 1099511628211ull;
  return h;
}

//===--- Options
//------------------------------------------------------------===//

struct Options {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::vector<std::string> trainFiles, testFiles;
  std::string dataset;
  int64_t epochs = 1;
  double lr = 0.01;
  int64_t warmupEpochs = 0;
  uint64_t seed = 0;
  int threads = 0;
  int64_t evalEvery = 1;
  std::string metrics, checkpointDir, exportPath, plot;
  bool resume = false, quiet = false;
  int64_t maxSteps = -1; // stop (with a checkpoint) after this many steps
  std::string normalization = "published";
};

void printHelp(const Description &d, const char *argv0) {
  std::printf("%s: a forward-gradient trainer compiled by fgc\n\n"
              "USAGE: %s [options]\n\n"
              "Compiled in (read-only; recompile with fgc to change):\n",
              argv0, argv0);
  for (const auto &[k, v] : d.facts)
    std::printf("  %-16s %s\n", k.c_str(), v.c_str());
  for (const ArgSpec &a : d.functions.at("train_step"))
    if (a.kind == ArgSpec::Kind::Input && a.name == "image")
      std::printf("  %-16s %s\n", "input", a.typeString().c_str());
  std::printf(
      "\nOptions:\n"
      "  --data=DIR            data directory (default "
      "/usr/share/datasets/fashion-mnist): IDX files\n"
      "                        "
      "({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]) "
      "or CIFAR-10 batches\n"
      "  --train=FILE,...      training files instead of --data (IDX: "
      "images,labels; "
      "CIFAR: batches)\n"
      "  --test=FILE,...       test files instead of --data\n"
      "  --dataset=NAME        mnist, fashion-mnist or cifar10 (default: "
      "detected)\n"
      "  --normalize=MODE      published (the data set's constants, default) "
      "or "
      "computed\n"
      "  --epochs=N            epochs to train (default 1)\n"
      "  --lr=X                peak learning rate (default 0.01)\n"
      "  --warmup-epochs=N     warm-up of the warmup-cosine schedule (default "
      "0)\n"
      "  --seed=N              seed of the data order and the perturbations "
      "(default 0)\n"
      "  --threads=N           BLAS threads (default: OpenBLAS's choice)\n"
      "  --eval-every=N        evaluate on the test set every N epochs "
      "(default 1)\n"
      "  --metrics=FILE        JSON lines, one object per epoch\n"
      "  --plot=FILE           SVG plot of train/test error per epoch "
      "(default: METRICS.svg)\n"
      "  --checkpoint-dir=DIR  write DIR/checkpoint.fgc every epoch and on "
      "SIGINT/SIGTERM\n"
      "  --resume              continue from DIR/checkpoint.fgc\n"
      "  --export=FILE.onnx    write the trained model as ONNX\n"
      "  --max-steps=N         stop after N steps (with a checkpoint), for "
      "tests\n"
      "  --quiet               only errors and the final summary\n"
      "  --help                this text\n");
}

bool parseOptions(int argc, char **argv, const Description &d, Options &o,
                  std::string &error) {
  auto split = [](const std::string &s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty())
        out.push_back(item);
    return out;
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string key = arg, value;
    bool hasValue = false;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      key = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      hasValue = true;
    }
    auto need = [&]() -> bool {
      if (hasValue)
        return true;
      if (i + 1 < argc) {
        value = argv[++i];
        return true;
      }
      error = key + ": missing value";
      return false;
    };
    auto integer = [&](int64_t &out, int64_t min) -> bool {
      if (!need())
        return false;
      char *end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end || v < min) {
        error = key + "=" + value +
                ": expected an integer >= " + std::to_string(min);
        return false;
      }
      out = v;
      return true;
    };
    int64_t n;
    if (key == "--help" || key == "-h") {
      printHelp(d, argv[0]);
      std::exit(0);
    } else if (key == "--data") {
      if (!need())
        return false;
      o.data = value;
    } else if (key == "--train") {
      if (!need())
        return false;
      o.trainFiles = split(value);
    } else if (key == "--test") {
      if (!need())
        return false;
      o.testFiles = split(value);
    } else if (key == "--dataset") {
      if (!need())
        return false;
      o.dataset = value;
      if (value != "mnist" && value != "fashion-mnist" && value != "cifar10") {
        error =
            "--dataset=" + value + ": expected mnist, fashion-mnist or cifar10";
        return false;
      }
    } else if (key == "--normalize") {
      if (!need())
        return false;
      o.normalization = value;
      if (value != "published" && value != "computed") {
        error = "--normalize=" + value + ": expected published or computed";
        return false;
      }
    } else if (key == "--epochs") {
      if (!integer(o.epochs, 1))
        return false;
    } else if (key == "--warmup-epochs") {
      if (!integer(o.warmupEpochs, 0))
        return false;
    } else if (key == "--seed") {
      if (!integer(n, 0))
        return false;
      o.seed = n;
    } else if (key == "--threads") {
      if (!integer(n, 0))
        return false;
      o.threads = n;
    } else if (key == "--eval-every") {
      if (!integer(o.evalEvery, 1))
        return false;
    } else if (key == "--max-steps") {
      if (!integer(o.maxSteps, 1))
        return false;
    } else if (key == "--lr") {
      if (!need())
        return false;
      char *end = nullptr;
      o.lr = std::strtod(value.c_str(), &end);
      if (value.empty() || *end || !(o.lr >= 0) || !std::isfinite(o.lr)) {
        error = "--lr=" + value + ": expected a non-negative number";
        return false;
      }
    } else if (key == "--metrics") {
      if (!need())
        return false;
      o.metrics = value;
    } else if (key == "--plot") {
      if (!need())
        return false;
      o.plot = value;
    } else if (key == "--checkpoint-dir") {
      if (!need())
        return false;
      o.checkpointDir = value;
    } else if (key == "--export") {
      if (!need())
        return false;
      o.exportPath = value;
    } else if (key == "--resume" && !hasValue) {
      o.resume = true;
    } else if (key == "--quiet" && !hasValue) {
      o.quiet = true;
    } else {
      error = "unknown option '" + arg + "' (see --help)";
      return false;
    }
  }
  if (o.resume && o.checkpointDir.empty()) {
    error = "--resume needs --checkpoint-dir";
    return false;
  }
  if (o.plot.empty() && !o.metrics.empty())
    o.plot = o.metrics + ".svg";
  return true;
}

//===--- Checkpoints
//--------------------------------------------------------===//

struct TrainState {
  std::map<std::string, Tensor> tensors; // parameters and optimizer state
  int64_t epoch = 0, step = 0, globalStep = 0;
  uint64_t seed = 0;
};

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

//===--- Reporting
//----------------------------------------------------------===//

volatile std::sig_atomic_t stopSignal = 0;
void onSignal(int sig) { stopSignal = sig; }

struct EpochRecord {
  int64_t epoch;
  double trainLoss, trainError, testLoss, testError, examplesPerSecond, seconds,
      lr;
  std::vector<std::pair<std::string, double>> blockLosses;
};

std::string formatSeconds(double s) {
  char buf[32];
  int64_t t = static_cast<int64_t>(s + 0.5);
  std::snprintf(buf, sizeof buf, "%lld:%02lld", (long long)(t / 60),
                (long long)(t % 60));
  return buf;
}

bool writeSvg(const std::string &path, const std::vector<EpochRecord> &records,
              const std::string &title, std::string &error) {
  const double w = 640, h = 400, left = 60, right = 20, top = 40, bottom = 50;
  double maxErr = 0.05;
  for (const EpochRecord &r : records)
    maxErr = std::max(
        {maxErr, r.trainError, std::isnan(r.testError) ? 0 : r.testError});
  maxErr = std::ceil(maxErr * 20) / 20;
  int64_t n = records.empty() ? 1 : records.back().epoch;
  auto x = [&](double e) {
    return left + (w - left - right) * (e / std::max<int64_t>(n, 1));
  };
  auto y = [&](double v) {
    return top + (h - top - bottom) * (1 - v / maxErr);
  };
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='"
    << h << "' font-family='sans-serif' font-size='12'>\n"
    << "<rect width='100%' height='100%' fill='white'/>\n"
    << "<text x='" << w / 2 << "' y='20' text-anchor='middle'>" << title
    << "</text>\n";
  for (int i = 0; i <= 4; ++i) {
    double v = maxErr * i / 4;
    s << "<line x1='" << left << "' x2='" << w - right << "' y1='" << y(v)
      << "' y2='" << y(v) << "' stroke='#ddd'/>\n<text x='" << left - 5
      << "' y='" << y(v) + 4 << "' text-anchor='end'>" << 100 * v
      << "%</text>\n";
  }
  s << "<text x='" << w / 2 << "' y='" << h - 10
    << "' text-anchor='middle'>epoch</text>\n";
  auto series = [&](bool test, const char *color, const char *label, int row) {
    s << "<polyline fill='none' stroke='" << color
      << "' stroke-width='2' points='";
    for (const EpochRecord &r : records) {
      double v = test ? r.testError : r.trainError;
      if (!std::isnan(v))
        s << x(r.epoch) << "," << y(v) << " ";
    }
    s << "'/>\n<text x='" << w - right - 100 << "' y='" << top + 15 * row
      << "' fill='" << color << "'>" << label << "</text>\n";
  };
  series(false, "#1f77b4", "train error", 1);
  series(true, "#d62728", "test error", 2);
  s << "</svg>\n";
  return writeFileAtomically(path, s.str(), error);
}

int fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

//===--- Calling the compiled functions
//-------------------------------------===//

/// Binds a compiled function's arguments by name to tensors owned by the
/// caller; outputs get their own tensors.
struct Call {
  std::vector<ArgSpec> specs;
  std::vector<Tensor *> args;
  std::map<std::string, Tensor> outputs;

  bool bind(const std::vector<ArgSpec> &s,
            std::map<std::string, Tensor *> &inputs, std::string &error) {
    specs = s;
    args.clear();
    for (const ArgSpec &a : specs) {
      if (a.kind == ArgSpec::Kind::Output) {
        outputs[a.name] = Tensor(a.dtype, a.shape);
        args.push_back(&outputs[a.name]);
        continue;
      }
      auto it = inputs.find(a.name);
      if (it == inputs.end()) {
        error = "no value for argument '" + a.name + "'";
        return false;
      }
      args.push_back(it->second);
    }
    return checkArguments(specs, args, error);
  }
};

bool allFinite(const Tensor &t) {
  if (t.dtype() != DType::F32)
    return true;
  const float *p = t.data<float>();
  for (int64_t i = 0; i < t.numElements(); ++i)
    if (!std::isfinite(p[i]))
      return false;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  Description desc;
  std::string error;
  if (!parseDescription(desc, error))
    return fail(error);
  Options o;
  if (!parseOptions(argc, argv, desc, o, error))
    return fail(error);
  const std::vector<ArgSpec> &trainSig = desc.functions.at("train_step");
  const ArgSpec *imageSpec = nullptr;
  for (const ArgSpec &a : trainSig)
    if (a.kind == ArgSpec::Kind::Input && a.name != "labels" &&
        a.shape.size() >= 2 && a.dtype == DType::F32 &&
        a.name.find('.') == std::string::npos)
      imageSpec = &a;
  if (!imageSpec || imageSpec->shape.size() != 4)
    return fail(
        "the compiled model's input is not an image batch [N, C, H, W]");
  const int64_t batch = imageSpec->shape[0];

  // Data.
  DataFiles files;
  if (!o.trainFiles.empty() || !o.testFiles.empty()) {
    files.train = o.trainFiles;
    files.test = o.testFiles;
    files.dataset = o.dataset;
    if (files.train.empty() || files.test.empty())
      return fail("--train and --test go together");
    if (files.dataset.empty())
      files.dataset = files.train.size() == 2 ? "mnist" : "cifar10";
  } else if (!findDataFiles(o.data, o.dataset, files, error)) {
    return fail(error);
  }
  Dataset train, test;
  bool cifar = files.dataset == "cifar10";
  bool ok = cifar ? loadCifar(files.train, train, error) &&
                        loadCifar(files.test, test, error)
                  : files.train.size() == 2 && files.test.size() == 2 &&
                        loadIdx(files.train[0], files.train[1], train, error) &&
                        loadIdx(files.test[0], files.test[1], test, error);
  if (!ok)
    return fail(error.empty() ? "IDX data needs an image and a label file "
                                "for --train and --test"
                              : error);
  int64_t classes = std::atoll(fact(desc, "classes").c_str());
  const auto &shape = imageSpec->shape;
  for (const auto *set : {&train, &test}) {
    const std::string &name = set == &train ? files.train[0] : files.test[0];
    if (set->channels != shape[1] || set->height != shape[2] ||
        set->width != shape[3])
      return fail(name + ": images are " + std::to_string(set->channels) + "x" +
                  std::to_string(set->height) + "x" +
                  std::to_string(set->width) + ", the model takes " +
                  std::to_string(shape[1]) + "x" + std::to_string(shape[2]) +
                  "x" + std::to_string(shape[3]));
    for (int64_t i = 0; i < set->count; ++i)
      if (set->labels[i] < 0 || (classes && set->labels[i] >= classes))
        return fail(name + ": label " + std::to_string(set->labels[i]) +
                    " of example " + std::to_string(i) +
                    " is out of range for " + std::to_string(classes) +
                    " classes");
  }
  if (train.count < batch)
    return fail(files.train[0] + ": " + std::to_string(train.count) +
                " training examples, fewer than one batch of " +
                std::to_string(batch));
  std::vector<float> mean, stddev;
  if (o.normalization == "published" &&
      publishedStatistics(files.dataset, mean, stddev)) {
  } else {
    computeStatistics(train, mean, stddev);
  }
  if (!o.quiet) {
    std::printf(
        "data: %s, %lld training and %lld test images of %lldx%lldx%lld; "
        "normalised with mean",
        files.dataset.c_str(), (long long)train.count, (long long)test.count,
        (long long)train.channels, (long long)train.height,
        (long long)train.width);
    for (float m : mean)
      std::printf(" %.4f", m);
    std::printf(", std");
    for (float s : stddev)
      std::printf(" %.4f", s);
    std::printf(" (%s)\n", o.normalization.c_str());
  }
  normalize(train, mean, stddev);
  normalize(test, mean, stddev);

  // State: parameters and optimizer state.
  TrainState state;
  state.seed = o.seed;
  for (const ParamInfo &p : desc.params) {
    Tensor t(p.dtype, p.shape);
    std::memcpy(t.data(), desc.data + p.offset, p.bytes);
    state.tensors.emplace(p.name, std::move(t));
  }
  // Optimizer state: the inputs the step also returns; it starts at zero.
  std::set<std::string> returned;
  for (const ArgSpec &a : trainSig)
    if (a.kind == ArgSpec::Kind::Output)
      returned.insert(a.name);
  for (const ArgSpec &a : trainSig)
    if (a.kind == ArgSpec::Kind::Input && returned.count(a.name)) {
      Tensor t(a.dtype, a.shape);
      std::memset(t.data(), 0, t.byteSize());
      state.tensors.emplace(a.name, std::move(t));
    }
  uint64_t print = fingerprint(desc.header);
  if (o.resume) {
    if (!loadCheckpoint(o.checkpointDir, print, state, error))
      return fail(error);
    if (state.seed != o.seed && !o.quiet)
      std::printf("resume: using the checkpoint's seed %llu\n",
                  (unsigned long long)state.seed);
    if (!o.quiet)
      std::printf("resumed from %s/checkpoint.fgc at epoch %lld, step %lld\n",
                  o.checkpointDir.c_str(), (long long)state.epoch + 1,
                  (long long)state.step);
  }
  if (!o.checkpointDir.empty()) {
    // Fail early on an unwritable directory, before any work is lost.
    ::mkdir(o.checkpointDir.c_str(), 0777);
    std::string probe = o.checkpointDir + "/.fgc-write-test";
    if (!writeFileAtomically(probe, "", error))
      return fail(o.checkpointDir + ": cannot write checkpoints: " + error);
    std::remove(probe.c_str());
  }
  setNumThreads(o.threads);
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

  // Bindings.
  Tensor image(DType::F32, imageSpec->shape), labels(DType::I64, {batch});
  Tensor step(DType::I64, {}), seedT(DType::I64, {}), lr(DType::F32, {});
  Tensor total(DType::I64, {}), warmup(DType::I64, {}), base(DType::F32, {});
  std::map<std::string, Tensor *> inputs;
  for (auto &[name, t] : state.tensors)
    inputs[name] = &t;
  inputs[imageSpec->name] = &image;
  inputs["labels"] = &labels;
  inputs["step"] = &step;
  inputs["seed"] = &seedT;
  inputs["lr"] = &lr;
  inputs["total"] = &total;
  inputs["warmup"] = &warmup;
  inputs["base"] = &base;
  Call trainCall, evalCall, lrCall;
  if (!trainCall.bind(trainSig, inputs, error) ||
      !evalCall.bind(desc.functions.at("eval_step"), inputs, error) ||
      !lrCall.bind(desc.functions.at("learning_rate"), inputs, error))
    return fail("the compiled steps do not match their description: " + error);

  const int64_t stepsPerEpoch = train.count / batch;
  *total.data<int64_t>() = o.epochs * stepsPerEpoch;
  *warmup.data<int64_t>() = o.warmupEpochs * stepsPerEpoch;
  *base.data<float>() = static_cast<float>(o.lr);
  *seedT.data<int64_t>() = static_cast<int64_t>(state.seed);
  const int64_t imageSize = train.imageSize();
  std::vector<std::string> metricNames;
  for (const ArgSpec &a : trainSig)
    if (a.kind == ArgSpec::Kind::Output && a.shape.empty())
      metricNames.push_back(a.name);
  bool tty = ::isatty(1) && !o.quiet;

  if (!o.quiet)
    std::printf("training %s with %s: %lld epochs of %lld steps (batch %lld, "
                "the last %lld examples of each epoch's order are left out)\n",
                fact(desc, "model").c_str(), fact(desc, "algorithm").c_str(),
                (long long)o.epochs, (long long)stepsPerEpoch, (long long)batch,
                (long long)(train.count - stepsPerEpoch * batch));

  auto evaluate = [&](const Dataset &data, double &loss, double &err) {
    double lossSum = 0, wrong = 0;
    for (int64_t start = 0; start < data.count; start += batch) {
      int64_t n = std::min(batch, data.count - start);
      for (int64_t i = 0; i < batch; ++i) {
        int64_t src = start + (i < n ? i : 0);
        std::memcpy(image.data<float>() + i * imageSize,
                    &data.images[src * imageSize], imageSize * sizeof(float));
        labels.data<int64_t>()[i] = data.labels[src];
      }
      callPacked(fgc_eval_step, evalCall.args);
      const float *l = evalCall.outputs["loss"].data<float>();
      const float *c = evalCall.outputs["correct"].data<float>();
      for (int64_t i = 0; i < n; ++i) {
        lossSum += l[i];
        wrong += 1 - c[i];
      }
    }
    loss = lossSum / data.count;
    err = wrong / data.count;
  };

  // Batches are gathered on a second thread while the step runs.
  auto gather = [&](const std::vector<int64_t> *order, int64_t s,
                    std::vector<float> *img, std::vector<int64_t> *lab) {
    img->resize(batch * imageSize);
    lab->resize(batch);
    for (int64_t i = 0; i < batch; ++i) {
      int64_t src = (*order)[s * batch + i];
      std::memcpy(img->data() + i * imageSize, &train.images[src * imageSize],
                  imageSize * sizeof(float));
      (*lab)[i] = train.labels[src];
    }
  };

  std::vector<EpochRecord> records;
  int64_t stepsRun = 0;
  auto stopAndSave = [&](const char *why) -> int {
    if (!o.checkpointDir.empty()) {
      if (!saveCheckpoint(o.checkpointDir, print, state, error))
        return fail(error);
      std::printf("\n%s: checkpoint written to %s/checkpoint.fgc (epoch %lld, "
                  "step %lld); continue with --resume\n",
                  why, o.checkpointDir.c_str(), (long long)state.epoch + 1,
                  (long long)state.step);
    } else {
      std::printf("\n%s: stopped without a checkpoint (no --checkpoint-dir)\n",
                  why);
    }
    return stopSignal ? 128 + stopSignal : 0;
  };

  for (; state.epoch < o.epochs; ++state.epoch, state.step = 0) {
    // The epoch's order: Fisher-Yates with Philox bits keyed by the seed
    // and the epoch, so it can be recomputed on --resume.
    std::vector<int64_t> order(train.count);
    for (int64_t i = 0; i < train.count; ++i)
      order[i] = i;
    for (int64_t i = train.count - 1; i > 0; --i)
      std::swap(order[i],
                order[randomBits(state.seed, 1000 + state.epoch, i) % (i + 1)]);
    auto t0 = std::chrono::steady_clock::now();
    std::map<std::string, double> sums;
    double correct = 0;
    int64_t counted = 0;
    std::vector<float> nextImg;
    std::vector<int64_t> nextLab;
    std::future<void> pending;
    if (state.step < stepsPerEpoch)
      pending = std::async(std::launch::async, gather, &order, state.step,
                           &nextImg, &nextLab);
    for (; state.step < stepsPerEpoch; ++state.step) {
      pending.get();
      std::memcpy(image.data(), nextImg.data(), nextImg.size() * sizeof(float));
      std::memcpy(labels.data(), nextLab.data(),
                  nextLab.size() * sizeof(int64_t));
      if (state.step + 1 < stepsPerEpoch)
        pending = std::async(std::launch::async, gather, &order, state.step + 1,
                             &nextImg, &nextLab);
      *step.data<int64_t>() = state.globalStep;
      callPacked(fgc_learning_rate, lrCall.args);
      *lr.data<float>() = *lrCall.outputs["lr"].data<float>();
      callPacked(fgc_train_step, trainCall.args);
      bool finite = true;
      for (const std::string &m : metricNames)
        finite &= std::isfinite(*trainCall.outputs[m].data<float>());
      if (!finite) {
        if (pending.valid())
          pending.wait();
        std::fprintf(stderr,
                     "\nerror: the loss is not finite at epoch %lld, step %lld "
                     "(lr %g); training stopped%s\n",
                     (long long)state.epoch + 1, (long long)state.step,
                     *lr.data<float>(),
                     o.checkpointDir.empty()
                         ? ""
                         : "; the last good checkpoint is kept");
        return 1;
      }
      // Updated parameters and state become the next step's inputs.
      for (auto &[name, t] : state.tensors) {
        auto it = trainCall.outputs.find(name);
        if (it != trainCall.outputs.end())
          std::swap(t, it->second);
      }
      for (const std::string &m : metricNames)
        if (m != "correct")
          sums[m] += *trainCall.outputs[m].data<float>();
      correct += *trainCall.outputs["correct"].data<float>();
      ++counted;
      ++state.globalStep;
      ++stepsRun;
      if (tty && (state.step % 10 == 0 || state.step + 1 == stepsPerEpoch)) {
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count();
        double rate = counted / std::max(secs, 1e-9);
        int width = 30, done = int(width * (state.step + 1) / stepsPerEpoch);
        std::printf(
            "\repoch %lld/%lld [%s%s] %lld/%lld  %.1f steps/s  ETA %s  ",
            (long long)state.epoch + 1, (long long)o.epochs,
            std::string(done, '=').c_str(),
            std::string(width - done, ' ').c_str(), (long long)state.step + 1,
            (long long)stepsPerEpoch, rate,
            formatSeconds((stepsPerEpoch - state.step - 1) / rate).c_str());
        std::fflush(stdout);
      }
      if (stopSignal || (o.maxSteps > 0 && stepsRun >= o.maxSteps)) {
        ++state.step;
        if (pending.valid())
          pending.wait();
        return stopAndSave(stopSignal ? "interrupted" : "--max-steps reached");
      }
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    for (auto &[name, t] : state.tensors)
      if (!allFinite(t))
        return fail("parameter '" + name + "' is not finite after epoch " +
                    std::to_string(state.epoch + 1) +
                    "; training stopped, the last good checkpoint is kept");
    EpochRecord r;
    r.epoch = state.epoch + 1;
    r.seconds = seconds;
    r.examplesPerSecond = counted * batch / std::max(seconds, 1e-9);
    r.lr = *lr.data<float>();
    r.trainError = 1 - correct / double(std::max<int64_t>(counted, 1) * batch);
    r.trainLoss = sums["loss.readout"] / std::max<int64_t>(counted, 1);
    for (auto &[name, v] : sums)
      if (name.rfind("loss.block", 0) == 0)
        r.blockLosses.push_back(
            {name.substr(5), v / std::max<int64_t>(counted, 1)});
    r.testLoss = r.testError = NAN;
    if (r.epoch % o.evalEvery == 0 || r.epoch == o.epochs)
      evaluate(test, r.testLoss, r.testError);
    records.push_back(r);
    if (!o.quiet) {
      std::printf("%sepoch %lld/%lld: loss %.4f", tty ? "\r" : "",
                  (long long)r.epoch, (long long)o.epochs, r.trainLoss);
      for (auto &[name, v] : r.blockLosses)
        std::printf(" %s %.4f", name.c_str(), v);
      std::printf(", train error %.2f%%", 100 * r.trainError);
      if (!std::isnan(r.testError))
        std::printf(", test error %.2f%%", 100 * r.testError);
      std::printf(", %.0f examples/s, %.1f s%s\n", r.examplesPerSecond,
                  r.seconds, tty ? "                " : "");
      std::fflush(stdout);
    }
    if (!o.metrics.empty()) {
      std::string all;
      std::string existing;
      if (r.epoch > 1 || o.resume)
        readFile(o.metrics, existing, error);
      char buf[512];
      std::snprintf(
          buf, sizeof buf,
          "{\"epoch\": %lld, \"train_loss\": %.6g, \"train_error\": "
          "%.6g, \"test_error\": %s, \"test_loss\": %s, "
          "\"examples_per_second\": %.6g, \"seconds\": %.6g, "
          "\"lr\": %.6g",
          (long long)r.epoch, r.trainLoss, r.trainError,
          std::isnan(r.testError) ? "null"
                                  : std::to_string(r.testError).c_str(),
          std::isnan(r.testLoss) ? "null" : std::to_string(r.testLoss).c_str(),
          r.examplesPerSecond, r.seconds, r.lr);
      all = existing + buf;
      for (auto &[name, v] : r.blockLosses)
        all += ", \"loss_" + name + "\": " + std::to_string(v);
      all += "}\n";
      if (!writeFileAtomically(o.metrics, all, error))
        return fail(o.metrics + ": " + error);
    }
    if (!o.checkpointDir.empty()) {
      int64_t saveEpoch = state.epoch, saveStep = state.step;
      state.epoch += 1;
      state.step = 0;
      bool saved = saveCheckpoint(o.checkpointDir, print, state, error);
      state.epoch = saveEpoch;
      state.step = saveStep;
      if (!saved)
        return fail(o.checkpointDir + ": " + error);
    }
  }

  // Summary.
  std::printf("\n epoch | train loss | train error | test error\n"
              "-------+------------+-------------+-----------\n");
  for (const EpochRecord &r : records) {
    char test[32] = "          -";
    if (!std::isnan(r.testError))
      std::snprintf(test, sizeof test, "%9.2f%%", 100 * r.testError);
    std::printf(" %5lld | %10.4f | %10.2f%% | %s\n", (long long)r.epoch,
                r.trainLoss, 100 * r.trainError, test);
  }
  if (!records.empty() && !std::isnan(records.back().testError))
    std::printf("test error: %.2f%%\n", 100 * records.back().testError);
  if (!o.plot.empty() && !records.empty()) {
    if (!writeSvg(o.plot, records,
                  fact(desc, "model") + " " + fact(desc, "algorithm"), error))
      return fail(o.plot + ": " + error);
    if (!o.quiet)
      std::printf("plot: %s\n", o.plot.c_str());
  }
  if (!o.exportPath.empty()) {
    std::map<std::string, const Tensor *> values;
    for (const ParamInfo &p : desc.params)
      if (p.model)
        values[p.name] = &state.tensors.at(p.name);
    std::string onnx(desc.data + desc.onnxOffset, desc.onnxSize), out;
    if (!replaceInitializers(onnx, values, out, error))
      return fail(o.exportPath + ": " + error);
    if (!writeFileAtomically(o.exportPath, out, error))
      return fail(o.exportPath + ": " + error);
    if (!o.quiet)
      std::printf("exported: %s\n", o.exportPath.c_str());
  }
  return 0;
}
