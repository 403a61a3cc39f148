//===- OnnxLayout.cpp - Pad, Tile, DepthToSpace, SpaceToDepth, Trilu, CumSum =//
//
// Operators that move or accumulate data along axes, written as fg data
// movement (slice, concat, gather at constant indices, reshape, transpose,
// broadcast) and arithmetic, so both derivative rules come from those ops':
// - Pad: per axis, negative pads crop (slice); positive ones concatenate
//   the fill value (constant mode) or the elements that NumPy's reflect and
//   edge modes repeat (a gather at constant indices).
// - Tile: [.., 1, d, ..] broadcast to [.., r, d, ..] and merged.
// - DepthToSpace / SpaceToDepth: reshape, transpose, reshape.
// - Trilu: a select with a constant triangular mask.
// - CumSum: log2(n) steps of "add the sum shifted by 2^j" (Hillis-Steele),
//   on floats and integers alike.
//
//===----------------------------------------------------------------------===//

#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::shapeOf;
using fg::typeOf;

namespace {

/// The index NumPy's pad mode reads for position `p` of an axis of `n`
/// elements (p < 0 or p >= n): reflect mirrors about the end elements
/// without repeating them, periodically for pads wider than the axis;
/// edge repeats the end element.
int64_t padSource(bool reflect, int64_t p, int64_t n) {
  if (!reflect || n == 1)
    return std::clamp<int64_t>(p, 0, n - 1);
  int64_t period = 2 * (n - 1);
  int64_t q = ((p % period) + period) % period;
  return q < n ? q : period - q;
}

/// `x` with `before` and `after` (>= 0) elements added along `axis`.
Value padOneAxis(NodeContext &nc, Value x, int64_t axis, int64_t before,
                 int64_t after, StringRef mode, Value fill) {
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  int64_t n = shapeOf(x)[axis];
  auto part = [&](int64_t from, int64_t count) -> Value {
    if (mode == "constant") {
      SmallVector<int64_t> shape(shapeOf(x));
      shape[axis] = count;
      return fg::broadcastTo(b, loc, fill, shape);
    }
    SmallVector<int64_t> idx;
    for (int64_t p = from; p < from + count; ++p)
      idx.push_back(padSource(mode == "reflect", p, n));
    return fg::gatherAxis(b, loc, x, axis, idx);
  };
  SmallVector<Value> parts;
  if (before)
    parts.push_back(part(-before, before));
  parts.push_back(x);
  if (after)
    parts.push_back(part(n, after));
  if (parts.size() == 1)
    return x;
  return fg::ConcatOp::create(b, loc, parts, b.getI64IntegerAttr(axis));
}

/// `x` shifted by `s` along `axis`: zeros first, the last `s` dropped.
Value shiftAxis(OpBuilder &b, Location loc, Value x, int64_t axis, int64_t s) {
  int64_t n = shapeOf(x)[axis];
  return fg::sliceAxis(b, loc, fg::padAxis(b, loc, x, axis, s, 0), axis, 0, n);
}

/// The rank-4 checks and the block size of DepthToSpace/SpaceToDepth.
FailureOr<int64_t> blockSize(NodeContext &nc, Value x) {
  if (typeOf(x).getRank() != 4)
    return nc.fail("input must have rank 4 (N, C, H, W), got " +
                   str(typeOf(x)));
  if (!nc.attr("blocksize"))
    return nc.fail("attribute 'blocksize' is required");
  TRY(bs, nc.attrInt("blocksize", 0));
  if (bs < 1)
    return nc.fail("attribute 'blocksize' must be positive, got " + Twine(bs));
  return bs;
}

} // namespace

