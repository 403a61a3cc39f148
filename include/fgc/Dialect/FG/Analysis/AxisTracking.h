//===- AxisTracking.h - Where a value's axes come from ----------*- C++ -*-===//
//
// The relation between the axes of a value (a perturbation point, a
// layer's output) and those of a value it reaches: for each downstream
// axis, the upstream axis it indexes, when every differentiable path
// between the two preserves that axis. An axis that some path mixes (a
// contraction, attention across tokens, a reduction, a reshape that
// interleaves it with another) has no origin. The gradient estimators sum a
// loss's tangent over the axes without an origin and map the others back.
// Normalisations are the exception (they mix only through their
// statistics): fg.batch_norm, fg.layer_norm and paths through the values
// passed as `statistics` keep every origin, so that the activity estimate
// scores each example and position with its own loss.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_ANALYSIS_AXISTRACKING_H
#define FGC_DIALECT_FG_ANALYSIS_AXISTRACKING_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

#include <tuple>

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
  /// -> [.., a*b, ..]): their origins (axis, parts) and sizes, outer first,
  /// so that a later split into the same sizes restores them. An entry
  /// with axis -1 is a part without an origin.
  llvm::SmallVector<std::tuple<int64_t, int64_t, int64_t>, 2> merged;

  bool operator==(const AxisOrigin &o) const {
    return axis == o.axis && parts == o.parts && merged == o.merged;
  }
  bool operator!=(const AxisOrigin &o) const { return !(*this == o); }
};

/// Values whose paths relate no axis and forget none: the statistics of a
/// normalisation written out as ops (a batch's mean and variance). The
/// estimators map a loss back through fg.batch_norm and fg.layer_norm as
/// through an elementwise op (each example and position of the input keeps
/// its origin, as the spatial-loss estimate keeps a position through a
/// convolution's neighbourhood); naming the statistics of the written-out
/// form keeps that mapping when batch normalisation trains.
using StatisticsSet = llvm::DenseSet<mlir::Value>;

/// For each axis of `to`, its origin among the axes of `from`, joined over
/// every path from `from` to `to` (not through fg.stop_gradient, a loss or
/// one of `statistics`). Fails when `to` is not reachable from `from`.
mlir::FailureOr<llvm::SmallVector<AxisOrigin>>
trackAxes(mlir::Value from, mlir::Value to,
          const StatisticsSet *statistics = nullptr);

/// trackAxes to the first of `targets` (in program order) that `from`
/// reaches: its index in `targets` and the origins of its axes. One sweep
/// that stops at that target, so that locating each of N perturbation
/// points among N local heads costs the size of its block.
mlir::FailureOr<std::pair<unsigned, llvm::SmallVector<AxisOrigin>>>
trackAxesToAny(mlir::Value from, llvm::ArrayRef<mlir::Value> targets,
               const StatisticsSet *statistics = nullptr);

/// trackAxes to each of `targets` in one sweep (nothing for those `from`
/// does not reach).
llvm::SmallVector<std::optional<llvm::SmallVector<AxisOrigin>>>
trackAxesToAll(mlir::Value from, llvm::ArrayRef<mlir::Value> targets);

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_ANALYSIS_AXISTRACKING_H
