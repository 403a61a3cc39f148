//===- OnnxNormalization.cpp - Normalisation layers -----------------------===//
//
// LayerNormalization and BatchNormalization (inference form) map to fg ops
// of their own; InstanceNormalization is fg.layer_norm over the spatial
// axes with a per-channel affine map; MeanVarianceNormalization and LRN
// are compositions of reductions and elementwise ops, differentiable
// through their parts' rules.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"
#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::typeOf;

LogicalResult onnximport::convertLayerNorm(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  TRY(axisAttr, nc.attrInt("axis", -1));
  TRY(axis, nc.normalizeAxis(axisAttr, xt.getRank()));
  TRY(eps, nc.attrFloat("epsilon", 1e-5));
  TRY(stash, nc.attrInt("stash_type", 1));
  if (stash != 1)
    return nc.fail("attribute 'stash_type' = " + Twine(stash) +
                   " is not supported (only 1, float32 statistics)");
  SmallVector<Value> affine;
  Value scale = nc.optionalInput(1), bias = nc.optionalInput(2);
  if (!scale) {
    // PyTorch 1.13 writes elementwise_affine=False this way at opset 17.
    nc.warn("LayerNormalization without a Scale input (PyTorch's export of "
            "elementwise_affine=False) is imported with Scale = 1");
    if (bias) {
      SmallVector<int64_t> shape(xt.getShape().drop_front(axis));
      auto type = RankedTensorType::get(shape, xt.getElementType());
      scale = nc.constant(DenseElementsAttr::get(
          type, FloatAttr::get(xt.getElementType(), 1.0)));
    }
  }
  if (scale)
    affine.push_back(scale);
  if (bias)
    affine.push_back(bias);
  SmallVector<NamedAttribute> attrs = {nc.namedI64("axis", axis),
                                       nc.namedF64("epsilon", eps)};
  TRY(y, nc.create<fg::LayerNormOp>(
             [&] {
               SmallVector<Value> ops = {x};
               llvm::append_range(ops, affine);
               return ops;
             }(),
             attrs));
  nc.setOutput(0, y);
  if (!nc.hasOutput(1) && !nc.hasOutput(2))
    return success();
  // Mean and InvStdDev outputs: the statistics over the normalised axes,
  // with those axes kept as size 1.
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < xt.getRank(); ++d)
    axes.push_back(d);
  SmallVector<NamedAttribute> reduce = {nc.namedArray("axes", axes),
                                        nc.namedBool("keepdims", true)};
  TRY(mean, nc.create<fg::ReduceMeanOp>({x}, reduce));
  nc.setOutput(1, mean);
  if (!nc.hasOutput(2))
    return success();
  TRY(centered, nc.create<fg::SubOp>({x, mean}));
  TRY(square, nc.create<fg::MulOp>({centered, centered}));
  TRY(var, nc.create<fg::ReduceMeanOp>({square}, reduce));
  auto scalar = RankedTensorType::get({}, xt.getElementType());
  Value epsValue = nc.constant(
      DenseElementsAttr::get(scalar, FloatAttr::get(xt.getElementType(), eps)));
  Value one = nc.constant(
      DenseElementsAttr::get(scalar, FloatAttr::get(xt.getElementType(), 1.0)));
  TRY(shifted, nc.create<fg::AddOp>({var, epsValue}));
  TRY(stddev, nc.createTyped<fg::SqrtOp>(shifted.getType(), shifted));
  TRY(inv, nc.create<fg::DivOp>({one, stddev}));
  nc.setOutput(2, inv);
  return success();
}

LogicalResult onnximport::convertBatchNorm(NodeContext &nc) {
  SmallVector<Value> operands;
  for (int i = 0; i < 5; ++i) {
    TRY(v, nc.input(i));
    operands.push_back(v);
  }
  TRY(eps, nc.attrFloat("epsilon", 1e-5));
  TRY(momentum, nc.attrFloat("momentum", 0.9));
  if (!(momentum >= 0 && momentum <= 1))
    return nc.fail("attribute 'momentum' must be in [0, 1], got " +
                   str(momentum));
  // training_mode = 1 (or, before opset 14, the running statistics as
  // outputs) marks an export from a model in training mode. fgc computes
  // every BatchNormalization both ways: with the running statistics in
  // @forward and @eval_step, with the batch's in @train_step, so the flag
  // selects nothing; the statistics outputs must not be read.
  TRY(training, nc.attrInt("training_mode", 0));
  (void)training;
  if (failed(nc.rejectOutputsFrom(1, "fgc updates the running statistics "
                                     "inside @train_step")))
    return failure();
  return setResult(nc, nc.create<fg::BatchNormOp>(
                           operands, {nc.namedF64("epsilon", eps),
                                      nc.namedF64("momentum", momentum)}));
}

