//===- OnnxResize.cpp - Resize and Upsample -------------------------------===//
//
// Resizing is separable: along each resized axis, output position o reads
// a few input positions (1 for nearest, 2 for linear, 4 for cubic) with
// weights that depend only on o and the sizes, so each axis is a sum of
// gathers at constant indices times constant weights. Positions follow the
// ONNX reference: the input coordinate comes from the coordinate
// transformation mode (with the "length" scale * input length, so that
// scales that do not divide the length behave as the reference), its
// neighbours are clamped to the axis (edge padding) or, with
// exclude_outside, dropped and the weights renormalised; tf_crop_and_resize
// puts extrapolation_value where the coordinate leaves the input. The
// derivatives are those of gather, mul, add and select.
//
//===----------------------------------------------------------------------===//

#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::shapeOf;
using fg::typeOf;

namespace {

struct ResizeMode {
  std::string mode = "nearest"; ///< nearest, linear, cubic
  std::string coordinates = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0.0;
};

/// What one output position of an axis reads: input positions, weights,
/// and whether it lies outside the input (tf_crop_and_resize only).
struct Taps {
  SmallVector<int64_t> index;
  SmallVector<double> weight;
  bool outside = false;
};

/// The input coordinate of output position `o` along an axis of `in`
/// elements scaled by `scale` (`roiStart`, `roiEnd` for tf_crop_and_resize).
double sourceCoordinate(const ResizeMode &m, int64_t o, int64_t in,
                        double scale, double roiStart, double roiEnd) {
  double length = scale * static_cast<double>(in);
  const std::string &c = m.coordinates;
  if (c == "align_corners")
    return length == 1 ? 0.0 : o * (in - 1) / (length - 1);
  if (c == "asymmetric")
    return o / scale;
  if (c == "tf_half_pixel_for_nn")
    return (o + 0.5) / scale;
  if (c == "tf_crop_and_resize")
    return roiStart * (in - 1) +
           (length == 1 ? (roiEnd - roiStart) * (in - 1) / 2
                        : o * (roiEnd - roiStart) * (in - 1) / (length - 1));
  if (c == "pytorch_half_pixel")
    return length == 1 ? -0.5 : (o + 0.5) / scale - 0.5;
  return (o + 0.5) / scale - 0.5; // half_pixel
}

Taps tapsAt(const ResizeMode &m, double x, int64_t in) {
  Taps t;
  if (m.coordinates == "tf_crop_and_resize" && (x < 0 || x > in - 1)) {
    t.outside = true;
    t.index.push_back(0);
    t.weight.push_back(0.0);
    return t;
  }
  // The left neighbour and the ratio in (0, 1] (an integer coordinate is
  // the right end of the interval to its left), as the reference has it.
  double left = std::floor(x), ratio = x - left;
  if (ratio == 0) {
    left -= 1;
    ratio = 1;
  }
  int64_t x0 = static_cast<int64_t>(left);
  SmallVector<int64_t> offsets;
  if (m.mode == "nearest") {
    bool right;
    if (ratio == 1)
      right = true;
    else if (m.nearest == "round_prefer_ceil")
      right = ratio >= 0.5;
    else if (m.nearest == "floor")
      right = false;
    else if (m.nearest == "ceil")
      right = true;
    else
      right = ratio > 0.5;
    t.index.push_back(std::clamp<int64_t>(x0 + (right ? 1 : 0), 0, in - 1));
    t.weight.push_back(1.0);
    return t;
  }
  if (m.mode == "linear") {
    offsets = {0, 1};
    t.weight = {1 - ratio, ratio};
  } else {
    double a = m.cubicA, r = ratio, s = 1 - ratio;
    offsets = {-1, 0, 1, 2};
    t.weight = {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
                ((a + 2) * r - (a + 3)) * r * r + 1,
                ((a + 2) * s - (a + 3)) * s * s + 1,
                ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
  }
  double total = 0;
  for (auto [k, off] : llvm::enumerate(offsets)) {
    int64_t i = x0 + off;
    if (m.excludeOutside && (i < 0 || i >= in))
      t.weight[k] = 0;
    total += t.weight[k];
    t.index.push_back(std::clamp<int64_t>(i, 0, in - 1));
  }
  if (m.excludeOutside && total != 0)
    for (double &w : t.weight)
      w /= total;
  return t;
}

/// `x` resized along `axis` to `out` positions.
Value resizeAxis(NodeContext &nc, const ResizeMode &m, Value x, int64_t axis,
                 int64_t out, double scale, double roiStart, double roiEnd) {
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  int64_t in = shapeOf(x)[axis], rank = typeOf(x).getRank();
  SmallVector<Taps> taps;
  for (int64_t o = 0; o < out; ++o)
    taps.push_back(
        tapsAt(m, sourceCoordinate(m, o, in, scale, roiStart, roiEnd), in));
  size_t count = 0;
  for (const Taps &t : taps)
    count = std::max(count, t.index.size());
  Type elt = typeOf(x).getElementType();
  SmallVector<int64_t> along(rank, 1);
  along[axis] = out;
  auto weightType = RankedTensorType::get(along, elt);
  Value sum;
  for (size_t k = 0; k < count; ++k) {
    SmallVector<int64_t> index;
    SmallVector<double> weight;
    for (const Taps &t : taps) {
      index.push_back(k < t.index.size() ? t.index[k] : 0);
      weight.push_back(k < t.weight.size() ? t.weight[k] : 0.0);
    }
    Value term = fg::gatherAxis(b, loc, x, axis, index);
    if (m.mode != "nearest") {
      SmallVector<Attribute> ws;
      for (double w : weight)
        ws.push_back(FloatAttr::get(elt, w));
      term = fg::MulOp::create(
          b, loc, term, nc.constant(DenseElementsAttr::get(weightType, ws)));
    }
    sum = sum ? Value(fg::AddOp::create(b, loc, sum, term)) : term;
  }
  if (llvm::none_of(taps, [](const Taps &t) { return t.outside; }))
    return sum;
  SmallVector<bool> outside;
  for (const Taps &t : taps)
    outside.push_back(t.outside);
  Value mask = nc.constant(DenseElementsAttr::get(
      RankedTensorType::get(along, b.getI1Type()), ArrayRef(outside)));
  return fg::SelectOp::create(b, loc, mask,
                              fg::scalar(b, loc, elt, m.extrapolation), sum);
}

/// The values of a constant float input (empty when absent or empty).
FailureOr<SmallVector<double>> constantFloats(NodeContext &nc, int i,
                                              StringRef what) {
  if (!nc.hasInput(i))
    return SmallVector<double>();
  TRY(v, nc.input(i));
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return nc.notConstant(i, what);
  SmallVector<double> values;
  for (const APFloat &f : attr.getValues<APFloat>())
    values.push_back(f.convertToDouble());
  return values;
}

/// Resizes every axis whose size or scale changes.
LogicalResult resize(NodeContext &nc, Value x, const ResizeMode &m,
                     ArrayRef<double> scalesIn, ArrayRef<int64_t> sizes,
                     ArrayRef<double> roi) {
  RankedTensorType xt = typeOf(x);
  int64_t rank = xt.getRank();
  if (!isa<FloatType>(xt.getElementType()))
    return nc.fail("input must be a floating-point tensor, got " + str(xt));
  if (scalesIn.empty() == sizes.empty())
    return nc.fail("exactly one of 'scales' and 'sizes' must be given");
  if (!scalesIn.empty() && static_cast<int64_t>(scalesIn.size()) != rank)
    return nc.fail("'scales' has " + Twine(scalesIn.size()) +
                   " entries for an input of rank " + Twine(rank));
  if (!sizes.empty() && static_cast<int64_t>(sizes.size()) != rank)
    return nc.fail("'sizes' has " + Twine(sizes.size()) +
                   " entries for an input of rank " + Twine(rank));
  bool crop = m.coordinates == "tf_crop_and_resize";
  if (crop && static_cast<int64_t>(roi.size()) != 2 * rank)
    return nc.fail("tf_crop_and_resize needs 'roi' with " + Twine(2 * rank) +
                   " entries");
  Value v = x;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = xt.getDimSize(d);
    double scale;
    int64_t out;
    if (!sizes.empty()) {
      out = sizes[d];
      scale = static_cast<double>(out) / static_cast<double>(in);
    } else {
      scale = scalesIn[d];
      out = static_cast<int64_t>(scale * static_cast<double>(in));
    }
    if (!(scale > 0) || out < 1)
      return nc.fail("axis " + Twine(d) + " of " + Twine(in) +
                     " elements would be resized to " + Twine(out));
    if (out == in && scale == 1 && !crop)
      continue;
    v = resizeAxis(nc, m, v, d, out, scale, crop ? roi[d] : 0.0,
                   crop ? roi[rank + d] : 0.0);
  }
  return setResult(nc, v);
}

} // namespace

