//===- Lowering.h - Helpers for lowering fg to linalg -----------*- C++ -*-===//
//
// Internal to lib/Conversion/FGToLinalg: builders for the tensor-level
// building blocks the fg lowering patterns share (broadcasting elementwise
// generics, reductions, reshapes, fills), and the pattern populators of the
// two pattern files.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_CONVERSION_FGTOLINALG_LOWERING_H
#define FGC_LIB_CONVERSION_FGTOLINALG_LOWERING_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace fgc::lowering {

using BodyFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;
using CombineFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value acc, mlir::Value x)>;

inline mlir::RankedTensorType tensorType(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}

/// A scalar attribute of `type` (float or integer) holding `value`.
mlir::TypedAttr scalarAttr(mlir::Type type, double value);
/// The identity of max for `type`: -inf, or the smallest integer.
mlir::TypedAttr lowestAttr(mlir::Type type);
/// arith.constant of a scalar.
mlir::Value scalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                   double value);

/// tensor.empty of the given shape.
mlir::Value empty(mlir::OpBuilder &b, mlir::Location loc,
                  llvm::ArrayRef<int64_t> shape, mlir::Type elt);
/// tensor.empty filled with `value` (linalg.fill).
mlir::Value filled(mlir::OpBuilder &b, mlir::Location loc,
                   llvm::ArrayRef<int64_t> shape, mlir::TypedAttr value);

/// The indexing map that reads an operand of `operandShape` broadcast
/// (NumPy, right-aligned) to a result of `resultShape`.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx,
                             llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape);

/// A parallel linalg.generic over `resultShape` whose inputs are broadcast
/// to it; `body` maps the scalar inputs to the scalar result.
mlir::Value elementwise(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> resultShape,
                        mlir::Type resultElt, mlir::ValueRange inputs,
                        BodyFn body);

/// Reduces `input` over `axes` (sorted) with `combine`, starting from
/// `init`; the reduced dimensions are dropped from the result. With `wide`,
/// f32 inputs are accumulated in f64 and the result rounded back: sums
/// over thousands of channels (layer norms, softmax) then stay as accurate
/// as the pairwise sums of PyTorch.
mlir::Value reduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                   llvm::ArrayRef<int64_t> axes, mlir::TypedAttr init,
                   CombineFn combine, bool wide = false);

/// The shape of `shape` with `axes` set to 1 (keepdims).
llvm::SmallVector<int64_t> keptShape(llvm::ArrayRef<int64_t> shape,
                                     llvm::ArrayRef<int64_t> axes);

/// Reshapes a tensor to another static shape with the same element count,
/// through tensor.collapse_shape / tensor.expand_shape.
mlir::Value reshape(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                    llvm::ArrayRef<int64_t> shape);

/// Scalar arithmetic that dispatches on float vs integer element types.
mlir::Value add(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                mlir::Value y);
mlir::Value sub(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                mlir::Value y);
mlir::Value mul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                mlir::Value y);
mlir::Value div(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                mlir::Value y);
mlir::Value max(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                mlir::Value y);

/// Materialises `v` broadcast to `shape` (a copy), or returns `v` when it
/// already has that shape.
mlir::Value broadcastTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        llvm::ArrayRef<int64_t> shape);

/// C = A x B for A [M, K], B [K, N] (linalg.matmul into a zero tensor).
mlir::Value matmul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                   mlir::Value bm);
/// C = A x B for A [G, M, K], B [G, K, N] (linalg.batch_matmul).
mlir::Value batchMatmul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                        mlir::Value bm);

void populateElementwiseAndShapePatterns(mlir::RewritePatternSet &patterns);
void populateNetworkPatterns(mlir::RewritePatternSet &patterns);
void populateTrainingPatterns(mlir::RewritePatternSet &patterns);

} // namespace fgc::lowering

#endif // FGC_LIB_CONVERSION_FGTOLINALG_LOWERING_H
