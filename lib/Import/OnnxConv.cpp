//===- OnnxConv.cpp - Convolution and pooling -----------------------------===//
//
// Conv, MaxPool, AveragePool and GlobalAveragePool map to fg ops of their
// own; ConvTranspose is the convolution of the stride-spread, padded input
// with the flipped, transposed kernel, so that both derivative rules are
// those of fg.conv and of the data movement around it.
//
//===----------------------------------------------------------------------===//

#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::typeOf;

namespace {

/// Strides, dilations and explicit pads of a Conv/pool node over `n`
/// spatial axes, with auto_pad resolved against the input and kernel sizes.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads;
};

/// Attribute `name` as `count` ints (`dflt` each when absent).
LogicalResult readList(NodeContext &nc, StringRef name, size_t count,
                       int64_t dflt, SmallVectorImpl<int64_t> &out) {
  auto v = nc.attrInts(name);
  if (failed(v))
    return failure();
  if (!*v) {
    out.assign(count, dflt);
    return success();
  }
  if ((*v)->size() != count)
    return nc.fail("attribute '" + name + "' has " + Twine((*v)->size()) +
                   " entries, expected " + Twine(count));
  out.assign((*v)->begin(), (*v)->end());
  return success();
}

FailureOr<Window> readWindow(NodeContext &nc, ArrayRef<int64_t> inputShape,
                             ArrayRef<int64_t> kernel, bool hasDilations) {
  size_t n = kernel.size();
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  if (failed(readList(nc, "strides", n, 1, w.strides)) ||
      failed(
          readList(nc, hasDilations ? "dilations" : "", n, 1, w.dilations)) ||
      failed(readList(nc, "pads", 2 * n, 0, w.pads)))
    return failure();
  for (int64_t s : w.strides)
    if (s < 1)
      return nc.fail("attribute 'strides' entries must be >= 1");
  for (int64_t d : w.dilations)
    if (d < 1)
      return nc.fail("attribute 'dilations' entries must be >= 1");
  for (int64_t p : w.pads)
    if (p < 0)
      return nc.fail("attribute 'pads' entries must be >= 0");
  auto autoPad = nc.attrString("auto_pad", "NOTSET");
  if (failed(autoPad))
    return failure();
  if (*autoPad == "NOTSET")
    return w;
  if (nc.attr("pads"))
    return nc.fail("attributes 'pads' and 'auto_pad' = " + *autoPad +
                   " cannot both be given");
  if (*autoPad == "VALID") {
    w.pads.assign(2 * n, 0);
    return w;
  }
  if (*autoPad != "SAME_UPPER" && *autoPad != "SAME_LOWER")
    return nc.fail("attribute 'auto_pad' value '" + *autoPad +
                   "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  for (size_t i = 0; i < n; ++i) {
    int64_t in = inputShape[2 + i];
    int64_t out = (in + w.strides[i] - 1) / w.strides[i];
    int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
    int64_t total = std::max<int64_t>(0, (out - 1) * w.strides[i] + span - in);
    int64_t small = total / 2, large = total - small;
    w.pads[i] = *autoPad == "SAME_UPPER" ? small : large;
    w.pads[n + i] = *autoPad == "SAME_UPPER" ? large : small;
  }
  return w;
}

LogicalResult convertPool(NodeContext &nc, bool isMax) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  if (xt.getRank() < 3)
    return nc.fail("input must be [N, C, D1..Dn], got " + str(xt));
  TRY(kernel, nc.attrInts("kernel_shape"));
  if (!kernel)
    return nc.fail("attribute 'kernel_shape' is required");
  if (static_cast<int64_t>(kernel->size()) != xt.getRank() - 2)
    return nc.fail("attribute 'kernel_shape' has " + Twine(kernel->size()) +
                   " entries for " + Twine(xt.getRank() - 2) + " spatial axes");
  for (int64_t k : *kernel)
    if (k < 1)
      return nc.fail("attribute 'kernel_shape' entries must be >= 1");
  TRY(window, readWindow(nc, xt.getShape(), *kernel, isMax));
  TRY(ceilMode, nc.attrInt("ceil_mode", 0));
  SmallVector<NamedAttribute> attrs = {
      nc.namedArray("kernel_shape", window.kernel),
      nc.namedArray("strides", window.strides),
      nc.namedArray("pads", window.pads), nc.namedBool("ceil_mode", ceilMode)};
  if (isMax) {
    TRY(storage, nc.attrInt("storage_order", 0));
    if (storage != 0)
      return nc.fail("attribute 'storage_order' = 1 (column major) is not "
                     "supported");
    if (failed(nc.rejectOutputsFrom(1, "MaxPool indices are not supported")))
      return failure();
    attrs.push_back(nc.namedArray("dilations", window.dilations));
    return setResult(nc, nc.create<fg::MaxPoolOp>({x}, attrs));
  }
  TRY(countPad, nc.attrInt("count_include_pad", 0));
  attrs.push_back(nc.namedBool("count_include_pad", countPad != 0));
  return setResult(nc, nc.create<fg::AvgPoolOp>({x}, attrs));
}

} // namespace

