//===- FGFolders.cpp - fg dialect folders ---------------------------------===//
//
// Folding evaluates the shape arithmetic that exporters emit (Shape, Gather,
// Concat, Reshape, Cast and elementwise i64 math) so that shapes become
// constants at import time, and removes no-op data movement. Constant
// operands are folded only up to kMaxFoldElements elements: folding is for
// shape-sized tensors, not for precomputing layers of a network.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>

using namespace mlir;
using namespace fgc::fg;

static constexpr int64_t kMaxFoldElements = 1 << 16;

/// The constant operand as a dense attribute small enough to fold, or null.
static DenseElementsAttr smallConstant(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxFoldElements)
    return nullptr;
  return dense;
}

/// Row-major strides of a shape.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Multi-index of a linear index.
static SmallVector<int64_t> delinearize(int64_t index,
                                        ArrayRef<int64_t> shape) {
  SmallVector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = shape[d] ? index % shape[d] : 0;
    index = shape[d] ? index / shape[d] : 0;
  }
  return idx;
}

/// Linear index into `shape` of the broadcast multi-index `idx` (which may
/// have more leading dimensions).
static int64_t broadcastIndex(ArrayRef<int64_t> idx, ArrayRef<int64_t> shape) {
  int64_t offset = idx.size() - shape.size(), linear = 0;
  SmallVector<int64_t> strides = stridesOf(shape);
  for (size_t d = 0; d < shape.size(); ++d)
    linear += (shape[d] == 1 ? 0 : idx[offset + d]) * strides[d];
  return linear;
}

//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto type = cast<RankedTensorType>(getType());
  return DenseElementsAttr::get(type,
                                ArrayRef(getInput().getType().getShape()));
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  auto c = smallConstant(adaptor.getInput());
  if (!c)
    return {};
  SmallVector<Attribute> values;
  for (Attribute a : c.getValues<Attribute>()) {
    if (auto i = dyn_cast<IntegerAttr>(a))
      values.push_back(IntegerAttr::get(i.getType(), -i.getValue()));
    else {
      auto f = cast<FloatAttr>(a);
      values.push_back(FloatAttr::get(f.getType(), -f.getValue()));
    }
  }
  return DenseElementsAttr::get(c.getType(), values);
}

/// Folds an elementwise binary op over two constants with broadcasting.
/// `intFn`/`floatFn` return std::nullopt to refuse (e.g. division by zero).
template <typename IntFn, typename FloatFn>
static OpFoldResult foldBinary(Attribute lhsAttr, Attribute rhsAttr,
                               Type resultType, IntFn intFn, FloatFn floatFn) {
  auto lhs = smallConstant(lhsAttr), rhs = smallConstant(rhsAttr);
  auto type = dyn_cast<RankedTensorType>(resultType);
  if (!lhs || !rhs || !type || type.getNumElements() > kMaxFoldElements)
    return {};
  auto l = llvm::to_vector(lhs.getValues<Attribute>());
  auto r = llvm::to_vector(rhs.getValues<Attribute>());
  SmallVector<Attribute> out;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    SmallVector<int64_t> idx = delinearize(i, type.getShape());
    Attribute a = l[broadcastIndex(idx, lhs.getType().getShape())];
    Attribute b = r[broadcastIndex(idx, rhs.getType().getShape())];
    if (auto ia = dyn_cast<IntegerAttr>(a)) {
      std::optional<APInt> v =
          intFn(ia.getValue(), cast<IntegerAttr>(b).getValue());
      if (!v)
        return {};
      out.push_back(IntegerAttr::get(ia.getType(), *v));
    } else {
      auto fa = cast<FloatAttr>(a);
      std::optional<APFloat> v =
          floatFn(fa.getValue(), cast<FloatAttr>(b).getValue());
      if (!v)
        return {};
      out.push_back(FloatAttr::get(fa.getType(), *v));
    }
  }
  return DenseElementsAttr::get(type, out);
}

using OptInt = std::optional<APInt>;
using OptFloat = std::optional<APFloat>;

OpFoldResult AddOp::fold(FoldAdaptor a) {
  return foldBinary(
      a.getLhs(), a.getRhs(), getType(),
      [](const APInt &x, const APInt &y) -> OptInt { return x + y; },
      [](const APFloat &x, const APFloat &y) -> OptFloat { return x + y; });
}

OpFoldResult SubOp::fold(FoldAdaptor a) {
  return foldBinary(
      a.getLhs(), a.getRhs(), getType(),
      [](const APInt &x, const APInt &y) -> OptInt { return x - y; },
      [](const APFloat &x, const APFloat &y) -> OptFloat { return x - y; });
}

OpFoldResult MulOp::fold(FoldAdaptor a) {
  return foldBinary(
      a.getLhs(), a.getRhs(), getType(),
      [](const APInt &x, const APInt &y) -> OptInt { return x * y; },
      [](const APFloat &x, const APFloat &y) -> OptFloat { return x * y; });
}

