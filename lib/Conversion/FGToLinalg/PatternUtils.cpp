//===- PatternUtils.cpp - Helpers of the fg to linalg patterns ------------===//

#include "PatternUtils.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"

#include <limits>

using namespace mlir;

namespace fgc::lowering {

TypedAttr scalarAttr(Type type, double value) {
  if (isa<FloatType>(type))
    return FloatAttr::get(type, value);
  return IntegerAttr::get(type, static_cast<int64_t>(value));
}

TypedAttr lowestAttr(Type type) {
  if (auto ft = dyn_cast<FloatType>(type))
    return FloatAttr::get(
        type, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true));
  return IntegerAttr::get(type, std::numeric_limits<int64_t>::min());
}

Value scalar(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, scalarAttr(type, value));
}

Value empty(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elt) {
  return tensor::EmptyOp::create(b, loc, shape, elt);
}

Value filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
             TypedAttr value) {
  Value init = empty(b, loc, shape, value.getType());
  Value v = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, ValueRange{v}, ValueRange{init})
      .getResult(0);
}

AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape) {
  unsigned offset = resultShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, d] : llvm::enumerate(operandShape)) {
    if (d == 1 && resultShape[offset + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, ctx);
}

Value elementwise(OpBuilder &b, Location loc, ArrayRef<int64_t> resultShape,
                  Type resultElt, ValueRange inputs, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(ctx, tensorType(in).getShape(), resultShape));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultShape.size(), ctx));
  SmallVector<utils::IteratorType> iterators(resultShape.size(),
                                             utils::IteratorType::parallel);
  Value init = empty(b, loc, resultShape, resultElt);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

ReductionSpace reductionSpace(MLIRContext *ctx, ArrayRef<int64_t> shape,
                              ArrayRef<int64_t> axes) {
  ReductionSpace space;
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0, e = shape.size(); d < e; ++d) {
    if (llvm::is_contained(axes, d)) {
      space.iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    space.iterators.push_back(utils::IteratorType::parallel);
    space.outputShape.push_back(shape[d]);
    outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  space.outputMap = AffineMap::get(shape.size(), 0, outExprs, ctx);
  return space;
}

Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
             TypedAttr init, CombineFn combine, bool wide) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> shape = tensorType(input).getShape();
  Type elt = tensorType(input).getElementType();
  Type accType = wide && elt.isF32() ? Type(b.getF64Type()) : elt;
  if (accType != elt)
    init = FloatAttr::get(accType, cast<FloatAttr>(init).getValueAsDouble());
  ReductionSpace space = reductionSpace(ctx, shape, axes);
  ArrayRef<int64_t> outShape = space.outputShape;
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(shape.size(), ctx), space.outputMap};
  Value acc = filled(b, loc, outShape, init);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{input}, ValueRange{acc},
      maps, space.iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = args[0];
        if (accType != elt)
          x = arith::ExtFOp::create(nb, nloc, accType, x);
        Value combined = combine(nb, nloc, args[1], x);
        // The order of a float reduction is free (the sums accumulate in
        // f64): `reassoc` lets LLVM keep several partial results in vector
        // lanes instead of one scalar chain.
        if (auto fm = combined.getDefiningOp<arith::ArithFastMathInterface>())
          fm->setAttr(fm.getFastMathAttrName(),
                      arith::FastMathFlagsAttr::get(
                          nb.getContext(), arith::FastMathFlags::reassoc));
        linalg::YieldOp::create(nb, nloc, combined);
      });
  Value result = generic.getResult(0);
  if (accType == elt)
    return result;
  return elementwise(b, loc, outShape, elt, result,
                     [&](OpBuilder &nb, Location nloc, ValueRange args) {
                       return arith::TruncFOp::create(nb, nloc, elt, args[0]);
                     });
}

int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

SmallVector<int64_t> keptShape(ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> axes) {
  SmallVector<int64_t> kept(shape);
  for (int64_t a : axes)
    kept[a] = 1;
  return kept;
}

