//===- OnnxReductions.cpp - The ONNX Reduce* operators --------------------===//
//
// ReduceSum, ReduceMean and ReduceMax map to fg ops of their own; ReduceMin,
// ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum and ReduceLogSumExp are
// compositions of those and elementwise ops, differentiable through their
// parts' rules. ReduceLogSumExp subtracts the maximum first, so that it
// neither overflows nor underflows. ReduceProd multiplies halves pairwise,
// log2(n) products of slices (exact at zeros, unlike exp(sum(log))).
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

/// What every Reduce* node says: its axes (sorted and non-negative; empty
/// for all) and keepdims, or that it is a no-op (noop_with_empty_axes).
struct Reduction {
  SmallVector<int64_t> axes;
  bool keepdims = true;
  bool noop = false;
};

/// `axesAsInput`: ReduceSum from opset 13 reads its axes from input 1; the
/// others, up to opset 17, from the `axes` attribute.
FailureOr<Reduction> parseReduction(NodeContext &nc, Value x,
                                    bool axesAsInput) {
  Reduction r;
  int64_t rank = typeOf(x).getRank();
  FailureOr<int64_t> keepdims = nc.attrInt("keepdims", 1);
  if (failed(keepdims))
    return failure();
  r.keepdims = *keepdims != 0;
  std::optional<SmallVector<int64_t>> axes;
  if (axesAsInput) {
    if (nc.hasInput(1)) {
      FailureOr<SmallVector<int64_t>> values = nc.constantInts(1, "axes");
      if (failed(values))
        return failure();
      axes = *values;
    }
  } else {
    FailureOr<std::optional<SmallVector<int64_t>>> values = nc.attrInts("axes");
    if (failed(values))
      return failure();
    axes = *values;
  }
  FailureOr<int64_t> noop = nc.attrInt("noop_with_empty_axes", 0);
  if (failed(noop))
    return failure();
  if ((!axes || axes->empty()) && *noop) {
    r.noop = true;
    return r;
  }
  if (axes) {
    for (int64_t a : *axes) {
      FailureOr<int64_t> n = nc.normalizeAxis(a, rank, "axes entry");
      if (failed(n))
        return failure();
      if (llvm::is_contained(r.axes, *n))
        return nc.fail("axes entry " + Twine(a) + " is repeated");
      r.axes.push_back(*n);
    }
    llvm::sort(r.axes);
  }
  return r;
}

/// The shape of the result without kept dimensions.
SmallVector<int64_t> reducedShape(Value x, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape;
  for (auto [i, d] : llvm::enumerate(typeOf(x).getShape()))
    if (!axes.empty() && !llvm::is_contained(axes, int64_t(i)))
      shape.push_back(d);
  return shape;
}

template <typename OpTy>
LogicalResult convertSimple(NodeContext &nc, bool axesAsInput, bool floatOnly) {
  Composer k(nc);
  Value x = k.input(0, floatOnly);
  if (!x)
    return failure();
  FailureOr<Reduction> r = parseReduction(nc, x, axesAsInput);
  if (failed(r))
    return failure();
  if (r->noop)
    return k.finish(x);
  return k.finish(k.reduce<OpTy>(x, r->axes, r->keepdims));
}

/// A composition f(x) reduced by `reduce` and mapped by `after`: f, the
/// ReduceSum and g of ReduceL1 (|x|, -), ReduceL2 (x^2, sqrt), ...
template <typename MapIn, typename MapOut>
LogicalResult convertComposed(NodeContext &nc, bool floatOnly, MapIn before,
                              MapOut after) {
  Composer k(nc);
  Value x = k.input(0, floatOnly);
  if (!x)
    return failure();
  FailureOr<Reduction> r = parseReduction(nc, x, /*axesAsInput=*/false);
  if (failed(r))
    return failure();
  Value summed = k.reduce<fg::ReduceSumOp>(before(k, x), r->axes, r->keepdims);
  return k.finish(after(k, summed));
}

Value identity(Composer &, Value v) { return v; }

} // namespace

LogicalResult onnximport::convertReduceSum(NodeContext &nc) {
  return convertSimple<fg::ReduceSumOp>(nc, /*axesAsInput=*/true,
                                        /*floatOnly=*/false);
}

LogicalResult onnximport::convertReduceMean(NodeContext &nc) {
  return convertSimple<fg::ReduceMeanOp>(nc, /*axesAsInput=*/false,
                                         /*floatOnly=*/true);
}

LogicalResult onnximport::convertReduceMax(NodeContext &nc) {
  return convertSimple<fg::ReduceMaxOp>(nc, /*axesAsInput=*/false,
                                        /*floatOnly=*/false);
}