LogicalResult onnximport::convertResize(NodeContext &nc) {
  TRY(x, nc.input(0));
  ResizeMode m;
  TRY(mode, nc.attrString("mode", "nearest"));
  TRY(coordinates,
      nc.attrString("coordinate_transformation_mode", "half_pixel"));
  TRY(nearest, nc.attrString("nearest_mode", "round_prefer_floor"));
  TRY(cubicA, nc.attrFloat("cubic_coeff_a", -0.75));
  TRY(exclude, nc.attrInt("exclude_outside", 0));
  TRY(extrapolation, nc.attrFloat("extrapolation_value", 0.0));
  m = {mode, coordinates, nearest, cubicA, exclude != 0, extrapolation};
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return nc.fail("attribute 'mode' is '" + mode +
                   "'; expected nearest, linear or cubic");
  if (!llvm::is_contained({"half_pixel", "pytorch_half_pixel", "align_corners",
                           "asymmetric", "tf_half_pixel_for_nn",
                           "tf_crop_and_resize"},
                          coordinates))
    return nc.fail("attribute 'coordinate_transformation_mode' is '" +
                   coordinates + "', which is not an ONNX mode");
  if (!llvm::is_contained(
          {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"},
          nearest))
    return nc.fail("attribute 'nearest_mode' is '" + nearest +
                   "', which is not an ONNX mode");
  if (nc.opset < 11) {
    // Resize-10: (X, scales), asymmetric coordinates.
    m.coordinates = "asymmetric";
    TRY(scales, constantFloats(nc, 1, "scales"));
    return resize(nc, x, m, scales, {}, {});
  }
  TRY(roi, constantFloats(nc, 1, "roi"));
  TRY(scales, constantFloats(nc, 2, "scales"));
  SmallVector<int64_t> sizes;
  if (nc.hasInput(3)) {
    TRY(values, nc.constantInts(3, "sizes"));
    sizes = values;
  }
  return resize(nc, x, m, scales, sizes, roi);
}

/// Upsample (deprecated since opset 10): nearest repeats each element
/// (floor of o / scale), linear interpolates with asymmetric coordinates.
LogicalResult onnximport::convertUpsample(NodeContext &nc) {
  TRY(x, nc.input(0));
  ResizeMode m;
  TRY(mode, nc.attrString("mode", "nearest"));
  if (mode != "nearest" && mode != "linear")
    return nc.fail("attribute 'mode' is '" + mode +
                   "'; expected nearest or linear");
  m.mode = mode;
  m.coordinates = "asymmetric";
  m.nearest = "floor";
  SmallVector<double> scales;
  if (nc.hasInput(1)) {
    TRY(values, constantFloats(nc, 1, "scales"));
    scales = values;
  } else {
    const onnx::AttributeProto *a = nc.attr("scales");
    if (!a || a->type() != onnx::AttributeProto::FLOATS)
      return nc.fail("the scales (input or attribute) are required");
    scales.assign(a->floats().begin(), a->floats().end());
  }
  return resize(nc, x, m, scales, {}, {});
}
