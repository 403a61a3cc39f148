//===- PatternUtils.h - Helpers of the fg to linalg patterns ----*- C++ -*-===//
//
// Internal to lib/Conversion/FGToLinalg: builders for the tensor-level
// building blocks the fg lowering patterns share (broadcasting elementwise
// generics, reductions, reshapes, fills, padding), and the pattern
// populators of the pattern files, one per op family.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_CONVERSION_FGTOLINALG_PATTERNUTILS_H
#define FGC_LIB_CONVERSION_FGTOLINALG_PATTERNUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace fgc::lowering {

using BodyFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>;
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

/// The loops of a reduction of a tensor of `shape` over `axes`: a
/// reduction iterator for each axis, a parallel one for each other
/// dimension, and the output that keeps the other dimensions in order.
struct ReductionSpace {
  llvm::SmallVector<mlir::utils::IteratorType> iterators;
  mlir::AffineMap outputMap;
  llvm::SmallVector<int64_t> outputShape;
};
ReductionSpace reductionSpace(mlir::MLIRContext *ctx,
                              llvm::ArrayRef<int64_t> shape,
                              llvm::ArrayRef<int64_t> axes);

/// Reduces `input` over `axes` (sorted) with `combine`, starting from
/// `init`; the reduced dimensions are dropped from the result. With `wide`,
/// f32 inputs are accumulated in f64 and the result rounded back: sums
/// over thousands of channels (layer norms, softmax) then stay as accurate
/// as the pairwise sums of PyTorch.
mlir::Value reduce(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                   llvm::ArrayRef<int64_t> axes, mlir::TypedAttr init,
                   CombineFn combine, bool wide = false);

/// The product of `dims` (1 for none).
int64_t product(llvm::ArrayRef<int64_t> dims);

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

/// Pads the spatial dimensions (2..) of an [N, C, D...] tensor with `value`
/// (tensor.pad), or returns `x` when every padding is 0.
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                       llvm::ArrayRef<int64_t> low,
                       llvm::ArrayRef<int64_t> high, mlir::TypedAttr value);

/// C = A x B for A [M, K], B [K, N] (linalg.matmul into a zero tensor).
mlir::Value matmul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                   mlir::Value bm);
/// C = A x B for A [G, M, K], B [G, K, N] (linalg.batch_matmul). An A of
/// rank 2, [M, K], is shared by every product: the batch_matmul's indexing
/// map broadcasts it instead of a copy per product (a convolution's weights
/// would otherwise be written once per sample).
mlir::Value batchMatmul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                        mlir::Value bm);

/// Elementwise.cpp: constants, shapes, elementwise ops, comparisons,
/// casts, fg.stop_gradient, fg.broadcast_to.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
/// DataMovement.cpp: reshape, transpose, concat, slice, gather.
void populateDataMovementPatterns(mlir::RewritePatternSet &patterns);
/// ReductionsAndNorms.cpp: reduce_sum/max/mean, softmax, log_softmax,
/// layer_norm, batch_norm.
void populateReductionAndNormPatterns(mlir::RewritePatternSet &patterns);
/// LinearAndConv.cpp: matmul, gemm, conv.
void populateLinearAndConvPatterns(mlir::RewritePatternSet &patterns);
/// Pooling.cpp: max_pool, max_pool_jvp, avg_pool.
void populatePoolingPatterns(mlir::RewritePatternSet &patterns);
/// TrainingOps.cpp: perturb, one_hot, argmax, random_normal.
void populateTrainingOpPatterns(mlir::RewritePatternSet &patterns);

} // namespace fgc::lowering

#endif // FGC_LIB_CONVERSION_FGTOLINALG_PATTERNUTILS_H
