//===- Converters.h - Converters defined outside OnnxOps.cpp ----*- C++ -*-===//
//
// The converters of OnnxOps.cpp's table that live in files of their own,
// one file per family:
//   OnnxActivations.cpp    activations as compositions
//   OnnxArithmetic.cpp     Mod
//   OnnxConv.cpp           convolution, transposed convolution, pooling
//   OnnxEinsum.cpp         Einsum
//   OnnxGenerators.cpp     Range, EyeLike
//   OnnxGatherScatter.cpp  GatherElements, GatherND, ScatterElements,
//                          ScatterND
//   OnnxIndexing.cpp       ArgMax, ArgMin, Size, Hardmax, OneHot, TopK
//   OnnxLayout.cpp         Pad, Tile, DepthToSpace, SpaceToDepth, Trilu,
//                          CumSum
//   OnnxLogical.cpp        comparisons, logic, Where, Expand, IsNaN, IsInf
//   OnnxLosses.cpp         the two loss operators
//   OnnxNormalization.cpp  normalisation layers
//   OnnxReductions.cpp     the Reduce* family
//   OnnxResize.cpp         Resize, Upsample
//
//===----------------------------------------------------------------------===//

#ifndef FGC_IMPORT_CONVERTERS_H
#define FGC_IMPORT_CONVERTERS_H

#include "NodeContext.h"

namespace fgc::onnximport {

// OnnxReductions.cpp.
mlir::LogicalResult convertReduceL1(NodeContext &nc);
mlir::LogicalResult convertReduceL2(NodeContext &nc);
mlir::LogicalResult convertReduceLogSum(NodeContext &nc);
mlir::LogicalResult convertReduceLogSumExp(NodeContext &nc);
mlir::LogicalResult convertReduceMax(NodeContext &nc);
mlir::LogicalResult convertReduceMean(NodeContext &nc);
mlir::LogicalResult convertReduceMin(NodeContext &nc);
mlir::LogicalResult convertReduceProd(NodeContext &nc);
/// The product of `v` over `axis` as log2(n) pairwise products of halves
/// (exact at zeros, unlike exp(sum(log))); shared with ScatterElements.
mlir::Value productOverAxis(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value v, int64_t axis, bool keepdims);
mlir::LogicalResult convertReduceSum(NodeContext &nc);
mlir::LogicalResult convertReduceSumSquare(NodeContext &nc);

// OnnxActivations.cpp.
mlir::LogicalResult convertCelu(NodeContext &nc);
mlir::LogicalResult convertElu(NodeContext &nc);
mlir::LogicalResult convertGlobalMaxPool(NodeContext &nc);
mlir::LogicalResult convertHardSigmoid(NodeContext &nc);
mlir::LogicalResult convertHardSwish(NodeContext &nc);
mlir::LogicalResult convertPRelu(NodeContext &nc);
mlir::LogicalResult convertReciprocal(NodeContext &nc);
mlir::LogicalResult convertSelu(NodeContext &nc);
mlir::LogicalResult convertShrink(NodeContext &nc);
mlir::LogicalResult convertSign(NodeContext &nc);
mlir::LogicalResult convertSoftplus(NodeContext &nc);
mlir::LogicalResult convertSoftsign(NodeContext &nc);
mlir::LogicalResult convertThresholdedRelu(NodeContext &nc);

// OnnxConv.cpp.
mlir::LogicalResult convertAveragePool(NodeContext &nc);
mlir::LogicalResult convertConv(NodeContext &nc);
mlir::LogicalResult convertConvTranspose(NodeContext &nc);
mlir::LogicalResult convertGlobalAveragePool(NodeContext &nc);
mlir::LogicalResult convertMaxPool(NodeContext &nc);

// OnnxNormalization.cpp.
mlir::LogicalResult convertBatchNorm(NodeContext &nc);
mlir::LogicalResult convertInstanceNorm(NodeContext &nc);
mlir::LogicalResult convertLayerNorm(NodeContext &nc);
mlir::LogicalResult convertLRN(NodeContext &nc);
mlir::LogicalResult convertMeanVarianceNormalization(NodeContext &nc);

// OnnxEinsum.cpp.
mlir::LogicalResult convertEinsum(NodeContext &nc);

// OnnxResize.cpp.
mlir::LogicalResult convertResize(NodeContext &nc);
mlir::LogicalResult convertUpsample(NodeContext &nc);

// OnnxLayout.cpp.
mlir::LogicalResult convertCumSum(NodeContext &nc);
mlir::LogicalResult convertDepthToSpace(NodeContext &nc);
mlir::LogicalResult convertPad(NodeContext &nc);
mlir::LogicalResult convertSpaceToDepth(NodeContext &nc);
mlir::LogicalResult convertTile(NodeContext &nc);
mlir::LogicalResult convertTrilu(NodeContext &nc);

// OnnxIndexing.cpp.
mlir::LogicalResult convertArgMax(NodeContext &nc);
mlir::LogicalResult convertArgMin(NodeContext &nc);
mlir::LogicalResult convertHardmax(NodeContext &nc);
mlir::LogicalResult convertOneHot(NodeContext &nc);
mlir::LogicalResult convertSize(NodeContext &nc);
mlir::LogicalResult convertTopK(NodeContext &nc);

// OnnxGatherScatter.cpp.
mlir::LogicalResult convertGatherElements(NodeContext &nc);
mlir::LogicalResult convertGatherND(NodeContext &nc);
mlir::LogicalResult convertScatterElements(NodeContext &nc);
mlir::LogicalResult convertScatterND(NodeContext &nc);

// OnnxGenerators.cpp.
mlir::LogicalResult convertEyeLike(NodeContext &nc);
mlir::LogicalResult convertRange(NodeContext &nc);

// OnnxArithmetic.cpp.
mlir::LogicalResult convertMod(NodeContext &nc);

// OnnxLosses.cpp.
mlir::LogicalResult convertNegativeLogLikelihoodLoss(NodeContext &nc);
mlir::LogicalResult convertSoftmaxCrossEntropyLoss(NodeContext &nc);

// OnnxLogical.cpp.
mlir::LogicalResult convertAnd(NodeContext &nc);
mlir::LogicalResult convertEqual(NodeContext &nc);
mlir::LogicalResult convertExpand(NodeContext &nc);
mlir::LogicalResult convertGreater(NodeContext &nc);
mlir::LogicalResult convertGreaterOrEqual(NodeContext &nc);
mlir::LogicalResult convertIsInf(NodeContext &nc);
mlir::LogicalResult convertIsNaN(NodeContext &nc);
mlir::LogicalResult convertLess(NodeContext &nc);
mlir::LogicalResult convertLessOrEqual(NodeContext &nc);
mlir::LogicalResult convertNot(NodeContext &nc);
mlir::LogicalResult convertOr(NodeContext &nc);
mlir::LogicalResult convertWhere(NodeContext &nc);
mlir::LogicalResult convertXor(NodeContext &nc);

} // namespace fgc::onnximport

#endif // FGC_IMPORT_CONVERTERS_H
