//===- Trainer.h - The parts of the trainer's main program ------*- C++ -*-===//
//
// `fgc compile MODEL --algo=A -o EXE` links this program with the compiled
// @train_step / @eval_step / @learning_rate and their description
// (TrainerABI.h). It loads a data set, trains, reports, checkpoints and
// exports; plain C++ over lib/Runtime: no MLIR, LLVM or Python at run time.
//
// Rules worth knowing (also in docs/trainer.md):
// * Each epoch visits the training set in a fresh order (seeded by --seed and
//   the epoch); the last partial batch is dropped (the step has a fixed
//   batch size), so an epoch has floor(train / batch) steps.
// * Test error is over the whole test set: the last partial batch is padded
//   and only its real examples count.
// * A checkpoint holds parameters, optimizer state, epoch, step in the epoch
//   and the seed; the data order is a function of (seed, epoch), so --resume
//   continues exactly where the run stopped. It also holds the epoch's
//   partial sums and the per-epoch history, so a resumed epoch reports all
//   of its steps and the metrics and plot are rewritten whole from it. It ends
//   with a CRC-32 and its header is read strictly; it is written only from a
//   finite state, and one trainer at a time owns a checkpoint directory
//   (flock).
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_TRAINER_TRAINER_H
#define FGC_RUNTIME_TRAINER_TRAINER_H

#include "fgc/Runtime/Data.h"
#include "fgc/Runtime/ImageDecoder.h"
#include "fgc/Runtime/TrainerABI.h"

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace fgc::trainer {

/// Prints "error: <message>" on stderr and returns 1, the exit status of
/// every error.
int fail(const std::string &message);

//===--- Options.cpp: the command line ------------------------------------===//

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
  /// Stop when a loss exceeds this many times its first value (0: never).
  double divergenceFactor = 1e4;
  std::string normalization = "published";
  /// How images are fitted to the model's height and width (rt::Fit).
  std::string fit = "auto";
};

enum class Parsed { Run, Help, Error };

/// Reads the command line into `o`. Help (the compiled-in facts of `d`,
/// then the options) is printed here and gives Help; errors are one line.
Parsed parseOptions(int argc, char **argv, const rt::ModelDescription &d,
                    Options &o, std::string &error);

//===--- Batches.cpp: data sets and batches -------------------------------===//

/// A data set as the trainer holds it: the files' bytes, and how one of
/// its images becomes the model's input.
struct Examples {
  rt::Dataset data;
  rt::ImageDecoder decoder;
  int64_t count() const { return data.count; }
};

/// Loads the train and test sets the options name, checks them against the
/// model's image shape [N, C, H, W] and `classes` (0: unchecked), and plans
/// their normalisation and fitting (printing the statistics unless
/// --quiet).
bool loadData(const Options &o, const std::vector<int64_t> &imageShape,
              int64_t classes, Examples &train, Examples &test,
              std::string &error);

/// The epoch's order of `count` examples: Fisher-Yates with Philox bits
/// keyed by the seed and the epoch, so that --resume can recompute it.
std::vector<int64_t> epochOrder(int64_t count, uint64_t seed, int64_t epoch);

/// Copies training batch `step` (examples order[step * batch ...]).
void gatherBatch(const Examples &set, const std::vector<int64_t> &order,
                 int64_t step, int64_t batch, std::vector<float> &images,
                 std::vector<int64_t> &labels);

/// Copies the evaluation batch of examples [start, start + batch) into
/// `image` and `labels`, padding past the end with example `start`; returns
/// how many examples are real.
int64_t fillEvalBatch(const Examples &set, int64_t start, int64_t batch,
                      rt::Tensor &image, rt::Tensor &labels);

//===--- Checkpoint.cpp: the training state and its files -----------------===//

struct EpochRecord {
  int64_t epoch;
  double trainLoss, trainError, testLoss, testError, examplesPerSecond, seconds,
      lr;
  /// The process's peak resident memory by the end of the epoch (the
  /// kernel's high-water mark, getrusage); NaN in records read from a
  /// format-3 checkpoint, which did not keep it.
  double peakRssBytes = NAN;
  std::vector<std::pair<std::string, double>> blockLosses;
};

struct TrainState {
  std::map<std::string, rt::Tensor> tensors; // parameters and optimizer state
  int64_t epoch = 0, step = 0, globalStep = 0;
  uint64_t seed = 0;
  /// The current epoch's partial sums, so that a resumed epoch reports all
  /// of its steps: each loss's sum (the names fixed by initialState), the
  /// correct count and the seconds spent so far.
  std::map<std::string, double> sums;
  double correct = 0, seconds = 0;
  /// One record per finished epoch: the metrics file, the plot and the
  /// summary are made from it, so a resume neither loses nor repeats a row.
  std::vector<EpochRecord> history;
};

/// The state before training: the embedded initial parameters, and zeros
/// for the optimizer state (the inputs @train_step feeds back).
TrainState initialState(const rt::ModelDescription &d, uint64_t seed);

/// FNV-1a of the description's text: a checkpoint belongs to one compiled
/// model and setup.
uint64_t fingerprint(const std::string &text);

/// Whether every float of the state is finite; else an error naming the
/// first tensor that is not.
bool checkFinite(const TrainState &s, std::string &error);