OpFoldResult DivOp::fold(FoldAdaptor a) {
  return foldBinary(
      a.getLhs(), a.getRhs(), getType(),
      [](const APInt &x, const APInt &y) -> OptInt {
        if (y.isZero() || (x.isMinSignedValue() && y.isAllOnes()))
          return std::nullopt;
        return x.sdiv(y);
      },
      [](const APFloat &x, const APFloat &y) -> OptFloat { return x / y; });
}

OpFoldResult PowOp::fold(FoldAdaptor a) {
  return foldBinary(
      a.getLhs(), a.getRhs(), getType(),
      [](const APInt &, const APInt &) -> OptInt { return std::nullopt; },
      [](const APFloat &x, const APFloat &y) -> OptFloat {
        APFloat r(std::pow(x.convertToDouble(), y.convertToDouble()));
        bool lost;
        r.convert(x.getSemantics(), APFloat::rmNearestTiesToEven, &lost);
        return r;
      });
}

OpFoldResult MaxOp::fold(FoldAdaptor a) {
  return foldBinary(
      a.getLhs(), a.getRhs(), getType(),
      // On i1 (bool) the order is unsigned: max is the logical or.
      [](const APInt &x, const APInt &y) -> OptInt {
        bool ge = x.getBitWidth() == 1 ? x.uge(y) : x.sge(y);
        return ge ? x : y;
      },
      [](const APFloat &x, const APFloat &y) -> OptFloat {
        return llvm::maximum(x, y);
      });
}

OpFoldResult MinOp::fold(FoldAdaptor a) {
  return foldBinary(
      a.getLhs(), a.getRhs(), getType(),
      [](const APInt &x, const APInt &y) -> OptInt {
        bool le = x.getBitWidth() == 1 ? x.ule(y) : x.sle(y);
        return le ? x : y;
      },
      [](const APFloat &x, const APFloat &y) -> OptFloat {
        return llvm::minimum(x, y);
      });
}

OpFoldResult CompareOp::fold(FoldAdaptor a) {
  StringRef p = getPredicate();
  auto holds = [&](int order, bool unordered) {
    if (unordered)
      return p == "ne";
    return p == "eq"   ? order == 0
           : p == "ne" ? order != 0
           : p == "lt" ? order < 0
           : p == "le" ? order <= 0
           : p == "gt" ? order > 0
                       : order >= 0;
  };
  return foldBinary(
      a.getLhs(), a.getRhs(), getType(),
      [&](const APInt &x, const APInt &y) -> OptInt {
        bool u = x.getBitWidth() == 1;
        int order = (u ? x.ult(y) : x.slt(y)) ? -1 : x == y ? 0 : 1;
        return APInt(x.getBitWidth(), holds(order, false));
      },
      [&](const APFloat &x, const APFloat &y) -> OptFloat {
        APFloat::cmpResult c = x.compare(y);
        bool unordered = c == APFloat::cmpUnordered;
        int order = c == APFloat::cmpLessThan ? -1
                    : c == APFloat::cmpEqual  ? 0
                                              : 1;
        return APFloat(x.getSemantics(), holds(order, unordered) ? 1 : 0);
      });
}

