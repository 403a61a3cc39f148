//===- Loop.cpp - The trainer's epochs ------------------------------------===//
//
// Sets up the data, the state and the compiled steps' arguments, then runs
// the epochs: each step's updated parameters and optimizer state become the
// next step's inputs, the next batch is gathered on a second thread while
// the step runs, and the run stops with a checkpoint on SIGINT/SIGTERM or
// --max-steps (at the end of the epoch when that is the epoch's last step,
// so that a checkpoint's step is always inside an epoch), and at once on a
// loss that is not finite or exceeds --divergence-factor times its first
// (a resumed run's: the checkpoint's first epoch's mean).
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include "fgc/Runtime/TensorIO.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <future>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace fgc::rt;

namespace fgc::trainer {

namespace {

volatile std::sig_atomic_t stopSignal = 0;
void onSignal(int sig) { stopSignal = sig; }

/// The kernel's high-water mark of this process's resident memory.
double peakResidentBytes() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return NAN;
  return 1024.0 * static_cast<double>(usage.ru_maxrss); // kB on Linux
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

/// One run of the trainer. A method that ends the run returns false with
/// `status` set to the exit status.
class Session {
public:
  Session(const ModelDescription &d, const Options &o,
          const CompiledSteps &steps)
      : d(d), o(o), steps(steps) {}

  /// The whole run; returns the exit status.
  int run();

private:
  bool prepare();
  bool runEpoch();
  int finish();
  bool failWith(const std::string &message) {
    status = fail(message);
    return false;
  }
  bool bindSteps();
  void evaluate(const Examples &set, double &loss, double &err);
  bool stopAndSave(const char *why);
  bool lossDiverged(std::string &detail);
  bool stopOnLoss(const std::string &detail);
  bool endEpoch(double seconds);
  bool writeReports();

