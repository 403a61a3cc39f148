//===- FGVjpConv.cpp - Reverse-mode rule of convolution -------------------===//
//
// ConvOp::buildVjp (conventions in FGVjp.cpp) for every operand and any
// group count, as convolutions:
//   y[n, m, o] = sum_{c in group(m), k} x[n, c, o s + k d - p] w[m, c, k]
//   * bias: the sum of the cotangent over the batch and spatial axes;
//   * weight: a convolution of the input (batch and per-group channel axes
//     exchanged) with the cotangent as the kernel, stride and dilation
//     exchanged, one group per convolution group;
//   * input: the transposed convolution, i.e. a stride-1 convolution of the
//     cotangent spread by the stride and padded by (K-1) d - p, with the
//     kernel flipped and its channel axes exchanged within each group.
//
//===----------------------------------------------------------------------===//

#include "VjpHelpers.h"

using namespace mlir;
using namespace fgc::fg;
using namespace fgc::fg::vjp;

namespace {

SmallVector<int64_t> iota(int64_t n) {
  SmallVector<int64_t> v;
  for (int64_t i = 0; i < n; ++i)
    v.push_back(i);
  return v;
}

} // namespace

FailureOr<Value> ConvOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  Location loc = getLoc();
  int64_t rank = rankOf(cot), ns = rank - 2;
  int64_t groups = getGroup();
  if (i == 2) {
    SmallVector<int64_t> axes = {0};
    for (int64_t d = 2; d < rank; ++d)
      axes.push_back(d);
    return reduceSum(b, loc, cot, axes, false);
  }
  Value x = getInput(), w = getWeight();
  ArrayRef<int64_t> xs = shapeOf(x), ws = shapeOf(w), ys = shapeOf(cot);
  int64_t n = xs[0], c = xs[1], m = ws[0], cg = c / groups, mg = m / groups;
  SmallVector<int64_t> spatialX(xs.drop_front(2)), spatialW(ws.drop_front(2)),
      spatialY(ys.drop_front(2));
  auto cat = [](ArrayRef<int64_t> head, ArrayRef<int64_t> tail) {
    SmallVector<int64_t> v(head);
    llvm::append_range(v, tail);
    return v;
  };

  if (i == 1) {
    // X[c', (g, n), ..] = x[n, g cg + c', ..]; K[m, n, ..] = cot[n, m, ..].
    SmallVector<int64_t> perm = {2, 1, 0};
    for (int64_t d = 0; d < ns; ++d)
      perm.push_back(3 + d);
    Value xg = reshape(b, loc, x, cat({n, groups, cg}, spatialX));
    Value xt = reshape(b, loc, transpose(b, loc, xg, perm),
                       cat({cg, groups * n}, spatialX));
    SmallVector<int64_t> swap = iota(rank);
    std::swap(swap[0], swap[1]);
    Value kernel = transpose(b, loc, cot, swap);
    // Operands: input, weight, bias, strides, pads, dilations, group.
    auto dw = ConvOp::create(
        b, loc, xt, kernel, Value(), b.getDenseI64ArrayAttr(getDilations()),
        getPadsAttr(), b.getDenseI64ArrayAttr(getStrides()),
        b.getI64IntegerAttr(groups));
    Value r = transpose(b, loc, dw, swap);
    // The result may overhang the kernel when the stride does not divide
    // the padded input.
    if (shapeOf(r) != ws) {
      SmallVector<int64_t> starts(rank, 0), ends(ws), steps(rank, 1);
      r = SliceOp::create(b, loc, r, b.getDenseI64ArrayAttr(starts),
                          b.getDenseI64ArrayAttr(ends),
                          b.getDenseI64ArrayAttr(steps));
    }
    return r;
  }

  // The input: spread the cotangent by the stride, pad it so that a
  // stride-1 convolution with the flipped kernel lands on every input
  // position (cropping where the padding is negative).
  ArrayRef<int64_t> strides = getStrides(), dilations = getDilations(),
                    pads = getPads();
  Value g = cot;
  for (int64_t d = 0; d < ns; ++d) {
    int64_t axis = 2 + d;
    if (strides[d] > 1 && spatialY[d] > 1)
      g = spreadAxis(b, loc, g, axis, strides[d]);
    int64_t len = shapeOf(g)[axis];
    int64_t before = (spatialW[d] - 1) * dilations[d] - pads[d];
    int64_t after =
        spatialX[d] + (spatialW[d] - 1) * dilations[d] - before - len;
    if (before < 0) {
      g = sliceAxis(b, loc, g, axis, -before, len + before);
      len += before;
      before = 0;
    }
    if (after < 0) {
      g = sliceAxis(b, loc, g, axis, 0, len + after);
      after = 0;
    }
    g = padAxis(b, loc, g, axis, before, after);
  }
  // w[g mg + m', c', k] -> w'[g cg + c', m', K - 1 - k].
  SmallVector<int64_t> perm = {0, 2, 1};
  for (int64_t d = 0; d < ns; ++d)
    perm.push_back(3 + d);
  Value wg = reshape(b, loc, w, cat({groups, mg, cg}, spatialW));
  Value wt =
      reshape(b, loc, transpose(b, loc, wg, perm), cat({c, mg}, spatialW));
  for (int64_t d = 0; d < ns; ++d)
    wt = reverseAxis(b, loc, wt, 2 + d);
  SmallVector<int64_t> ones(ns, 1), zeros(2 * ns, 0);
  return ConvOp::create(b, loc, g, wt, Value(), b.getDenseI64ArrayAttr(ones),
                        b.getDenseI64ArrayAttr(zeros),
                        b.getDenseI64ArrayAttr(dilations),
                        b.getI64IntegerAttr(groups))
      .getResult();
}