LogicalResult onnximport::convertConv(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(weight, nc.input(1));
  RankedTensorType xt = typeOf(x), wt = typeOf(weight);
  if (xt.getRank() < 3 || xt.getRank() > 5 || wt.getRank() != xt.getRank())
    return nc.fail("input and weight must be [N, C, D1..Dn] and [M, C/group, "
                   "k1..kn] with n in 1..3, got " +
                   str(xt) + " and " + str(wt));
  ArrayRef<int64_t> kernel = wt.getShape().drop_front(2);
  TRY(kernelAttr, nc.attrInts("kernel_shape"));
  if (kernelAttr && ArrayRef<int64_t>(*kernelAttr) != kernel)
    return nc.fail("attribute 'kernel_shape' does not match the weight shape " +
                   str(wt));
  TRY(group, nc.attrInt("group", 1));
  TRY(window, readWindow(nc, xt.getShape(), kernel, /*hasDilations=*/true));
  SmallVector<Value> operands = {x, weight};
  if (Value bias = nc.optionalInput(2))
    operands.push_back(bias);
  return setResult(
      nc, nc.create<fg::ConvOp>(operands,
                                {nc.namedArray("strides", window.strides),
                                 nc.namedArray("pads", window.pads),
                                 nc.namedArray("dilations", window.dilations),
                                 nc.namedI64("group", group)}));
}

LogicalResult onnximport::convertGlobalAveragePool(NodeContext &nc) {
  TRY(x, nc.input(0));
  int64_t rank = typeOf(x).getRank();
  if (rank < 3)
    return nc.fail("input must be [N, C, D1..Dn]");
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  return setResult(
      nc, nc.create<fg::ReduceMeanOp>({x}, {nc.namedArray("axes", axes),
                                            nc.namedBool("keepdims", true)}));
}

LogicalResult onnximport::convertMaxPool(NodeContext &nc) {
  return convertPool(nc, true);
}

LogicalResult onnximport::convertAveragePool(NodeContext &nc) {
  return convertPool(nc, false);
}

