//===- VjpHelpers.h - Shape helpers of the reverse-mode rules ---*- C++ -*-===//
//
// Internal to lib/Dialect/FG/IR: the windows the adjoints of pooling and
// convolution share. The one-axis data movement they are built from
// (sliceAxis, padAxis, spreadAxis, gatherAxis) is in FGBuilders.h.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_DIALECT_FG_IR_VJPHELPERS_H
#define FGC_LIB_DIALECT_FG_IR_VJPHELPERS_H

#include "fgc/Dialect/FG/IR/FGBuilders.h"

namespace fgc::fg::vjp {

using mlir::ArrayRef;
using mlir::DenseElementsAttr;
using mlir::Location;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::SmallVector;
using mlir::Type;
using mlir::Value;

inline mlir::Value zeros(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                         Type elt) {
  return splat(b, loc, RankedTensorType::get(shape, elt), 0.0);
}

/// Pooling and convolution windows over [N, C, I1..In]: for kernel offset
/// k, output position o reads padded position o * stride + k * dilation
/// (padded = the input shifted by the begin padding).
struct Windows {
  SmallVector<int64_t> kernel, strides, dilations, padBegin, in, out, padded;

  Windows(Value input, Value output, ArrayRef<int64_t> kernel,
          ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
          ArrayRef<int64_t> pads)
      : kernel(kernel), strides(strides), dilations(dilations),
        padBegin(pads.take_front(kernel.size())),
        in(shapeOf(input).drop_front(2)), out(shapeOf(output).drop_front(2)) {
    for (size_t i = 0; i < kernel.size(); ++i) {
      // Wide enough for the explicit padding and for every tap (ceil_mode
      // windows may overhang it).
      int64_t taps =
          (out[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1;
      padded.push_back(
          std::max(in[i] + pads[i] + pads[kernel.size() + i], taps));
    }
  }

  int64_t rank() const { return static_cast<int64_t>(kernel.size()); }

  /// Every kernel offset, in row-major order.
  SmallVector<SmallVector<int64_t>> offsets() const {
    SmallVector<SmallVector<int64_t>> all = {{}};
    for (int64_t k : kernel) {
      SmallVector<SmallVector<int64_t>> next;
      for (const auto &prefix : all)
        for (int64_t t = 0; t < k; ++t) {
          next.push_back(prefix);
          next.back().push_back(t);
        }
      all = std::move(next);
    }
    return all;
  }

  /// The input padded with `fill` to `padded`.
  Value pad(OpBuilder &b, Location loc, Value x, double fill) const {
    for (int64_t i = 0; i < rank(); ++i)
      x = padAxis(b, loc, x, 2 + i, padBegin[i],
                  padded[i] - in[i] - padBegin[i], fill);
    return x;
  }

  /// What offset `k` reads of the padded input, as [N, C, O..].
  Value tap(OpBuilder &b, Location loc, Value xp, ArrayRef<int64_t> k) const {
    ArrayRef<int64_t> shape = shapeOf(xp);
    SmallVector<int64_t> starts(shape.size(), 0), ends(shape),
        steps(shape.size(), 1);
    for (int64_t i = 0; i < rank(); ++i) {
      starts[2 + i] = k[i] * dilations[i];
      ends[2 + i] = starts[2 + i] + (out[i] - 1) * strides[i] + 1;
      steps[2 + i] = strides[i];
    }
    return SliceOp::create(b, loc, xp, b.getDenseI64ArrayAttr(starts),
                           b.getDenseI64ArrayAttr(ends),
                           b.getDenseI64ArrayAttr(steps));
  }

  /// The adjoint of tap(): `c` ([N, C, O..]) put where offset `k` read,
  /// zeros elsewhere, as a padded [N, C, padded..] tensor.
  Value place(OpBuilder &b, Location loc, Value c, ArrayRef<int64_t> k) const {
    for (int64_t i = 0; i < rank(); ++i) {
      if (strides[i] > 1 && out[i] > 1)
        c = spreadAxis(b, loc, c, 2 + i, strides[i]);
      int64_t before = k[i] * dilations[i];
      int64_t span = (out[i] - 1) * strides[i] + 1;
      c = padAxis(b, loc, c, 2 + i, before, padded[i] - before - span);
    }
    return c;
  }

  /// The input positions of a padded tensor.
  Value crop(OpBuilder &b, Location loc, Value v) const {
    for (int64_t i = 0; i < rank(); ++i)
      v = sliceAxis(b, loc, v, 2 + i, padBegin[i], in[i]);
    return v;
  }
};

} // namespace fgc::fg::vjp

#endif // FGC_LIB_DIALECT_FG_IR_VJPHELPERS_H
