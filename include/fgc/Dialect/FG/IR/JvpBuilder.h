//===- JvpBuilder.h - What a JVP rule sees ----------------------*- C++ -*-===//
//
// The fg-jvp pass hands each op's rule (JvpOpInterface::buildJvp) a
// JvpBuilder: the operand tangents, the number K of tangent directions, an
// OpBuilder positioned after the op, and helpers for the shapes tangents
// have (a leading [K] dimension when K > 1) and for symbolic zeros.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_IR_JVPBUILDER_H
#define FGC_DIALECT_FG_IR_JVPBUILDER_H

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/IR/Builders.h"

namespace fgc::fg {

class JvpBuilder {
public:
  JvpBuilder(mlir::OpBuilder &builder, mlir::Operation *op,
             llvm::ArrayRef<mlir::Value> operandTangents, int64_t numTangents)
      : b(builder), op(op), loc(op->getLoc()), tangents(operandTangents),
        k(numTangents) {}

  mlir::OpBuilder &b;
  mlir::Operation *op;
  mlir::Location loc;

  /// The tangent of operand `i`, or null for a symbolic zero.
  mlir::Value tangent(unsigned i) const {
    return i < tangents.size() ? tangents[i] : mlir::Value();
  }
  int64_t numTangents() const { return k; }
  /// Whether tangents carry a leading [K] dimension (K > 1).
  bool batched() const { return k > 1; }
  /// The tangent axis of primal axis `axis`.
  int64_t axis(int64_t axis) const { return axis + (batched() ? 1 : 0); }
  /// The tangent type of a value of type `primal`.
  mlir::RankedTensorType tangentType(mlir::Type primal) const;

  /// Reshapes the tangent `t` of a rank-`rank` primal so that it broadcasts
  /// against tangents of rank-`targetRank` primals (unit dimensions go after
  /// the K dimension; a no-op without K).
  mlir::Value align(mlir::Value t, int64_t rank, int64_t targetRank);

  /// Tangent arithmetic where null means zero: add/sub return the other
  /// operand (negated for sub), mul/div return null.
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value div(mlir::Value x, mlir::Value y);
  mlir::Value neg(mlir::Value x);

  /// A rank-0 constant of element type `elt`.
  mlir::Value scalar(mlir::Type elt, double value);
  /// A materialised zero tangent for `primal` (only where a rule cannot
  /// avoid one, e.g. concatenating an active and an inactive operand).
  mlir::Value zero(mlir::Type primal);
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  /// Merges the K dimension into dimension `into` of the primal layout
  /// ([K, d0, d1, ..] -> [d0, .., K*d_into, ..]) and back: lets linear rules
  /// run one op over all K tangents.
  mlir::Value foldK(mlir::Value t, int64_t into);
  mlir::Value unfoldK(mlir::Value t, int64_t from);

  /// Creates an op through its inferred-type builder and returns result 0.
  template <typename OpTy, typename... Args>
  mlir::Value create(Args &&...args) {
    return OpTy::create(b, loc, std::forward<Args>(args)...)->getResult(0);
  }

  /// Records that the rule computed `value` as the new primal of `old`
  /// (e.g. a stacked product); the pass rewires the old value's users.
  void replacePrimal(mlir::Value old, mlir::Value value) {
    replacements.push_back({old, value});
  }
  llvm::SmallVector<std::pair<mlir::Value, mlir::Value>> replacements;

private:
  llvm::ArrayRef<mlir::Value> tangents;
  int64_t k;
};

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_IR_JVPBUILDER_H