/// DIR/checkpoint.fgc, written atomically, and only from a finite state.
bool saveCheckpoint(const std::string &dir, uint64_t print, const TrainState &s,
                    std::string &error);
/// parseCheckpoint of DIR/checkpoint.fgc; a refusal names the file and says
/// that it is left as it is.
bool loadCheckpoint(const std::string &dir, uint64_t print,
                    int64_t stepsPerEpoch, TrainState &s, std::string &error);

/// Creates DIR, checks that it is writable, takes its lock (a second trainer
/// fails naming the holder's PID) and removes stale temporary files.
bool claimCheckpointDir(const std::string &dir, std::string &error);

/// The embedded ONNX model with the trained values of its initializers.
bool exportOnnx(const rt::ModelDescription &d, const TrainState &s,
                const std::string &path, std::string &error);

//===--- CheckpointFormat.cpp: a checkpoint's bytes -----------------------===//

/// The checkpoint of `s` for the model with fingerprint `print`: header,
/// tensors in name order, CRC-32.
std::string serializeCheckpoint(uint64_t print, const TrainState &s);
/// Fills the tensors and sums already in `s` (they fix names and sizes), the
/// counters and the history (one record per epoch done) from `bytes`. Refuses
/// with a one-line reason, leaving `s` unchanged, a checksum mismatch,
/// another format or fingerprint, and any header that is not exactly one of
/// each key with 0 <= step < stepsPerEpoch and global = epoch *
/// stepsPerEpoch + step.
bool parseCheckpoint(const std::string &bytes, uint64_t print,
                     int64_t stepsPerEpoch, TrainState &s, std::string &error);
/// A double as text that reads back exactly (C99 hex float, %a).
std::string formatDouble(double v);
/// A whole token that strtod reads; non-finite only when `finite` is false.
bool parseDouble(const std::string &s, double &out, bool finite = true);
/// A checkpoint's "record ..." line of `r`: every figure exact, so the
/// metrics rewritten after a resume are those of an uninterrupted run.
std::string formatRecord(const EpochRecord &r);
/// The value of a "record" line, which must be epoch `epoch`'s; test
/// figures may be NaN (not evaluated that epoch), and the peak resident
/// memory (a record carried over from a format-3 checkpoint), no other
/// field. Format 3 records lack the peak resident memory (`withPeakRss`
/// false).
bool parseRecord(const std::string &value, int64_t epoch, EpochRecord &r,
                 bool withPeakRss = true);

//===--- Report.cpp: progress, metrics, summary, plot ---------------------===//

/// Creates and removes a file in `dir`; on failure the reason (strerror).
bool probeDirectory(const std::string &dir, std::string &reason);
/// Removes `dir`/`stem`.tmp.PID files (writeFileAtomically's) whose writer
/// is gone, or all of them when `all` (the checkpoint directory's lock
/// rules out a live writer).
void removeStaleTemps(const std::string &dir, const std::string &stem,
                      bool all);
/// Whether the output file `path` of option `flag` can be written (its
/// directory probed; the reason is strerror's: EACCES, EROFS, ENOENT...).
bool checkWritable(const std::string &flag, const std::string &path,
                   std::string &error);
/// checkWritable for --metrics, --plot and --export, before the first step.
bool checkOutputs(const Options &o, std::string &error);

/// The in-place progress bar of a terminal.
void printProgress(int64_t epoch, int64_t epochs, int64_t step,
                   int64_t stepsPerEpoch, double stepsPerSecond);
/// One line per epoch, replacing the progress bar on a terminal.
void printEpoch(const EpochRecord &r, int64_t epochs, bool tty);
/// Rewrites `path` with one JSON object per record: the history is the
/// truth, so a killed or resumed run leaves no stale or repeated rows.
bool writeMetrics(const std::string &path,
                  const std::vector<EpochRecord> &records, std::string &error);
/// The table at the end of a run.
void printSummary(const std::vector<EpochRecord> &records);
/// SVG of train and test error per epoch.
bool writeSvg(const std::string &path, const std::vector<EpochRecord> &records,
              const std::string &title, std::string &error);

//===--- Loop.cpp: training -----------------------------------------------===//

/// Binds a compiled function's arguments by name to tensors owned by the
/// caller; outputs get their own tensors.
struct BoundCall {
  std::vector<rt::Tensor *> args;
  std::map<std::string, rt::Tensor> outputs;

  bool bind(const std::vector<rt::ArgSpec> &specs,
            std::map<std::string, rt::Tensor *> &inputs, std::string &error) {
    args.clear();
    for (const rt::ArgSpec &a : specs) {
      if (a.kind == rt::ArgSpec::Kind::Output) {
        outputs[a.name] = rt::Tensor(a.dtype, a.shape);
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
    return rt::checkArguments(specs, args, error);
  }

  float scalar(const char *name) { return *outputs[name].data<float>(); }
};

/// The packed entry points of the compiled steps.
struct CompiledSteps {
  rt::PackedFunction train, eval, learningRate;
};

/// Everything after the options: data, state, the epochs, the summary and
/// the exports. Returns the exit status.
int train(const rt::ModelDescription &d, const Options &o,
          const CompiledSteps &steps);

} // namespace fgc::trainer

#endif // FGC_RUNTIME_TRAINER_TRAINER_H
