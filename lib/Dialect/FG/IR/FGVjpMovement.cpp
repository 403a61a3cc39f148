//===- FGVjpMovement.cpp - Reverse-mode rules of data movement ------------===//
//
// VjpOpInterface::buildVjp of concat, slice and gather (conventions in
// FGVjp.cpp). Their adjoints put the cotangent back where the data came
// from: a slice of the cotangent (concat), the cotangent spread into zeros
// (slice), and a sum over the indices that picked each row (gather, as a
// product with the one-hot matrix of the indices).
//
//===----------------------------------------------------------------------===//

#include "VjpHelpers.h"

using namespace mlir;
using namespace fgc::fg;
using namespace fgc::fg::vjp;

FailureOr<Value> ConcatOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  if (!isa<FloatType>(eltOf(cot)))
    return Value();
  int64_t axis = getAxis(), offset = 0;
  for (unsigned j = 0; j < i; ++j)
    offset += shapeOf(getInputs()[j])[axis];
  return sliceAxis(b, getLoc(), cot, axis, offset,
                   shapeOf(getInputs()[i])[axis]);
}

FailureOr<Value> SliceOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  Location loc = getLoc();
  if (!isa<FloatType>(eltOf(cot)))
    return Value();
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (typeOf(cot).getNumElements() == 0)
    return zeros(b, loc, in, eltOf(cot));
  Value g = cot;
  for (int64_t d = 0, e = static_cast<int64_t>(in.size()); d < e; ++d) {
    int64_t start = getStarts()[d], step = getSteps()[d];
    int64_t n = shapeOf(cot)[d];
    if (start == 0 && step == 1 && n == in[d])
      continue;
    // Element j of the result came from start + j * step: as positions
    // first, first + |step|, .. in increasing order.
    int64_t first = start;
    if (step < 0) {
      g = reverseAxis(b, loc, g, d);
      first = start + (n - 1) * step;
      step = -step;
    }
    if (step > 1)
      g = spreadAxis(b, loc, g, d, step);
    int64_t span = (n - 1) * step + 1;
    g = padAxis(b, loc, g, d, first, in[d] - first - span);
  }
  return g;
}

FailureOr<Value> GatherOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  // in[p, a, q] += cot[p, k, q] for every index k with indices[k] = a:
  // cot as [P*Q, K] times the one-hot [K, A] of the indices.
  Location loc = getLoc();
  if (i != 0 || !isa<FloatType>(eltOf(cot)))
    return Value();
  ArrayRef<int64_t> in = shapeOf(getInput());
  int64_t axis = getAxis(), a = in[axis];
  int64_t p = 1, q = 1, k = typeOf(getIndices()).getNumElements();
  for (int64_t d = 0; d < axis; ++d)
    p *= in[d];
  for (int64_t d = axis + 1, e = static_cast<int64_t>(in.size()); d < e; ++d)
    q *= in[d];
  // Negative indices count from the end.
  Type i64 = b.getI64Type();
  Value idx = wrapNegative(b, loc, reshape(b, loc, getIndices(), {k}),
                           scalar(b, loc, i64, a));
  Value oneHot =
      OneHotOp::create(b, loc, RankedTensorType::get({k, a}, eltOf(cot)), idx);
  Value c = transpose(b, loc, reshape(b, loc, cot, {p, k, q}), {0, 2, 1});
  Value prod = MatMulOp::create(b, loc, reshape(b, loc, c, {p * q, k}), oneHot);
  Value r = transpose(b, loc, reshape(b, loc, prod, {p, q, a}), {0, 2, 1});
  return reshape(b, loc, r, in);
}
