//===- JvpBuilder.cpp - What a JVP rule sees ------------------------------===//

#include "fgc/Dialect/FG/IR/JvpBuilder.h"

using namespace mlir;

namespace fgc::fg {

RankedTensorType JvpBuilder::tangentType(Type primal) const {
  auto t = cast<RankedTensorType>(primal);
  if (!batched())
    return t;
  SmallVector<int64_t> shape = {k};
  llvm::append_range(shape, t.getShape());
  return RankedTensorType::get(shape, t.getElementType());
}

Value JvpBuilder::reshape(Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v);
}

Value JvpBuilder::align(Value t, int64_t rank, int64_t targetRank) {
  if (!t || !batched() || rank >= targetRank)
    return t;
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape = {k};
  shape.append(targetRank - rank, 1);
  llvm::append_range(shape, type.getShape().drop_front());
  return reshape(t, shape);
}

Value JvpBuilder::add(Value x, Value y) {
  if (!x)
    return y;
  if (!y)
    return x;
  return AddOp::create(b, loc, x, y);
}

Value JvpBuilder::sub(Value x, Value y) {
  if (!y)
    return x;
  if (!x)
    return neg(y);
  return SubOp::create(b, loc, x, y);
}

Value JvpBuilder::mul(Value x, Value y) {
  if (!x || !y)
    return nullptr;
  return MulOp::create(b, loc, x, y);
}

Value JvpBuilder::div(Value x, Value y) {
  if (!x || !y)
    return nullptr;
  return DivOp::create(b, loc, x, y);
}

Value JvpBuilder::neg(Value x) {
  if (!x)
    return nullptr;
  return NegOp::create(b, loc, x);
}

Value JvpBuilder::scalar(Type elt, double value) {
  auto type = RankedTensorType::get({}, elt);
  Attribute attr = isa<FloatType>(elt)
                       ? Attribute(FloatAttr::get(elt, value))
                       : Attribute(IntegerAttr::get(elt, int64_t(value)));
  return ConstantOp::create(b, loc, DenseElementsAttr::get(type, attr));
}

Value JvpBuilder::zero(Type primal) {
  RankedTensorType type = tangentType(primal);
  return ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type, FloatAttr::get(type.getElementType(), 0)));
}

Value JvpBuilder::foldK(Value t, int64_t into) {
  if (!batched())
    return t;
  ArrayRef<int64_t> shape = cast<RankedTensorType>(t.getType()).getShape();
  // [K, d0, ..., dn] -> move K next to d_into, then merge.
  SmallVector<int64_t> perm;
  for (int64_t d = 1; d <= into; ++d)
    perm.push_back(d);
  perm.push_back(0);
  for (int64_t d = into + 1; d < static_cast<int64_t>(shape.size()); ++d)
    perm.push_back(d);
  Value moved = t;
  if (into > 0)
    moved = TransposeOp::create(b, loc, t, b.getDenseI64ArrayAttr(perm));
  SmallVector<int64_t> merged(shape.drop_front());
  merged[into] *= k;
  return reshape(moved, merged);
}

Value JvpBuilder::unfoldK(Value t, int64_t from) {
  if (!batched())
    return t;
  ArrayRef<int64_t> shape = cast<RankedTensorType>(t.getType()).getShape();
  SmallVector<int64_t> split;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d == from) {
      split.push_back(k);
      split.push_back(shape[d] / k);
    } else {
      split.push_back(shape[d]);
    }
  }
  Value v = reshape(t, split);
  if (from == 0)
    return v;
  // Move K (at position `from`) to the front.
  SmallVector<int64_t> perm = {from};
  for (int64_t d = 0; d < static_cast<int64_t>(split.size()); ++d)
    if (d != from)
      perm.push_back(d);
  return TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr(perm));
}

} // namespace fgc::fg
