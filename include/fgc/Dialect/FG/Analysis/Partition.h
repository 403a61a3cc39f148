//===- Partition.h - Local-loss blocks of a network -------------*- C++ -*-===//
//
// The analysis behind fg-localize and fg-train-step: which ops are the
// network's linear layers (a LinearOpInterface op, i.e. a matrix product or
// convolution, with a parameter as its weight), where each layer's perturbation
// point is (after its bias and post-linear normalisation, before its activation
// and any residual add), how the layers group into blocks, and the layout of
// each block's output (which axes are batch, spatial, channel groups and
// channels).
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_ANALYSIS_PARTITION_H
#define FGC_DIALECT_FG_ANALYSIS_PARTITION_H

#include "fgc/Dialect/FG/Analysis/AxisTracking.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"

#include <string>
#include <vector>

namespace fgc::fg {

/// A linear layer: `op` (a LinearOpInterface op: fg.matmul, fg.gemm or
/// fg.conv) with a parameter weight, its bias, and the parameter-free chain
/// up to its perturbation point `z`.
struct LinearLayer {
  mlir::Operation *op = nullptr;
  std::string name;       // the weight's name without ".weight"
  std::string weightName; // parameter names
  std::string biasName;   // empty without a bias
  unsigned weightOperand = 1;
  /// Parameter-only views between the weight parameter and `op`'s weight
  /// operand (an exported `x @ W.T` reads its parameter through a
  /// transpose), in program order.
  llvm::SmallVector<mlir::Operation *> weightViews;
  /// Ops after `op` up to `z` (bias add, reshapes, normalisation).
  llvm::SmallVector<mlir::Operation *> chain;
  mlir::Value z;
  mlir::Value skip; // the residual added after z, if any
  mlir::Operation *activation = nullptr;
  mlir::Value output; // after the activation (or z); a readout's logits
  /// A readout's ops after `z` up to its logits (an activation, global
  /// pooling, flattening): the classifier of a network that ends in a
  /// convolution and global pooling.
  llvm::SmallVector<mlir::Operation *> tail;
  int64_t groups = 1; // > 1 or grouped: a batched product over groups
  bool grouped = false;
  bool isConv() const;
  /// The ops that read the layer's parameters, in program order: the weight
  /// views, `op` and the chain. Reverse-mode rules pull a gradient at `z`
  /// back through them to the parameters.
  llvm::SmallVector<mlir::Operation *> ops() const;
};

/// The parameter `v` is a view of through transposes and reshapes, or null;
/// the view ops are appended to `views` in program order.
mlir::Value
viewedParam(mlir::Value v,
            llvm::SmallVectorImpl<mlir::Operation *> *views = nullptr);

/// The layer whose perturbation point is `z`: walks back from `z` through
/// the chain ops. Fails (without a diagnostic) when there is none.
mlir::FailureOr<LinearLayer> layerAt(mlir::Value z);

/// `op` as a linear layer (with its chain, perturbation point, residual and
/// activation), or nothing when it is not one.
std::optional<LinearLayer> linearLayer(mlir::Operation *op);

/// The classifier whose logits are `logits`: a linear layer, possibly
/// followed by an activation, global pooling and flattening (`tail`).
mlir::FailureOr<LinearLayer> readoutAt(mlir::Value logits);

/// Axis roles of a block output, e.g. "NPGC", "NPC", "NCHW", "NC": N batch,
/// C channels, G channel groups, any other letter a spatial axis.
struct Layout {
  std::string letters;
  int64_t batch = -1, group = -1, channel = -1;
  llvm::SmallVector<int64_t> spatial;
  static mlir::FailureOr<Layout> parse(llvm::StringRef letters, int64_t rank,
                                       std::string &why);
};

struct LocalBlock {
  std::string name;
  llvm::SmallVector<unsigned> layers; // indices into Partition::layers
  mlir::Value output;
  Layout layout;
  int64_t groups = 1;
  int64_t channels = 0;
  int64_t patches = 1;
  llvm::SmallVector<std::string> nodes; // ONNX node names, in order
};

struct Partition {
  std::vector<LinearLayer> layers; // backbone layers, in order
  /// Its `output` is the logits: the result, or the input of a softmax the
  /// model ends with. A model without one (its result is no linear layer's
  /// output through pooling and flattening) trains its local losses only.
  std::optional<LinearLayer> readout;
  std::vector<LocalBlock> blocks;
  /// The logits the readout loss reads: the readout's output, or without a
  /// readout the result (the input of a softmax the model ends with).
  mlir::Value logits;
};

struct PartitionOptions {
  /// ONNX node names whose outputs end blocks, or one of "auto", "units",
  /// "stages" (empty: auto). A unit ends at the first point after a layer
  /// that cuts the graph (after a residual merge and its activation, after
  /// a layer in a plain chain); a stage is a run of units with one spatial
  /// size; auto is units (the finest cut: the least noisy estimates).
  llvm::SmallVector<std::string> boundaries;
  /// The ONNX node of the readout's linear layer (empty: automatic).
  std::string readout;
  /// One value for all blocks or one per block (0 or empty: inferred).
  llvm::SmallVector<int64_t> groups;
  llvm::SmallVector<std::string> layouts;
};

/// Partitions `forward`. Errors are emitted on the function and name the
/// node, block or option at fault.
mlir::FailureOr<Partition> analyzePartition(mlir::func::FuncOp forward,
                                            const PartitionOptions &options);

/// The ONNX node name an op came from (its NameLoc), or "".
std::string nodeName(mlir::Operation *op);

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_ANALYSIS_PARTITION_H
