//===- FGVjpPooling.cpp - Reverse-mode rules of pooling -------------------===//
//
// VjpOpInterface::buildVjp of max and average pooling (conventions in
// FGVjp.cpp), built from the kernel offsets: offset k reads a strided slice
// of the padded input (Windows::tap), so its adjoint puts a cotangent back
// at those positions (Windows::place) and the input's cotangent is the sum
// over offsets, cropped to the input. Max pooling sends each window's
// cotangent to its first maximum in row-major kernel order, the element
// whose tangent fg.max_pool_jvp takes; average pooling sends it, divided by
// the window's divisor, to every tap.
//
//===----------------------------------------------------------------------===//

#include "VjpHelpers.h"

#include <cmath>

using namespace mlir;
using namespace fgc::fg;
using namespace fgc::fg::vjp;

namespace {

/// The cotangent of max pooling's input: `pooled` is the pooling of `x`.
Value maxPoolCotangent(OpBuilder &b, Location loc, Value x, Value pooled,
                       Value cot, const Windows &w) {
  Type elt = eltOf(x);
  Value xp = w.pad(b, loc, x, -INFINITY);
  Value one = scalar(b, loc, elt, 1.0);
  Value taken, sum;
  for (const SmallVector<int64_t> &k : w.offsets()) {
    // 1 where this offset holds the window's maximum and no earlier one
    // did.
    Value hit = CompareOp::create(b, loc, w.tap(b, loc, xp, k), pooled,
                                  b.getStringAttr("eq"));
    if (taken)
      hit = MulOp::create(b, loc, hit, SubOp::create(b, loc, one, taken));
    taken = taken ? AddOp::create(b, loc, taken, hit).getResult() : hit;
    Value part = w.place(b, loc, MulOp::create(b, loc, cot, hit), k);
    sum = sum ? AddOp::create(b, loc, sum, part).getResult() : part;
  }
  return w.crop(b, loc, sum);
}

} // namespace

FailureOr<Value> MaxPoolOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  Windows w(getInput(), getResult(), getKernelShape(), getStrides(),
            getDilations(), getPads());
  return maxPoolCotangent(b, getLoc(), getInput(), getResult(), cot, w);
}

FailureOr<Value> MaxPoolJvpOp::buildVjp(OpBuilder &b, unsigned i, Value cot) {
  // Linear in the tangent, whose adjoint is max pooling's; piecewise
  // constant in the input.
  if (i == 0)
    return Value();
  Location loc = getLoc();
  Value pooled = MaxPoolOp::create(b, loc, getInput(), getKernelShapeAttr(),
                                   getStridesAttr(), getPadsAttr(),
                                   getDilationsAttr(), getCeilModeAttr());
  Windows w(getInput(), getResult(), getKernelShape(), getStrides(),
            getDilations(), getPads());
  return maxPoolCotangent(b, loc, getInput(), pooled, cot, w);
}

FailureOr<Value> AvgPoolOp::buildVjp(OpBuilder &b, unsigned, Value cot) {
  Location loc = getLoc();
  SmallVector<int64_t> ones(getKernelShape().size(), 1);
  Windows w(getInput(), getResult(), getKernelShape(), getStrides(), ones,
            getPads());
  SmallVector<double> divisor = avgPoolDivisor(w.in, w.out, w.kernel, w.strides,
                                               getPads(), getCountIncludePad());
  Type elt = eltOf(cot);
  SmallVector<Attribute> inverse;
  for (double d : divisor)
    inverse.push_back(FloatAttr::get(elt, 1.0 / d));
  Value scale = ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get(w.out, elt), inverse));
  Value c = MulOp::create(b, loc, cot, scale);
  Value sum;
  for (const SmallVector<int64_t> &k : w.offsets()) {
    Value part = w.place(b, loc, c, k);
    sum = sum ? AddOp::create(b, loc, sum, part).getResult() : part;
  }
  return w.crop(b, loc, sum);
}