OpFoldResult SelectOp::fold(FoldAdaptor a) {
  auto type = cast<RankedTensorType>(getType());
  auto cond = smallConstant(a.getCond());
  if (!cond)
    return {};
  // A uniform condition selects one operand whole.
  if (cond.isSplat()) {
    Value chosen = cond.getSplatValue<bool>() ? getLhs() : getRhs();
    if (chosen.getType() == type)
      return chosen;
  }
  auto lhs = smallConstant(a.getLhs()), rhs = smallConstant(a.getRhs());
  if (!lhs || !rhs || type.getNumElements() > kMaxFoldElements)
    return {};
  auto c = llvm::to_vector(cond.getValues<bool>());
  auto l = llvm::to_vector(lhs.getValues<Attribute>());
  auto r = llvm::to_vector(rhs.getValues<Attribute>());
  SmallVector<Attribute> out;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    SmallVector<int64_t> idx = delinearize(i, type.getShape());
    bool take = c[broadcastIndex(idx, cond.getType().getShape())];
    out.push_back(take ? l[broadcastIndex(idx, lhs.getType().getShape())]
                       : r[broadcastIndex(idx, rhs.getType().getShape())]);
  }
  return DenseElementsAttr::get(type, out);
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto c = smallConstant(adaptor.getInput());
  if (!c)
    return {};
  auto type = cast<RankedTensorType>(getType());
  Type to = type.getElementType();
  SmallVector<Attribute> out;
  for (Attribute a : c.getValues<Attribute>()) {
    if (to.isInteger(1)) {
      bool nonzero = isa<IntegerAttr>(a)
                         ? !cast<IntegerAttr>(a).getValue().isZero()
                         : !cast<FloatAttr>(a).getValue().isZero();
      out.push_back(IntegerAttr::get(to, nonzero));
      continue;
    }
    if (auto i = dyn_cast<IntegerAttr>(a)) {
      // i1 is unsigned (true is 1); i64 signed.
      int64_t n = i.getType().isInteger(1)
                      ? int64_t(i.getValue().getZExtValue())
                      : i.getValue().getSExtValue();
      out.push_back(to.isInteger(64) ? Attribute(IntegerAttr::get(to, n))
                                     : FloatAttr::get(to, double(n)));
      continue;
    }
    double v = cast<FloatAttr>(a).getValueAsDouble();
    if (to.isInteger(64)) {
      if (!std::isfinite(v) || std::fabs(v) >= 9.2e18)
        return {};
      out.push_back(IntegerAttr::get(to, static_cast<int64_t>(v)));
    } else {
      out.push_back(FloatAttr::get(to, v));
    }
  }
  return DenseElementsAttr::get(type, out);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto c = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return c.reshape(cast<ShapedType>(getType()));
  // reshape(reshape(x)) -> reshape(x), in place.
  if (auto prev = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(prev.getInput());
    return getResult();
  }
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (identity)
    return getInput();
  // transpose(transpose(x, p), q) -> transpose(x, p o q), in place.
  if (auto prev = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t q : perm)
      composed.push_back(prev.getPerm()[q]);
    setPerm(composed);
    getInputMutable().assign(prev.getInput());
    return getResult();
  }
  auto c = smallConstant(adaptor.getInput());
  if (!c)
    return {};
  auto type = cast<RankedTensorType>(getType());
  auto values = llvm::to_vector(c.getValues<Attribute>());
  SmallVector<int64_t> inStrides = stridesOf(c.getType().getShape());
  SmallVector<Attribute> out;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    SmallVector<int64_t> idx = delinearize(i, type.getShape());
    int64_t linear = 0;
    for (size_t d = 0; d < perm.size(); ++d)
      linear += idx[d] * inStrides[perm[d]];
    out.push_back(values[linear]);
  }
  return DenseElementsAttr::get(type, out);
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return getInputs().front();
  auto type = cast<RankedTensorType>(getType());
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  SmallVector<DenseElementsAttr> parts;
  for (Attribute a : adaptor.getInputs()) {
    auto c = smallConstant(a);
    if (!c)
      return {};
    parts.push_back(c);
  }
  int64_t axis = getAxis();
  SmallVector<Attribute> out;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    SmallVector<int64_t> idx = delinearize(i, type.getShape());
    for (DenseElementsAttr part : parts) {
      ArrayRef<int64_t> shape = part.getType().getShape();
      if (idx[axis] >= shape[axis]) {
        idx[axis] -= shape[axis];
        continue;
      }
      int64_t linear = 0;
      SmallVector<int64_t> strides = stridesOf(shape);
      for (size_t d = 0; d < shape.size(); ++d)
        linear += idx[d] * strides[d];
      out.push_back(part.getValues<Attribute>()[linear]);
      break;
    }
  }
  return DenseElementsAttr::get(type, out);
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getStarts(), [](int64_t s) { return s == 0; }) &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  auto c = smallConstant(adaptor.getInput());
  if (!c)
    return {};
  auto type = cast<RankedTensorType>(getType());
  SmallVector<int64_t> strides = stridesOf(c.getType().getShape());
  auto values = llvm::to_vector(c.getValues<Attribute>());
  SmallVector<Attribute> out;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    SmallVector<int64_t> idx = delinearize(i, type.getShape());
    int64_t linear = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      linear += (getStarts()[d] + idx[d] * getSteps()[d]) * strides[d];
    out.push_back(values[linear]);
  }
  return DenseElementsAttr::get(type, out);
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto data = smallConstant(adaptor.getInput());
  auto indices = smallConstant(adaptor.getIndices());
  if (!data || !indices)
    return {};
  auto type = cast<RankedTensorType>(getType());
  ArrayRef<int64_t> shape = data.getType().getShape();
  int64_t axis = getAxis(), axisSize = shape[axis];
  int64_t idxRank = indices.getType().getRank();
  SmallVector<int64_t> strides = stridesOf(shape);
  auto values = llvm::to_vector(data.getValues<Attribute>());
  auto idxValues = llvm::to_vector(indices.getValues<int64_t>());
  SmallVector<int64_t> idxStrides = stridesOf(indices.getType().getShape());
  SmallVector<Attribute> out;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    SmallVector<int64_t> idx = delinearize(i, type.getShape());
    int64_t flat = 0;
    for (int64_t d = 0; d < idxRank; ++d)
      flat += idx[axis + d] * idxStrides[d];
    int64_t at = idxValues[flat];
    if (at < 0)
      at += axisSize;
    if (at < 0 || at >= axisSize)
      return {};
    int64_t linear = 0;
    for (int64_t d = 0; d < axis; ++d)
      linear += idx[d] * strides[d];
    linear += at * strides[axis];
    for (int64_t d = axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
      linear += idx[d + idxRank - 1] * strides[d];
    out.push_back(values[linear]);
  }
  return DenseElementsAttr::get(type, out);
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}
