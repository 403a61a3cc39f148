//===- Partition.h - Local-loss blocks of a network -------------*- C++ -*-===//
//
// The analysis behind fg-localize and fg-train-step: which ops are the
// network's linear layers (a LinearOpInterface op, i.e. a matrix product or
// convolution, with a parameter as its weight), where each layer's perturbation
// point is (after its bias and post-linear normalisation, before its activation
// and any residual add), how the layers group into blocks, and the layout of
// each block's output (which axes are batch, spatial, channel groups and
// channels). Also the axis tracking both passes use to relate a
// perturbation point or a layer's output to a block output.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_ANALYSIS_PARTITION_H
#define FGC_DIALECT_FG_ANALYSIS_PARTITION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"

#include <string>
#include <vector>

namespace fgc::fg {

/// Where one axis of a value comes from, relative to another value.
struct AxisOrigin {
  /// The source axis, or -1 when the axis does not come from one axis.
  int64_t axis = -1;
  /// 0: the whole source axis. n > 0: the outer part of the source axis
  /// split into n contiguous chunks (a reshape [.., C, ..] -> [.., n, C/n,
  /// ..]).
  int64_t parts = 0;
  /// For an axis that merges several source axes (a reshape [.., a, b, ..]
  /// -> [.., a*b, ..]): their origins and sizes, outer first, so that a
  /// later split into the same sizes restores them.
  llvm::SmallVector<std::tuple<int64_t, int64_t, int64_t>, 2> merged;
};

/// Follows a def-use path from `from` to `to` (not through
/// fg.stop_gradient) and returns, for each axis of `to`, its origin among
/// the axes of `from`. Fails when no path with trackable ops exists.
mlir::FailureOr<llvm::SmallVector<AxisOrigin>> trackAxes(mlir::Value from,
                                                         mlir::Value to);

/// trackAxes to the first of `targets` (in their order) that a path from
/// `from` reaches: its index and the origins of its axes. One search for all
/// of them, so that locating each of N perturbation points among N local
/// heads costs the size of its block, not N searches.
mlir::FailureOr<std::pair<unsigned, llvm::SmallVector<AxisOrigin>>>
trackAxesToAny(mlir::Value from, llvm::ArrayRef<mlir::Value> targets);

/// A linear layer: `op` (a LinearOpInterface op: fg.matmul, fg.gemm or
/// fg.conv) with a parameter weight, its bias, and the parameter-free chain
/// up to its perturbation point `z`.
struct LinearLayer {
  mlir::Operation *op = nullptr;
  std::string name;       // the weight's name without ".weight"
  std::string weightName; // parameter names
  std::string biasName;   // empty without a bias
  unsigned weightOperand = 1;
  /// Ops after `op` up to `z` (bias add, reshapes, normalisation).
  llvm::SmallVector<mlir::Operation *> chain;
  mlir::Value z;
  mlir::Value skip; // the residual added after z, if any
  mlir::Operation *activation = nullptr;
  mlir::Value output; // after the activation (or z)
  int64_t groups = 1; // > 1 or grouped: a batched product over groups
  bool grouped = false;
  bool isConv() const;
};

/// The layer whose perturbation point is `z`: walks back from `z` through
/// the chain ops. Fails (without a diagnostic) when there is none.
mlir::FailureOr<LinearLayer> layerAt(mlir::Value z);

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
  std::optional<LinearLayer> readout;
  std::vector<LocalBlock> blocks;
};

struct PartitionOptions {
  /// ONNX node names whose outputs end blocks (empty: automatic).
  llvm::SmallVector<std::string> boundaries;
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