/// fg.layer_norm over the spatial axes (statistics per sample and channel),
/// then the per-channel scale and bias.
LogicalResult onnximport::convertInstanceNorm(NodeContext &nc) {
  Composer k(nc);
  Value x = k.input(0), scale = k.input(1), bias = k.input(2);
  if (!x || !scale || !bias)
    return failure();
  RankedTensorType xt = typeOf(x);
  if (xt.getRank() < 3)
    return nc.fail("input must be [N, C, D1..Dn], got " + str(xt));
  int64_t channels = xt.getDimSize(1);
  for (Value v : {scale, bias})
    if (typeOf(v).getShape() != ArrayRef<int64_t>{channels})
      return nc.fail("scale and bias must be [" + Twine(channels) + "], got " +
                     str(typeOf(v)));
  TRY(eps, nc.attrFloat("epsilon", 1e-5));
  TRY(normalized,
      nc.create<fg::LayerNormOp>(
          {x}, {nc.namedI64("axis", 2), nc.namedF64("epsilon", eps)}));
  SmallVector<int64_t> perChannel(xt.getRank() - 1, 1);
  perChannel[0] = channels;
  return k.finish(k.add(k.mul(normalized, k.reshape(scale, perChannel)),
                        k.reshape(bias, perChannel)));
}

/// (x - mean) / (sqrt(var) + 1e-9) over `axes`, as ONNX's function body
/// (its variance E[x^2] - E[x]^2 is computed as E[(x - E[x])^2]).
LogicalResult onnximport::convertMeanVarianceNormalization(NodeContext &nc) {
  Composer k(nc);
  Value x = k.input(0);
  if (!x)
    return failure();
  int64_t rank = typeOf(x).getRank();
  TRY(axesAttr, nc.attrInts("axes"));
  SmallVector<int64_t> axes;
  for (int64_t a : axesAttr ? *axesAttr : SmallVector<int64_t>{0, 2, 3}) {
    TRY(axis, nc.normalizeAxis(a, rank, "axes entry"));
    axes.push_back(axis);
  }
  llvm::sort(axes);
  Value centered = k.sub(x, k.reduce<fg::ReduceMeanOp>(x, axes, true));
  Value var = k.reduce<fg::ReduceMeanOp>(k.mul(centered, centered), axes, true);
  return k.finish(k.div(centered, k.add(k.unary<fg::SqrtOp>(var), k.c(1e-9))));
}

/// x / (bias + alpha / size * S)^beta, S the sum of squares over the
/// `size` channels around each one: the squares padded with zeros along
/// the channel axis, summed over `size` shifted slices.
LogicalResult onnximport::convertLRN(NodeContext &nc) {
  Composer k(nc);
  Value x = k.input(0);
  if (!x)
    return failure();
  RankedTensorType xt = typeOf(x);
  if (xt.getRank() < 3)
    return nc.fail("input must be [N, C, D1..Dn], got " + str(xt));
  if (!nc.attr("size"))
    return nc.fail("attribute 'size' is required");
  TRY(size, nc.attrInt("size", 1));
  if (size < 1)
    return nc.fail("attribute 'size' must be positive, got " + Twine(size));
  double alpha = k.attr("alpha", 1e-4), beta = k.attr("beta", 0.75),
         bias = k.attr("bias", 1.0);
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  int64_t channels = xt.getDimSize(1), before = (size - 1) / 2;
  Value squares = k.mul(x, x);
  if (!squares)
    return failure();
  Value padded =
      fg::padAxis(b, loc, squares, 1, before, size - 1 - before, 0.0);
  Value sum = fg::sliceAxis(b, loc, padded, 1, 0, channels);
  for (int64_t t = 1; t < size; ++t)
    sum = k.add(sum, fg::sliceAxis(b, loc, padded, 1, t, channels));
  Value base = k.add(k.c(bias), k.mul(k.c(alpha / size), sum));
  return k.finish(k.div(x, k.binary<fg::PowOp>(base, k.c(beta))));
}
