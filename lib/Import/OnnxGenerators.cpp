//===- OnnxGenerators.cpp - Range and EyeLike -----------------------------===//
//
// Operators whose result depends only on constants and shapes: shapes are
// static, so they fold to fg.constant at import (and have no derivative).
// Range's length depends on its inputs' values, which must therefore be
// compile-time constants.
//
//===----------------------------------------------------------------------===//

#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

#include <cmath>

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::typeOf;

namespace {

/// A constant of `type` from doubles (rounded to the element type).
DenseElementsAttr elements(RankedTensorType type, ArrayRef<double> values) {
  Type elt = type.getElementType();
  SmallVector<Attribute> attrs;
  for (double v : values) {
    if (isa<FloatType>(elt))
      attrs.push_back(FloatAttr::get(elt, v));
    else
      attrs.push_back(IntegerAttr::get(elt, static_cast<int64_t>(v)));
  }
  return DenseElementsAttr::get(type, attrs);
}

} // namespace

LogicalResult onnximport::convertRange(NodeContext &nc) {
  TRY(startValue, nc.input(0));
  Type elt = typeOf(startValue).getElementType();
  if (elt.isInteger(1))
    return nc.fail("inputs must be numeric, got " + str(typeOf(startValue)));
  TRY(start, nc.constantScalar(0, "start"));
  TRY(limit, nc.constantScalar(1, "limit"));
  TRY(delta, nc.constantScalar(2, "delta"));
  if (delta == 0)
    return nc.fail("input 'delta' is zero");
  double count = std::ceil((limit - start) / delta);
  if (!(count >= 1))
    return nc.fail("the range from " + formatNumber(start) + " to " +
                   formatNumber(limit) + " by " + formatNumber(delta) +
                   " is empty; fgc's tensors have no zero-sized dimensions");
  if (count > double(1 << 30))
    return nc.fail("the range has " + formatNumber(count) +
                   " elements, more than 2^30");
  int64_t n = static_cast<int64_t>(count);
  SmallVector<double> values;
  for (int64_t i = 0; i < n; ++i)
    values.push_back(start + static_cast<double>(i) * delta);
  nc.setOutput(0,
               nc.constant(elements(RankedTensorType::get({n}, elt), values)));
  return success();
}

LogicalResult onnximport::convertEyeLike(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  if (xt.getRank() != 2)
    return nc.fail("input must have rank 2, got " + str(xt));
  Type elt = xt.getElementType();
  if (const onnx::AttributeProto *dtype = nc.attr("dtype")) {
    if (dtype->type() != onnx::AttributeProto::INT)
      return nc.fail("attribute 'dtype' must be an int");
    elt = convertElementType(nc.getContext(), dtype->i());
    if (!elt)
      return nc.fail("dtype " + elementTypeName(dtype->i()) +
                     " is not supported (supported: FLOAT, DOUBLE, INT64, "
                     "BOOL)");
  }
  TRY(k, nc.attrInt("k", 0));
  int64_t rows = xt.getDimSize(0), cols = xt.getDimSize(1);
  SmallVector<double> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      values.push_back(j - i == k ? 1.0 : 0.0);
  auto type = RankedTensorType::get({rows, cols}, elt);
  if (elt.isInteger(1)) {
    SmallVector<bool> bits(
        llvm::map_range(values, [](double v) { return v != 0; }));
    nc.setOutput(0, nc.constant(DenseElementsAttr::get(type, ArrayRef(bits))));
    return success();
  }
  nc.setOutput(0, nc.constant(elements(type, values)));
  return success();
}