Value reshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  RankedTensorType type = tensorType(v);
  if (type.getShape() == shape)
    return v;
  auto target = RankedTensorType::get(shape, type.getElementType());
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, target, v,
                                         ArrayRef<ReassociationIndices>{});
  if (target.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, target, v,
                                           ArrayRef<ReassociationIndices>{});
  if (auto re = getReassociationIndicesForCollapse(type.getShape(), shape))
    return tensor::CollapseShapeOp::create(b, loc, target, v, *re);
  if (auto re = getReassociationIndicesForCollapse(shape, type.getShape()))
    return tensor::ExpandShapeOp::create(b, loc, target, v, *re);
  // General case: through a 1-D tensor.
  auto flatType =
      RankedTensorType::get({type.getNumElements()}, type.getElementType());
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  Value flat = v;
  if (type.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, v,
                                           ArrayRef<ReassociationIndices>{all});
  if (target.getRank() == 1)
    return flat;
  ReassociationIndices out;
  for (int64_t d = 0; d < target.getRank(); ++d)
    out.push_back(d);
  return tensor::ExpandShapeOp::create(b, loc, target, flat,
                                       ArrayRef<ReassociationIndices>{out});
}

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value sub(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::SubFOp::create(b, loc, x, y);
  return arith::SubIOp::create(b, loc, x, y);
}

Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

Value div(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::DivFOp::create(b, loc, x, y);
  return arith::DivSIOp::create(b, loc, x, y);
}

Value max(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

Value broadcastTo(OpBuilder &b, Location loc, Value v,
                  ArrayRef<int64_t> shape) {
  RankedTensorType type = tensorType(v);
  if (type.getShape() == shape)
    return v;
  return elementwise(
      b, loc, shape, type.getElementType(), v,
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
}

/// Pads the spatial dimensions (2..) of an [N, C, D...] tensor.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> low,
                 ArrayRef<int64_t> high, TypedAttr value) {
  if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(high, [](int64_t p) { return p == 0; }))
    return x;
  RankedTensorType t = tensorType(x);
  SmallVector<int64_t> lo = {0, 0}, hi = {0, 0}, shape;
  llvm::append_range(lo, low);
  llvm::append_range(hi, high);
  for (int64_t d = 0; d < t.getRank(); ++d)
    shape.push_back(t.getDimSize(d) + lo[d] + hi[d]);
  auto type = RankedTensorType::get(shape, t.getElementType());
  Value pad = arith::ConstantOp::create(b, loc, value);
  auto folded = [&](ArrayRef<int64_t> v) {
    return llvm::to_vector(llvm::map_range(
        v, [&](int64_t p) -> OpFoldResult { return b.getIndexAttr(p); }));
  };
  return tensor::PadOp::create(b, loc, type, x, folded(lo), folded(hi), pad);
}

Value matmul(OpBuilder &b, Location loc, Value a, Value bm) {
  RankedTensorType at = tensorType(a), bt = tensorType(bm);
  Value init = filled(b, loc, {at.getDimSize(0), bt.getDimSize(1)},
                      scalarAttr(at.getElementType(), 0.0));
  return linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                                  ValueRange{a, bm}, ValueRange{init})
      .getResult(0);
}

Value batchMatmul(OpBuilder &b, Location loc, Value a, Value bm) {
  RankedTensorType at = tensorType(a), bt = tensorType(bm);
  bool shared = at.getRank() == 2;
  Value init = filled(
      b, loc,
      {bt.getDimSize(0), at.getDimSize(shared ? 0 : 1), bt.getDimSize(2)},
      scalarAttr(at.getElementType(), 0.0));
  auto op = linalg::BatchMatmulOp::create(b, loc, TypeRange{init.getType()},
                                          ValueRange{a, bm}, ValueRange{init});
  if (shared) {
    // (batch, m, n, k) -> (m, k) for A; B and C keep the default maps.
    MLIRContext *ctx = b.getContext();
    SmallVector<AffineMap> maps =
        linalg::BatchMatmulOp::getDefaultIndexingMaps(ctx);
    maps[0] = AffineMap::get(
        4, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(3, ctx)}, ctx);
    op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
  }
  return op.getResult(0);
}

} // namespace fgc::lowering