  const ModelDescription &d;
  const Options &o;
  const CompiledSteps &steps;
  const std::vector<ArgSpec> &trainArgs = d.function(rt::abi::kTrainStep)->args;
  int64_t batch = 0, stepsPerEpoch = 0, stepsRun = 0;
  Examples train, test;
  TrainState state;
  uint64_t print = 0;
  /// The steps' arguments besides the state.
  Tensor image, labels, step, seed, lr, total, warmup, base;
  BoundCall trainCall, evalCall, lrCall;
  std::vector<std::string> metricNames;
  /// Each loss's first value in this run (a resumed run's: its scale in the
  /// checkpoint, resumedLossScale), the measure of divergence.
  std::map<std::string, double> firstLoss;
  bool tty = false;
  /// A stop asked for at an epoch's last step, done after the epoch's end.
  const char *stopAfterEpoch = nullptr;
  std::string error;
  int status = 0;
};

/// Each loss's scale in the training a checkpoint continues, the measure
/// of divergence of a resumed run: its mean over the first epoch recorded,
/// else over the steps done of the unfinished first epoch. Not the resumed
/// run's own first step: a well-trained model's loss can be 1e-7 at one
/// step and 1e-3 at the next, which is no divergence.
static std::map<std::string, double>
resumedLossScale(const TrainState &s, const std::vector<std::string> &metrics) {
  std::map<std::string, double> scale;
  if (!s.history.empty()) {
    const EpochRecord &first = s.history.front();
    for (const std::string &m : metrics) {
      if (m == rt::abi::kReadoutLoss)
        scale[m] = first.trainLoss;
      else if (rt::abi::isBlockLoss(m))
        for (const auto &[label, v] : first.blockLosses)
          if (label == rt::abi::lossLabel(m))
            scale[m] = v;
    }
  } else if (s.step > 0) {
    for (const auto &[m, sum] : s.sums)
      scale[m] = sum / static_cast<double>(s.step);
  }
  // A loss the checkpoint has no finite, positive scale for takes its
  // first value in this run, as in a fresh one.
  for (auto it = scale.begin(); it != scale.end();)
    it = std::isfinite(it->second) && it->second > 0 ? std::next(it)
                                                     : scale.erase(it);
  return scale;
}

int Session::run() {
  if (!prepare())
    return status;
  for (; state.epoch < o.epochs; ++state.epoch, state.step = 0) {
    if (!runEpoch())
      return status;
    if (stopAfterEpoch && state.epoch + 1 < o.epochs) {
      ++state.epoch;
      state.step = 0;
      stopAndSave(stopAfterEpoch);
      return status;
    }
  }
  return finish();
}

bool Session::prepare() {
  const ArgSpec *imageSpec = rt::abi::findImageInput(trainArgs);
  if (!imageSpec || imageSpec->shape.size() != 4)
    return failWith(
        "the compiled model's input is not an image batch [N, C, H, W]");
  batch = imageSpec->shape[0];
  // Outputs are checked before any work that they would lose.
  if (!checkOutputs(o, error))
    return failWith(error);
  if (!o.checkpointDir.empty() && !claimCheckpointDir(o.checkpointDir, error))
    return failWith(error);
  // A file-size limit is then a write error, not a silent death.
  std::signal(SIGXFSZ, SIG_IGN);
  if (!loadData(o, imageSpec->shape, d.classes, train, test, error))
    return failWith(error);
  stepsPerEpoch = train.count() / batch;

  state = initialState(d, o.seed);
  print = fingerprint(d.header());
  if (o.resume) {
    if (!loadCheckpoint(o.checkpointDir, print, stepsPerEpoch, state, error))
      return failWith(error);
    if (state.seed != o.seed && !o.quiet)
      std::printf("resume: using the checkpoint's seed %llu\n",
                  (unsigned long long)state.seed);
    if (!o.quiet)
      std::printf("resumed from %s/checkpoint.fgc at epoch %lld, step %lld\n",
                  o.checkpointDir.c_str(), (long long)state.epoch + 1,
                  (long long)state.step);
  }
  setNumThreads(o.threads);
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

  image = Tensor(DType::F32, imageSpec->shape);
  if (!bindSteps())
    return false;
  *total.data<int64_t>() = o.epochs * stepsPerEpoch;
  *warmup.data<int64_t>() = o.warmupEpochs * stepsPerEpoch;
  *base.data<float>() = static_cast<float>(o.lr);
  *seed.data<int64_t>() = static_cast<int64_t>(state.seed);
  for (const ArgSpec &a : trainArgs)
    if (rt::abi::isMetric(a))
      metricNames.push_back(a.name);
  if (o.resume)
    firstLoss = resumedLossScale(state, metricNames);
  tty = ::isatty(1) && !o.quiet;
  if (!o.quiet)
    std::printf("training %s with %s: %lld epochs of %lld steps (batch %lld, "
                "the last %lld examples of each epoch's order are left out)\n",
                d.model.c_str(), d.algorithm.c_str(), (long long)o.epochs,
                (long long)stepsPerEpoch, (long long)batch,
                (long long)(train.count() - stepsPerEpoch * batch));
  return true;
}

bool Session::bindSteps() {
  labels = Tensor(DType::I64, {batch});
  step = Tensor(DType::I64, {});
  seed = Tensor(DType::I64, {});
  lr = Tensor(DType::F32, {});
  total = Tensor(DType::I64, {});
  warmup = Tensor(DType::I64, {});
  base = Tensor(DType::F32, {});
  std::map<std::string, Tensor *> inputs;
  for (auto &[name, t] : state.tensors)
    inputs[name] = &t;
  inputs[rt::abi::findImageInput(trainArgs)->name] = &image;
  inputs[rt::abi::kLabels] = &labels;
  inputs[rt::abi::kStep] = &step;
  inputs[rt::abi::kSeed] = &seed;
  inputs[rt::abi::kLr] = &lr;
  inputs[rt::abi::kTotal] = &total;
  inputs[rt::abi::kWarmup] = &warmup;
  inputs[rt::abi::kBase] = &base;
  if (!trainCall.bind(trainArgs, inputs, error) ||
      !evalCall.bind(d.function(rt::abi::kEvalStep)->args, inputs, error) ||
      !lrCall.bind(d.function(rt::abi::kLearningRate)->args, inputs, error))
    return failWith("the compiled steps do not match their description: " +
                    error);
  return true;
}

void Session::evaluate(const Examples &set, double &loss, double &err) {
  double lossSum = 0, wrong = 0;
  for (int64_t start = 0; start < set.count(); start += batch) {
    int64_t n = fillEvalBatch(set, start, batch, image, labels);
    callPacked(steps.eval, evalCall.args);
    const float *l = evalCall.outputs[rt::abi::kLoss].data<float>();
    const float *c = evalCall.outputs[rt::abi::kCorrect].data<float>();
    for (int64_t i = 0; i < n; ++i) {
      lossSum += l[i];
      wrong += 1 - c[i];
    }
  }
  loss = lossSum / set.count();
  err = wrong / set.count();
}

bool Session::stopAndSave(const char *why) {
  if (!o.checkpointDir.empty()) {
    if (!saveCheckpoint(o.checkpointDir, print, state, error))
      return failWith(error);
    std::printf("\n%s: checkpoint written to %s/checkpoint.fgc (epoch %lld, "
                "step %lld); continue with --resume\n",
                why, o.checkpointDir.c_str(), (long long)state.epoch + 1,
                (long long)state.step);
  } else {
    std::printf("\n%s: stopped without a checkpoint (no --checkpoint-dir)\n",
                why);
  }
  status = stopSignal ? 128 + stopSignal : 0;
  return false;
}

/// The step's losses: whether one is not finite or has grown past
/// --divergence-factor times its first value in the run (`detail` then says
/// which and how). Both stop the run alike: a finite blow-up is as lost.
bool Session::lossDiverged(std::string &detail) {
  char buf[256];
  for (const std::string &m : metricNames) {
    double v = trainCall.scalar(m.c_str());
    double first = firstLoss.emplace(m, v).first->second;
    if (!std::isfinite(v)) {
      std::snprintf(buf, sizeof buf, "%s is %g", m.c_str(), v);
    } else if (m != rt::abi::kCorrect && o.divergenceFactor > 0 && first > 0 &&
               v > o.divergenceFactor * first) {
      std::snprintf(buf, sizeof buf,
                    "%s is %g, over %g x its first value %g "
                    "(--divergence-factor)",
                    m.c_str(), v, o.divergenceFactor, first);
    } else {
      continue;
    }
    detail = buf;
    return true;
  }
  return false;
}

bool Session::stopOnLoss(const std::string &detail) {
  std::fprintf(
      stderr,
      "\nerror: the loss is not finite or has diverged at epoch %lld, step "
      "%lld (lr %g): %s; training stopped%s\n",
      (long long)state.epoch + 1, (long long)state.step, *lr.data<float>(),
      detail.c_str(),
      o.checkpointDir.empty() ? "" : "; the last good checkpoint is kept");
  status = 1;
  return false;
}

bool Session::runEpoch() {
  std::vector<int64_t> order =
      epochOrder(train.count(), state.seed, state.epoch);
  auto t0 = std::chrono::steady_clock::now();
  // The sums start from the checkpoint's: a resumed epoch reports all of
  // its steps, added in the uninterrupted run's order.
  std::map<std::string, double> &sums = state.sums;
  int64_t counted = 0; // steps in this process, for its rate
  std::vector<float> nextImg;
  std::vector<int64_t> nextLab;
  std::future<void> pending;
  auto prefetch = [&](int64_t s) {
    pending = std::async(std::launch::async, [&, s] {
      gatherBatch(train, order, s, batch, nextImg, nextLab);
    });
  };
  if (state.step < stepsPerEpoch)
    prefetch(state.step);
  for (; state.step < stepsPerEpoch; ++state.step) {
    pending.get();
    std::memcpy(image.data(), nextImg.data(), nextImg.size() * sizeof(float));
    std::memcpy(labels.data(), nextLab.data(),
                nextLab.size() * sizeof(int64_t));
    if (state.step + 1 < stepsPerEpoch)
      prefetch(state.step + 1);
    *step.data<int64_t>() = state.globalStep;
    callPacked(steps.learningRate, lrCall.args);
    *lr.data<float>() = lrCall.scalar(rt::abi::kLr);
    callPacked(steps.train, trainCall.args);
    std::string detail;
    if (lossDiverged(detail)) {
      if (pending.valid())
        pending.wait();
      return stopOnLoss(detail);
    }
    // Updated parameters and state become the next step's inputs.
    for (auto &[name, t] : state.tensors) {
      auto it = trainCall.outputs.find(name);
      if (it != trainCall.outputs.end())
        std::swap(t, it->second);
    }
    for (const std::string &m : metricNames)
      if (m != rt::abi::kCorrect)
        sums[m] += trainCall.scalar(m.c_str());
    state.correct += trainCall.scalar(rt::abi::kCorrect);
    ++counted;
    ++state.globalStep;
    ++stepsRun;
    if (tty && (state.step % 10 == 0 || state.step + 1 == stepsPerEpoch))
      printProgress(state.epoch, o.epochs, state.step, stepsPerEpoch,
                    counted / std::max(secondsSince(t0), 1e-9));
    if (stopSignal || (o.maxSteps > 0 && stepsRun >= o.maxSteps)) {
      const char *why = stopSignal ? "interrupted" : "--max-steps reached";
      if (state.step + 1 == stepsPerEpoch) {
        stopAfterEpoch = why;
        continue;
      }
      ++state.step;
      if (pending.valid())
        pending.wait();
      state.seconds += secondsSince(t0);
      return stopAndSave(why);
    }
  }
  return endEpoch(state.seconds + secondsSince(t0));
}

bool Session::endEpoch(double seconds) {
  if (!checkFinite(state, error))
    return failWith(error);
  const int64_t n = std::max<int64_t>(state.step, 1);
  EpochRecord r;
  r.epoch = state.epoch + 1;
  r.seconds = seconds;
  r.examplesPerSecond = n * batch / std::max(seconds, 1e-9);
  r.lr = *lr.data<float>();
  r.peakRssBytes = peakResidentBytes();
  r.trainError = 1 - state.correct / double(n * batch);
  auto readout = state.sums.find(rt::abi::kReadoutLoss);
  r.trainLoss = (readout == state.sums.end() ? 0 : readout->second) / n;
  for (auto &[name, v] : state.sums)
    if (rt::abi::isBlockLoss(name))
      r.blockLosses.push_back({rt::abi::lossLabel(name), v / n});
  r.testLoss = r.testError = NAN;
  if (r.epoch % o.evalEvery == 0 || r.epoch == o.epochs)
    evaluate(test, r.testLoss, r.testError);
  state.history.push_back(r);
  // The next epoch (and the checkpoint below, which resumes there) starts
  // from zero.
  for (auto &entry : state.sums)
    entry.second = 0;
  state.correct = state.seconds = 0;
  if (!o.quiet)
    printEpoch(r, o.epochs, tty);
  if (!o.checkpointDir.empty()) {
    // The checkpoint of a finished epoch resumes at the next one. It goes
    // first: a failed metrics write must not cost the epoch's work.
    int64_t epoch = state.epoch, stepInEpoch = state.step;
    state.epoch += 1;
    state.step = 0;
    bool saved = saveCheckpoint(o.checkpointDir, print, state, error);
    state.epoch = epoch;
    state.step = stepInEpoch;
    if (!saved)
      return failWith(error);
  }
  return writeReports();
}

/// The metrics file and the plot, rewritten whole from the history after
/// the checkpoint that holds it: a kill in between loses nothing, as the
/// next epoch's end (or the resumed run's finish) writes them again.
bool Session::writeReports() {
  if (state.history.empty())
    return true;
  if (!o.metrics.empty() && !writeMetrics(o.metrics, state.history, error))
    return failWith(error);
  if (!o.plot.empty() &&
      !writeSvg(o.plot, state.history, d.model + " " + d.algorithm, error))
    return failWith(o.plot + ": " + error);
  return true;
}

int Session::finish() {
  printSummary(state.history);
  if (!writeReports())
    return status;
  if (!o.plot.empty() && !state.history.empty() && !o.quiet)
    std::printf("plot: %s\n", o.plot.c_str());
  if (!o.exportPath.empty()) {
    if (!exportOnnx(d, state, o.exportPath, error))
      return fail(error);
    if (!o.quiet)
      std::printf("exported: %s\n", o.exportPath.c_str());
  }
  return 0;
}

} // namespace

int train(const ModelDescription &d, const Options &o,
          const CompiledSteps &steps) {
  return Session(d, o, steps).run();
}

} // namespace fgc::trainer
