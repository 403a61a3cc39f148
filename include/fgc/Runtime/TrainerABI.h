//===- TrainerABI.h - The contract between fgc and its trainers -*- C++ -*-===//
//
// `fgc compile MODEL --algo=A -o EXE` links compiled step functions with the
// trainer's main program (lib/Runtime/Trainer). Both sides meet here: the
// names the compiled functions give their arguments and results, the packed
// entry points and the description the compiler embeds in every trainer.
// The compiler writes names and the description through this header and the
// trainer reads them through it, so neither can drift from the other.
//
// Plain C++17 like the rest of the runtime: no LLVM or MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_TRAINERABI_H
#define FGC_RUNTIME_TRAINERABI_H

#include "fgc/Runtime/Call.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fgc::rt {

/// Spelled rt::abi:: or fgc::rt::abi:: where <cxxabi.h> may be seen: it
/// declares a global namespace abi too.
namespace abi {

/// The functions of a training module (fg-localize, fg-train-step).
inline constexpr const char *kForward = "forward";
inline constexpr const char *kLocalLosses = "local_losses";
inline constexpr const char *kTrainStep = "train_step";
inline constexpr const char *kEvalStep = "eval_step";
inline constexpr const char *kLearningRate = "learning_rate";

/// The symbols a trainer executable links against: the packed entry points
/// (`void (void **)`, see Call.h) of the three step functions, and the
/// description (a byte array and, next to it, `<blob>_size`, a uint64_t).
inline constexpr const char *kTrainStepSymbol = "fgc_train_step";
inline constexpr const char *kEvalStepSymbol = "fgc_eval_step";
inline constexpr const char *kLearningRateSymbol = "fgc_learning_rate";
inline constexpr const char *kModelBlobSymbol = "fgc_model_blob";
inline constexpr const char *kModelBlobSizeSymbol = "fgc_model_blob_size";

/// Arguments: @train_step takes labels, step, seed and lr besides the model
/// inputs, parameters and optimizer state; @eval_step takes labels;
/// @learning_rate takes step, total, warmup and base.
inline constexpr const char *kLabels = "labels";
inline constexpr const char *kStep = "step";
inline constexpr const char *kSeed = "seed";
inline constexpr const char *kLr = "lr";
inline constexpr const char *kTotal = "total";
inline constexpr const char *kWarmup = "warmup";
inline constexpr const char *kBase = "base";

/// Results: @train_step returns the updated parameters and state (under
/// their input names), one mean loss per local block ("loss.block<i>"), the
/// readout's mean loss and the batch's count of correct predictions;
/// @eval_step returns per-example loss and correctness; @learning_rate, lr.
inline constexpr const char *kBlockLossPrefix = "loss.block";
inline constexpr const char *kReadoutLoss = "loss.readout";
inline constexpr const char *kCorrect = "correct";
inline constexpr const char *kLoss = "loss";
/// @local_losses returns "loss.<block name>" per block, the readout's
/// per-example loss and the logits.
inline constexpr const char *kLossPrefix = "loss.";
inline constexpr const char *kLogits = "logits";

/// Optimizer state of parameter P is named "P.<suffix>" (stateName): SGD
/// keeps a momentum, Adam and AdamW two moments.
inline constexpr const char *kMomentum = "momentum";
inline constexpr const char *kAdamM = "adam_m";
inline constexpr const char *kAdamV = "adam_v";
/// The tangent of argument X in a JVP function is "X.tangent".
inline constexpr const char *kTangentSuffix = ".tangent";
/// In a VJP function, the cotangent of result Y is the argument
/// "Y.cotangent" and the gradient of X the result "X.grad".
inline constexpr const char *kCotangentSuffix = ".cotangent";
inline constexpr const char *kGradSuffix = ".grad";

/// "<param>.<suffix>".
std::string stateName(const std::string &param, const char *suffix);
/// Whether `name` is optimizer state ("P.momentum", "P.adam_m", "P.adam_v").
bool isOptimizerState(const std::string &name);
/// "<name>.tangent", and whether `name` is one.
std::string tangentName(const std::string &name);
bool isTangent(const std::string &name);
/// "<name>.cotangent", and whether `name` is one.
std::string cotangentName(const std::string &name);
bool isCotangent(const std::string &name);

/// "loss.block<block>".
std::string blockLossName(int64_t block);
/// Whether `name` starts with "loss.block".
bool isBlockLoss(const std::string &name);
/// The block number of "loss.block<i>"; false for other names.
bool parseBlockLoss(const std::string &name, int64_t &block);
/// What reports call a loss result: "loss.block3" -> "block3".
std::string lossLabel(const std::string &name);

/// The roles of @train_step's arguments. The image batch is the last f32
/// input of rank >= 2 other than labels whose name has no '.' (state and
/// tangents have one).
const ArgSpec *findImageInput(const std::vector<ArgSpec> &args);
/// The inputs the step also returns, under the same name: parameters and
/// optimizer state, which a trainer feeds back into the next step.
std::vector<const ArgSpec *> fedBackInputs(const std::vector<ArgSpec> &args);
/// Whether a result is a per-batch metric (a scalar: the losses, correct).
bool isMetric(const ArgSpec &arg);

} // namespace abi