LogicalResult onnximport::convertPad(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  int64_t rank = xt.getRank();
  TRY(mode, nc.attrString("mode", "constant"));
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return nc.fail("attribute 'mode' is '" + mode +
                   "'; supported modes: constant, reflect, edge");
  SmallVector<int64_t> pads;
  Value fill;
  if (nc.opset < 11) {
    TRY(attrPads, nc.attrInts("pads"));
    if (!attrPads)
      return nc.fail("attribute 'pads' is required");
    pads = *attrPads;
    TRY(value, nc.attrFloat("value", 0.0));
    fill = fg::scalar(nc.b, nc.getLoc(), xt.getElementType(), value);
  } else {
    TRY(inputPads, nc.constantInts(1, "pads"));
    pads = inputPads;
    if (nc.hasInput(2)) {
      TRY(value, nc.input(2));
      if (typeOf(value).getNumElements() != 1 ||
          typeOf(value).getElementType() != xt.getElementType())
        return nc.fail("input 'constant_value' must be one element of the "
                       "data's type, got " +
                       str(typeOf(value)));
      fill = value;
    }
  }
  if (!fill)
    fill = fg::scalar(nc.b, nc.getLoc(), xt.getElementType(), 0.0);
  // Opset 18's axes: the pads name only these axes.
  SmallVector<int64_t> axes;
  if (nc.hasInput(3)) {
    TRY(inputAxes, nc.constantInts(3, "axes"));
    for (int64_t a : inputAxes) {
      TRY(axis, nc.normalizeAxis(a, rank, "axis"));
      axes.push_back(axis);
    }
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  int64_t count = static_cast<int64_t>(axes.size());
  if (static_cast<int64_t>(pads.size()) != 2 * count)
    return nc.fail("'pads' has " + Twine(pads.size()) + " entries; " +
                   Twine(2 * count) + " expected (begin and end of " +
                   Twine(count) + " axes)");
  fill = fg::reshape(nc.b, nc.getLoc(), fill, SmallVector<int64_t>(rank, 1));
  for (int64_t i = 0; i < count; ++i) {
    int64_t axis = axes[i], before = pads[i], after = pads[count + i];
    int64_t n = shapeOf(x)[axis];
    int64_t cropBefore = std::max<int64_t>(-before, 0);
    int64_t cropAfter = std::max<int64_t>(-after, 0);
    if (cropBefore + cropAfter >= n)
      return nc.fail("negative pads remove all " + Twine(n) +
                     " elements of axis " + Twine(axis));
    if (cropBefore || cropAfter)
      x = fg::sliceAxis(nc.b, nc.getLoc(), x, axis, cropBefore,
                        n - cropBefore - cropAfter);
    x = padOneAxis(nc, x, axis, std::max<int64_t>(before, 0),
                   std::max<int64_t>(after, 0), mode, fill);
  }
  return setResult(nc, x);
}

LogicalResult onnximport::convertTile(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(repeats, nc.constantInts(1, "repeats"));
  ArrayRef<int64_t> shape = shapeOf(x);
  if (repeats.size() != shape.size())
    return nc.fail("input 'repeats' has " + Twine(repeats.size()) +
                   " entries for an input of rank " + Twine(shape.size()));
  // [d0, d1, ..] -> [1, d0, 1, d1, ..] -> [r0, d0, r1, d1, ..] -> [r0 d0, ..].
  SmallVector<int64_t> split, wide, merged;
  for (auto [d, r] : llvm::zip(shape, repeats)) {
    if (r < 1)
      return nc.fail("input 'repeats' must be positive, got " + Twine(r));
    split.append({1, d});
    wide.append({r, d});
    merged.push_back(r * d);
  }
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  Value v = fg::reshape(b, loc, x, split);
  return setResult(
      nc, fg::reshape(b, loc, fg::broadcastTo(b, loc, v, wide), merged));
}

LogicalResult onnximport::convertDepthToSpace(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(bs, blockSize(nc, x));
  TRY(mode, nc.attrString("mode", "DCR"));
  if (mode != "DCR" && mode != "CRD")
    return nc.fail("attribute 'mode' is '" + mode + "'; expected DCR or CRD");
  ArrayRef<int64_t> s = shapeOf(x);
  int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  if (c % (bs * bs))
    return nc.fail(Twine(c) + " channels do not divide into blocks of " +
                   Twine(bs) + "x" + Twine(bs));
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  int64_t oc = c / (bs * bs);
  Value v;
  if (mode == "DCR")
    v = fg::transpose(b, loc, fg::reshape(b, loc, x, {n, bs, bs, oc, h, w}),
                      {0, 3, 4, 1, 5, 2});
  else
    v = fg::transpose(b, loc, fg::reshape(b, loc, x, {n, oc, bs, bs, h, w}),
                      {0, 1, 4, 2, 5, 3});
  return setResult(nc, fg::reshape(b, loc, v, {n, oc, h * bs, w * bs}));
}

LogicalResult onnximport::convertSpaceToDepth(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(bs, blockSize(nc, x));
  ArrayRef<int64_t> s = shapeOf(x);
  int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  if (h % bs || w % bs)
    return nc.fail("height " + Twine(h) + " and width " + Twine(w) +
                   " must be multiples of the block size " + Twine(bs));
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  Value v = fg::transpose(
      b, loc, fg::reshape(b, loc, x, {n, c, h / bs, bs, w / bs, bs}),
      {0, 3, 5, 1, 2, 4});
  return setResult(nc,
                   fg::reshape(b, loc, v, {n, c * bs * bs, h / bs, w / bs}));
}

LogicalResult onnximport::convertTrilu(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  if (xt.getRank() < 2)
    return nc.fail("input must have rank >= 2, got " + str(xt));
  TRY(upper, nc.attrInt("upper", 1));
  int64_t k = 0;
  if (nc.hasInput(1)) {
    TRY(ks, nc.constantInts(1, "k"));
    if (ks.size() != 1)
      return nc.fail("input 'k' must hold one element");
    k = ks[0];
  }
  int64_t rows = xt.getDimSize(xt.getRank() - 2);
  int64_t cols = xt.getDimSize(xt.getRank() - 1);
  SmallVector<bool> keep;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      keep.push_back(upper ? j - i >= k : j - i <= k);
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  Value mask = nc.constant(DenseElementsAttr::get(
      RankedTensorType::get({rows, cols}, b.getI1Type()), ArrayRef(keep)));
  Value zero = fg::scalar(b, loc, xt.getElementType(), 0.0);
  return setResult(nc, nc.create<fg::SelectOp>({mask, x, zero}));
}

LogicalResult onnximport::convertCumSum(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  if (xt.getElementType().isInteger(1))
    return nc.fail("input must be numeric, got " + str(xt));
  TRY(axes, nc.constantInts(1, "axis"));
  if (axes.size() != 1)
    return nc.fail("input 'axis' must hold one element");
  TRY(axis, nc.normalizeAxis(axes[0], xt.getRank()));
  TRY(exclusive, nc.attrInt("exclusive", 0));
  TRY(reverse, nc.attrInt("reverse", 0));
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  int64_t n = xt.getDimSize(axis);
  if (reverse)
    x = fg::reverseAxis(b, loc, x, axis);
  if (exclusive)
    x = shiftAxis(b, loc, x, axis, 1);
  for (int64_t s = 1; s < n; s *= 2)
    x = fg::AddOp::create(b, loc, x, shiftAxis(b, loc, x, axis, s));
  if (reverse)
    x = fg::reverseAxis(b, loc, x, axis);
  return setResult(nc, x);
}
