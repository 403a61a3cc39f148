//===- OnnxLosses.cpp - NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss ===//
//
// Both losses as compositions of fg ops, so both derivative rules come from
// their parts. The class axis is 1: input [N, C, d1, ..], target [N, d1, ..].
// The target is one-hot encoded by comparing it with 0..C-1 along the class
// axis, which also gives the per-element class weight and makes a target
// outside [0, C) (an out-of-range ignore_index) select nothing:
//
//   m[n, c, ..] = [target[n, ..] = c] * [target[n, ..] != ignore_index]
//   w[n, ..]    = sum_c m * weight[c]        (weight = 1 when absent)
//   loss        = -sum_c m * input * weight  (per element)
//   reduction   none: loss, sum: sum(loss), mean: sum(loss) / sum(w)
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

namespace {

/// The NLL loss of log-probabilities `logp` (input 0's layout) against the
/// target (input 1), with the optional weight (input 2) and the node's
/// `reduction` and `ignore_index`.
LogicalResult nllLoss(Composer &k, Value logp) {
  NodeContext &nc = k.nc;
  FailureOr<Value> target = nc.input(1);
  if (failed(target))
    return failure();
  RankedTensorType xt = typeOf(logp), tt = typeOf(*target);
  if (xt.getRank() < 2)
    return nc.fail("input must have rank 2 or more ([N, C, ...]), got " +
                   str(xt));
  if (!tt.getElementType().isInteger(64))
    return nc.fail("target must be an int64 tensor, got " + str(tt));
  SmallVector<int64_t> want{xt.getDimSize(0)};
  llvm::append_range(want, xt.getShape().drop_front(2));
  if (tt.getShape() != ArrayRef(want))
    return nc.fail("target " + str(tt) + " does not match input " + str(xt) +
                   " (expected the input's shape without the class axis)");
  FailureOr<std::string> reduction = nc.attrString("reduction", "mean");
  if (failed(reduction))
    return failure();
  if (!llvm::is_contained({"none", "sum", "mean"}, *reduction))
    return nc.fail("attribute 'reduction' is '" + *reduction +
                   "' (expected none, sum or mean)");

  int64_t rank = xt.getRank(), classes = xt.getDimSize(1);
  // The target as [N, 1, d1, ..] against the classes as [1, C, 1, ..].
  SmallVector<int64_t> withAxis(want);
  withAxis.insert(withAxis.begin() + 1, 1);
  SmallVector<int64_t> classShape(rank, 1);
  classShape[1] = classes;
  Type i64 = tt.getElementType();
  SmallVector<int64_t> ids(classes);
  for (int64_t c = 0; c < classes; ++c)
    ids[c] = c;
  Value classIds = nc.constant(DenseElementsAttr::get(
      RankedTensorType::get(classShape, i64), ArrayRef(ids)));
  Value t = k.reshape(*target, withAxis);
  Value mask = k.mask("eq", t, classIds);
  if (const onnx::AttributeProto *ignore = nc.attr("ignore_index")) {
    if (ignore->type() != onnx::AttributeProto::INT)
      return nc.fail("attribute 'ignore_index' must be an int");
    Value ignored = nc.constant(DenseElementsAttr::get(
        RankedTensorType::get({}, i64), int64_t(ignore->i())));
    mask = k.mul(mask, k.mask("ne", t, ignored));
  }
  mask = k.cast(mask, xt.getElementType());

  Value weighted = mask;
  if (nc.hasInput(2)) {
    FailureOr<Value> weight = nc.input(2);
    if (failed(weight))
      return failure();
    RankedTensorType wt = typeOf(*weight);
    if (wt.getShape() != ArrayRef<int64_t>{classes} ||
        wt.getElementType() != xt.getElementType())
      return nc.fail("weight must be a 1-D tensor of the " +
                     std::to_string(classes) +
                     " classes of the input's type, got " + str(wt));
    weighted = k.mul(mask, k.reshape(*weight, classShape));
  }
  Value perElement =
      k.neg(k.reduce<fg::ReduceSumOp>(k.mul(logp, weighted), {1}, false));
  if (*reduction == "none")
    return k.finish(perElement);
  Value total = k.reduce<fg::ReduceSumOp>(perElement, {}, false);
  if (*reduction == "sum")
    return k.finish(total);
  Value weights = k.reduce<fg::ReduceSumOp>(weighted, {}, false);
  return k.finish(k.div(total, weights));
}

} // namespace

LogicalResult onnximport::convertNegativeLogLikelihoodLoss(NodeContext &nc) {
  Composer k(nc);
  Value x = k.floatInput();
  if (!x)
    return failure();
  return nllLoss(k, x);
}

/// The NLL loss of log_softmax(scores) along the class axis; the optional
/// second output is that log_softmax.
LogicalResult onnximport::convertSoftmaxCrossEntropyLoss(NodeContext &nc) {
  Composer k(nc);
  Value scores = k.floatInput();
  if (!scores)
    return failure();
  if (typeOf(scores).getRank() < 2)
    return nc.fail("scores must have rank 2 or more ([N, C, ...]), got " +
                   str(typeOf(scores)));
  FailureOr<Value> logp =
      nc.create<fg::LogSoftmaxOp>({scores}, {nc.namedI64("axis", 1)});
  if (failed(logp))
    return failure();
  if (failed(nllLoss(k, *logp)))
    return failure();
  nc.setOutput(1, *logp);
  return success();
}