LogicalResult onnximport::convertConvTranspose(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(weight, nc.input(1));
  RankedTensorType xt = typeOf(x), wt = typeOf(weight);
  if (xt.getRank() < 3 || xt.getRank() > 5 || wt.getRank() != xt.getRank())
    return nc.fail("input and weight must be [N, C, D1..Dn] and [C, M/group, "
                   "k1..kn] with n in 1..3, got " +
                   str(xt) + " and " + str(wt));
  int64_t n = xt.getRank() - 2, channels = xt.getDimSize(1);
  TRY(group, nc.attrInt("group", 1));
  if (group < 1 || channels % group || wt.getDimSize(0) != channels)
    return nc.fail("weight " + str(wt) + " and group " + Twine(group) +
                   " do not fit " + Twine(channels) + " input channels");
  ArrayRef<int64_t> kernel = wt.getShape().drop_front(2);
  TRY(kernelAttr, nc.attrInts("kernel_shape"));
  if (kernelAttr && ArrayRef<int64_t>(*kernelAttr) != kernel)
    return nc.fail("attribute 'kernel_shape' does not match the weight shape " +
                   str(wt));
  SmallVector<int64_t> strides, dilations, outPad, pads, outShape;
  if (failed(readList(nc, "strides", n, 1, strides)) ||
      failed(readList(nc, "dilations", n, 1, dilations)) ||
      failed(readList(nc, "output_padding", n, 0, outPad)) ||
      failed(readList(nc, "pads", 2 * n, 0, pads)))
    return failure();
  for (auto [s, d] : llvm::zip(strides, dilations))
    if (s < 1 || d < 1)
      return nc.fail("attributes 'strides' and 'dilations' must be >= 1");
  TRY(autoPad, nc.attrString("auto_pad", "NOTSET"));
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return nc.fail("attribute 'auto_pad' value '" + autoPad +
                   "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  TRY(shapeAttr, nc.attrInts("output_shape"));
  if (shapeAttr) {
    // The spatial sizes, possibly preceded by N and C.
    outShape.assign(shapeAttr->end() - std::min<size_t>(shapeAttr->size(), n),
                    shapeAttr->end());
    if (static_cast<int64_t>(outShape.size()) != n)
      return nc.fail("attribute 'output_shape' has " +
                     Twine(shapeAttr->size()) + " entries for " + Twine(n) +
                     " spatial axes");
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < n; ++i)
      outShape.push_back(xt.getDimSize(2 + i) * strides[i]);
  } else if (autoPad == "VALID") {
    pads.assign(2 * n, 0);
  }
  // With a target size the padding is what is left over, the odd element
  // at the end for SAME_UPPER and at the start otherwise (as ONNX says).
  for (int64_t i = 0; i < n && !outShape.empty(); ++i) {
    int64_t full = strides[i] * (xt.getDimSize(2 + i) - 1) + outPad[i] +
                   (kernel[i] - 1) * dilations[i] + 1;
    int64_t total = full - outShape[i];
    bool upper = autoPad == "SAME_UPPER";
    pads[i] = upper ? total / 2 : total - total / 2;
    pads[n + i] = upper ? total - total / 2 : total / 2;
    if (total < 0) {
      // Larger than the kernel reaches: zeros (and the bias) at the end,
      // as output_padding would add.
      pads[i] = 0;
      pads[n + i] = total;
    }
  }
  // The input spread by the strides and padded so that a stride-1
  // convolution with the flipped kernel gives every output position.
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  Value v = x;
  for (int64_t i = 0; i < n; ++i) {
    int64_t axis = 2 + i, reach = (kernel[i] - 1) * dilations[i];
    if (strides[i] > 1 && xt.getDimSize(axis) > 1)
      v = fg::spreadAxis(b, loc, v, axis, strides[i]);
    int64_t lo = reach - pads[i], hi = reach - pads[n + i] + outPad[i];
    int64_t size = fg::shapeOf(v)[axis];
    int64_t cropLo = std::max<int64_t>(-lo, 0),
            cropHi = std::max<int64_t>(-hi, 0);
    // Pads wider than the kernel's reach crop the spread input.
    if (cropLo + cropHi >= size)
      return nc.fail("pads remove every input position of axis " + Twine(axis));
    if (cropLo || cropHi)
      v = fg::sliceAxis(b, loc, v, axis, cropLo, size - cropLo - cropHi);
    v = fg::padAxis(b, loc, v, axis, std::max<int64_t>(lo, 0),
                    std::max<int64_t>(hi, 0));
  }
  // [C, M/g, k..] -> [g, C/g, M/g, k..] -> [g, M/g, C/g, k..] -> [M, C/g, k..],
  // flipped along every kernel axis.
  int64_t cg = channels / group, mg = wt.getDimSize(1);
  SmallVector<int64_t> grouped = {group, cg, mg}, perm = {0, 2, 1},
                       merged = {group * mg, cg};
  for (int64_t i = 0; i < n; ++i) {
    grouped.push_back(kernel[i]);
    perm.push_back(3 + i);
    merged.push_back(kernel[i]);
  }
  Value w = fg::reshape(
      b, loc, fg::transpose(b, loc, fg::reshape(b, loc, weight, grouped), perm),
      merged);
  for (int64_t i = 0; i < n; ++i)
    if (kernel[i] > 1)
      w = fg::reverseAxis(b, loc, w, 2 + i);
  SmallVector<Value> operands = {v, w};
  if (Value bias = nc.optionalInput(2))
    operands.push_back(bias);
  return setResult(
      nc, nc.create<fg::ConvOp>(
              operands, {nc.namedArray("strides", SmallVector<int64_t>(n, 1)),
                         nc.namedArray("pads", SmallVector<int64_t>(2 * n, 0)),
                         nc.namedArray("dilations", dilations),
                         nc.namedI64("group", group)}));
}