/// The calling convention of a compiled entry point: inputs, parameters,
/// then outputs, all as tensors.
struct FunctionSignature {
  std::string name;
  std::vector<ArgSpec> args;

  size_t count(ArgSpec::Kind kind) const {
    size_t n = 0;
    for (const ArgSpec &a : args)
      n += a.kind == kind;
    return n;
  }
};

/// One row of the parameter table: where a parameter's initial value lies
/// in the data section.
struct ParameterEntry {
  std::string name;
  /// An initializer of the ONNX model (exported back), else a local head.
  bool model = true;
  DType dtype = DType::F32;
  uint64_t offset = 0, size = 0;
  std::vector<int64_t> shape;
};

/// What the compiler embeds in every trainer (the kModelBlobSymbol array).
///
/// Format: text lines, then "data\n", then raw bytes.
///
///   fgc-trainer 1
///   fact model <file name>            strings: the rest of the line (so no
///                                     newline in them)
///   fact algorithm <algo>
///   fact batch <int>                  integers: decimal
///   fact classes <int>
///   fact tangents <int>
///   fact optimizer <name>
///   fact momentum <double>            doubles: printf "%.6e" ("nan", "INF")
///   fact weight-decay <double>
///   fact head-lr <double>
///   fact last-layer-lr <double>
///   fact schedule <name>
///   fact spatial-loss true|false
///   fact modular-loss true|false
///   fact blocks <name> <name>...      only if there are named blocks
///   fact dropout train                only if training steps drop
///   function <name>                   then its arguments, in call order:
///   arg input|param|output <name> f32|f64|i64 <rank> <dim>...
///   tensor model|head <name> <dtype> <offset> <size> <rank> <dim>...
///   onnx <offset> <size>
///   data
///   <parameter values back to back, in table order><the ONNX model>
///
/// The ONNX model's initializers that are "model" parameters have no values
/// (stripInitializers in OnnxExport.h): the table holds them, once.
///
/// Offsets are relative to the first byte after "data\n". The fingerprint of
/// a trainer's checkpoints hashes the text before "\ndata\n".
class ModelDescription {
public:
  /// The compile-time facts; `model` is the ONNX file's name, without its
  /// directory.
  std::string model, algorithm;
  int64_t batch = 0, classes = 0, tangents = 1;
  std::string optimizer = "sgd";
  double momentum = 0.9, weightDecay = 0, headLr = 1, lastLayerLr = 1;
  std::string schedule = "linear";
  bool spatialLoss = true, modularLoss = true;
  /// Block names separated by spaces; empty writes no "fact blocks" line.
  std::string blocks;
  /// What training steps do with Dropout: "identity" (no fact line) or
  /// "train".
  std::string dropout = "identity";

  /// The compiled functions' signatures, in the order written.
  std::vector<FunctionSignature> functions;

  /// Appends `value` to the data section (before the ONNX model) and its row
  /// to the parameter table.
  void addParameter(const std::string &name, bool isModel, const Tensor &value);
  /// Sets the ONNX model, kept after the parameters.
  void setOnnx(std::string_view bytes);

  /// The whole blob: text, "data\n", data section.
  std::string serialize() const;
  /// Reads a blob; `out` then points into `data`, which must outlive it.
  /// Errors are one line.
  static bool parse(const char *data, size_t size, ModelDescription &out,
                    std::string &error);

  /// The text part (without the "\ndata\n" that ends it): as read by parse,
  /// else as serialize writes it.
  std::string header() const;
  /// The facts as (key, value) in the order and spelling of the format.
  std::vector<std::pair<std::string, std::string>> facts() const;
  /// The signature called `name`, or null.
  const FunctionSignature *function(const std::string &name) const;
  const std::vector<ParameterEntry> &parameters() const { return params; }
  /// A parameter's initial value (entry.size bytes).
  const char *parameterData(const ParameterEntry &entry) const {
    return dataSection().data() + entry.offset;
  }
  /// The serialized ONNX model.
  std::string_view onnx() const {
    return dataSection().substr(onnxOffset, onnxSize);
  }

private:
  /// Sets the fact `key` from its text; false with `why` set if `key` is
  /// unknown or `value` malformed.
  bool parseFact(const std::string &key, const std::string &value,
                 std::string &why);
  std::string_view dataSection() const {
    return parsed ? std::string_view(viewed) : std::string_view(owned);
  }

  std::vector<ParameterEntry> params;
  uint64_t onnxOffset = 0, onnxSize = 0;
  /// The data section: owned when built, a view of the blob when parsed.
  bool parsed = false;
  std::string owned;
  std::string_view viewed;
  std::string parsedHeader;
};

/// "%.6e" with "nan" and "INF"/"-INF": how the description writes doubles
/// (the spelling of LLVM's raw_ostream, which wrote them first).
std::string formatDescriptionDouble(double value);

} // namespace fgc::rt

#endif // FGC_RUNTIME_TRAINERABI_H