/// -max(-x).
LogicalResult onnximport::convertReduceMin(NodeContext &nc) {
  Composer k(nc);
  Value x = k.input(0, /*floatOnly=*/false);
  if (!x)
    return failure();
  FailureOr<Reduction> r = parseReduction(nc, x, /*axesAsInput=*/false);
  if (failed(r))
    return failure();
  return k.finish(
      k.neg(k.reduce<fg::ReduceMaxOp>(k.neg(x), r->axes, r->keepdims)));
}

/// sum(|x|).
LogicalResult onnximport::convertReduceL1(NodeContext &nc) {
  return convertComposed(
      nc, /*floatOnly=*/false, [](Composer &k, Value x) { return k.abs(x); },
      identity);
}

/// sqrt(sum(x^2)).
LogicalResult onnximport::convertReduceL2(NodeContext &nc) {
  return convertComposed(
      nc, /*floatOnly=*/true, [](Composer &k, Value x) { return k.mul(x, x); },
      [](Composer &k, Value s) { return k.unary<fg::SqrtOp>(s); });
}

/// sum(x^2).
LogicalResult onnximport::convertReduceSumSquare(NodeContext &nc) {
  return convertComposed(
      nc, /*floatOnly=*/false, [](Composer &k, Value x) { return k.mul(x, x); },
      identity);
}

/// log(sum(x)).
LogicalResult onnximport::convertReduceLogSum(NodeContext &nc) {
  return convertComposed(nc, /*floatOnly=*/true, identity,
                         [](Composer &k, Value s) { return k.log(s); });
}

/// m + log(sum(exp(x - m))) with m = max(x) over the axes.
LogicalResult onnximport::convertReduceLogSumExp(NodeContext &nc) {
  Composer k(nc);
  Value x = k.input(0);
  if (!x)
    return failure();
  FailureOr<Reduction> r = parseReduction(nc, x, /*axesAsInput=*/false);
  if (failed(r))
    return failure();
  Value m = k.reduce<fg::ReduceMaxOp>(x, r->axes, /*keepdims=*/true);
  Value lse = k.add(
      m, k.log(k.reduce<fg::ReduceSumOp>(k.exp(k.sub(x, m)), r->axes, true)));
  if (!r->keepdims)
    lse = k.reshape(lse, reducedShape(x, r->axes));
  return k.finish(lse);
}

Value onnximport::productOverAxis(OpBuilder &b, Location loc, Value v,
                                  int64_t axis, bool keepdims) {
  // Padded with ones to a power of two, then the first half times the
  // second until one is left.
  int64_t n = fg::shapeOf(v)[axis], width = 1;
  while (width < n)
    width *= 2;
  v = fg::padAxis(b, loc, v, axis, 0, width - n, 1.0);
  for (; width > 1; width /= 2)
    v = fg::MulOp::create(b, loc, fg::sliceAxis(b, loc, v, axis, 0, width / 2),
                          fg::sliceAxis(b, loc, v, axis, width / 2, width / 2));
  if (keepdims)
    return v;
  SmallVector<int64_t> shape(fg::shapeOf(v));
  shape.erase(shape.begin() + axis);
  return fg::reshape(b, loc, v, shape);
}

/// The reduced axes moved last and merged into one, whose pairwise product
/// is taken.
LogicalResult onnximport::convertReduceProd(NodeContext &nc) {
  Composer k(nc);
  Value x = k.input(0, /*floatOnly=*/false);
  if (!x)
    return failure();
  if (typeOf(x).getElementType().isInteger(1))
    return nc.fail("input must be numeric, got " + str(typeOf(x)));
  FailureOr<Reduction> r = parseReduction(nc, x, /*axesAsInput=*/false);
  if (failed(r))
    return failure();
  if (r->noop)
    return k.finish(x);
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  int64_t rank = typeOf(x).getRank();
  SmallVector<int64_t> axes = r->axes;
  if (axes.empty())
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  SmallVector<int64_t> perm, kept, keptDims;
  int64_t n = 1;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    keptDims.push_back(reduced ? 1 : typeOf(x).getDimSize(d));
    if (reduced) {
      n *= typeOf(x).getDimSize(d);
    } else {
      perm.push_back(d);
      kept.push_back(typeOf(x).getDimSize(d));
    }
  }
  perm.append(axes.begin(), axes.end());
  SmallVector<int64_t> rows = kept;
  rows.push_back(n);
  Value v = fg::reshape(b, loc, fg::transpose(b, loc, x, perm), rows);
  v = productOverAxis(b, loc, v, static_cast<int64_t>(kept.size()), false);
  return k.finish(
      fg::reshape(b, loc, v, r->keepdims ? ArrayRef<int64_t>(keptDims) : kept));
}
