//===- Differentiation.h - Forward and reverse sweeps -----------*- C++ -*-===//
//
// The two sweeps the differentiation passes share. Forward: propagate
// tangents through a list of ops with their JvpOpInterface rules (fg-jvp,
// fg-train-step). Reverse: accumulate cotangents back through a list of ops
// with their VjpOpInterface rules (fg-train-step's exact local gradients
// and the pull-back of activity-perturbation estimates).
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_TRANSFORMS_DIFFERENTIATION_H
#define FGC_DIALECT_FG_TRANSFORMS_DIFFERENTIATION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace fgc::fg {

struct TangentSweep {
  /// Tangents by value (null or absent: symbolic zero). Seed it with the
  /// tangents of arguments and parameters before the sweep.
  llvm::DenseMap<mlir::Value, mlir::Value> tangent;
  /// Primal values a rule recomputed (a stacked matrix product) and their
  /// replacements; the old ops are left in place, without users, in `dead`.
  llvm::DenseMap<mlir::Value, mlir::Value> replacedBy;
  llvm::SmallVector<mlir::Operation *> dead;
};

/// Propagates tangents with K directions through `ops` (in program order).
/// `extra`, when given, is called after each op with its result's tangent
/// (possibly null) and returns the tangent to record (it adds seeds
/// inside the graph, e.g. at fg.perturb). Fails with an error on the op
/// without a rule.
mlir::LogicalResult propagateTangents(
    llvm::ArrayRef<mlir::Operation *> ops, int64_t k, TangentSweep &sweep,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Operation *,
                                   mlir::Value)>
        extra = nullptr);

/// Erases the ops a tangent sweep left without users.
void eraseDead(TangentSweep &sweep);

/// Reverse sweep over `ops` (program order, single-result ops): starting
/// from the cotangents in `cot`, accumulates the cotangents of every value
/// on a path from a value in `targets` (values not on such a path get
/// none). `replacedBy` maps values a tangent sweep replaced to their
/// replacements, whose cotangents then count for the originals. New ops
/// go at `b`'s insertion point. Fails with an error on an op without a
/// VjpOpInterface rule.
mlir::LogicalResult propagateCotangents(
    mlir::OpBuilder &b, llvm::ArrayRef<mlir::Operation *> ops,
    const llvm::DenseSet<mlir::Value> &targets,
    llvm::DenseMap<mlir::Value, mlir::Value> &cot,
    const llvm::DenseMap<mlir::Value, mlir::Value> *replacedBy = nullptr);

/// A value to differentiate with respect to: a function argument or a
/// parameter read with fg.param.
struct Seed {
  std::string name;
  mlir::Type type;
  int64_t argIndex = -1; // a function argument, or
  llvm::StringRef param; // a parameter symbol
};

/// Whether `t` is a ranked tensor of floats (what has derivatives).
bool isFloatTensor(mlir::Type t);

/// The seeds `wrt` names for `func`: "inputs" (every float argument, also
/// the default when `wrt` is empty), "params" (every float parameter the
/// function reads), argument or parameter names, or argument indices.
/// Errors (an unknown name, a non-float value) are emitted on `func`,
/// prefixed with `pass`.
mlir::FailureOr<llvm::SmallVector<Seed>>
resolveSeeds(mlir::func::FuncOp func, llvm::ArrayRef<std::string> wrt,
             llvm::StringRef pass);

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_TRANSFORMS_DIFFERENTIATION_H
