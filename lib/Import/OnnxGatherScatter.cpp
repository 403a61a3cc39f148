//===- OnnxGatherScatter.cpp - Element gathers and scatters ---------------===//
//
// GatherElements and GatherND compute linear indices into the flattened
// data and are one fg.gather, whose reverse rule scatters back.
// ScatterElements and ScatterND compute the same linear indices of the rows
// they write and combine the data with a one-hot [updates, rows] matrix:
// none replaces the rows hit, add adds (a matmul of the one-hot's transpose
// with the updates), mul multiplies (a pairwise product over the updates).
// The one-hot costs updates x rows: scatters are meant for the index
// bookkeeping networks do, not for gathers of whole tensors.
//
//===----------------------------------------------------------------------===//

#include "Converters.h"
#include "IndexHelpers.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::typeOf;

namespace {

/// The positions in the flattened data that GatherElements reads and
/// ScatterElements writes: each index's own offset on the other axes plus
/// the (wrapped) index times the stride of `axis`.
FailureOr<Value> elementPositions(NodeContext &nc, RankedTensorType dt,
                                  Value indices, int64_t axis) {
  RankedTensorType it = typeOf(indices);
  if (!it.getElementType().isInteger(64))
    return nc.fail("indices must be INT64, got " + str(it));
  if (it.getRank() != dt.getRank())
    return nc.fail("indices " + str(it) + " and data " + str(dt) +
                   " must have the same rank");
  for (int64_t d = 0; d < dt.getRank(); ++d)
    if (d != axis && it.getDimSize(d) > dt.getDimSize(d))
      return nc.fail("indices " + str(it) + " exceed data " + str(dt) +
                     " along axis " + Twine(d));
  if (failed(checkConstantIndices(nc, indices, dt.getShape(), {axis})))
    return failure();
  SmallVector<int64_t> strides = stridesOf(dt.getShape()), base;
  for (int64_t p = 0, e = it.getNumElements(); p < e; ++p) {
    int64_t rest = p, offset = 0;
    for (int64_t d = it.getRank() - 1; d >= 0; --d) {
      if (d != axis)
        offset += (rest % it.getDimSize(d)) * strides[d];
      rest /= it.getDimSize(d);
    }
    base.push_back(offset);
  }
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  Type i64 = b.getI64Type();
  Value idx = fg::wrapNegative(b, loc, indices,
                               fg::scalar(b, loc, i64, dt.getDimSize(axis)));
  return Value(fg::AddOp::create(
      b, loc,
      fg::MulOp::create(b, loc, idx, fg::scalar(b, loc, i64, strides[axis])),
      nc.constant(DenseElementsAttr::get(it, ArrayRef(base)))));
}

/// The rows of data viewed as [batch * points, rest..] that the index
/// tuples (the last axis of `indices`) of GatherND/ScatterND name, shaped
/// as indices without that axis.
FailureOr<Value> tupleRows(NodeContext &nc, RankedTensorType dt, Value indices,
                           int64_t batchDims) {
  RankedTensorType it = typeOf(indices);
  if (!it.getElementType().isInteger(64))
    return nc.fail("indices must be INT64, got " + str(it));
  int64_t r = dt.getRank(), q = it.getRank();
  if (q < 1 || batchDims < 0 || (batchDims > 0 && batchDims >= std::min(r, q)))
    return nc.fail("attribute 'batch_dims' (" + Twine(batchDims) +
                   ") must be below the ranks of data and indices");
  int64_t k = it.getDimSize(q - 1);
  if (k < 1 || batchDims + k > r)
    return nc.fail("indices' last dimension (" + Twine(k) + ") must be in 1.." +
                   Twine(r - batchDims));
  ArrayRef<int64_t> ds = dt.getShape(), is = it.getShape();
  int64_t batch = 1, points = 1, rows = 1;
  for (int64_t d = 0; d < batchDims; ++d) {
    if (ds[d] != is[d])
      return nc.fail("batch dimension " + Twine(d) + " differs: data " +
                     str(dt) + ", indices " + str(it));
    batch *= ds[d];
  }
  for (int64_t d = batchDims; d < batchDims + k; ++d)
    points *= ds[d];
  for (int64_t d = batchDims; d < q - 1; ++d)
    rows *= is[d];
  SmallVector<int64_t> dims(ds.slice(batchDims, k));
  if (failed(checkConstantIndices(
          nc, indices, ds,
          llvm::to_vector(llvm::seq(batchDims, batchDims + k)))))
    return failure();
  SmallVector<int64_t> strides = stridesOf(dims), base;
  for (int64_t bi = 0; bi < batch; ++bi)
    base.append(rows, bi * points);
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  auto vec = [&](ArrayRef<int64_t> v) {
    return nc.constant(
        DenseElementsAttr::get(RankedTensorType::get({k}, b.getI64Type()), v));
  };
  Value idx = fg::wrapNegative(b, loc, indices, vec(dims));
  Value linear = fg::reduceSum(
      b, loc, fg::MulOp::create(b, loc, idx, vec(strides)), {q - 1}, false);
  return Value(fg::AddOp::create(
      b, loc, linear,
      nc.constant(DenseElementsAttr::get(
          RankedTensorType::get(is.drop_back(), b.getI64Type()),
          ArrayRef(base)))));
}

/// `data` ([M, R]) with rows `rows` ([U]) combined with `updates` ([U, R])
/// by `reduction`.
FailureOr<Value> scatterRows(NodeContext &nc, Value data, Value rows,
                             Value updates, StringRef reduction) {
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  Type elt = fg::eltOf(data);
  int64_t m = fg::shapeOf(data)[0], r = fg::shapeOf(data)[1],
          u = fg::shapeOf(updates)[0];
  Value hit = fg::CompareOp::create(b, loc, fg::reshape(b, loc, rows, {u, 1}),
                                    iota(nc, m, 1, 2), b.getStringAttr("eq"));
  Value hot = fg::CastOp::create(b, loc, fg::typeOf(hit).clone(elt), hit);
  if (reduction == "mul") {
    // prod_u (1 + hot[u, m] (updates[u] - 1)), pairwise over u.
    Value one = fg::scalar(b, loc, elt, 1.0);
    Value factors = fg::AddOp::create(
        b, loc, one,
        fg::MulOp::create(b, loc, fg::reshape(b, loc, hot, {u, m, 1}),
                          fg::reshape(b, loc,
                                      fg::SubOp::create(b, loc, updates, one),
                                      {u, 1, r})));
    return Value(fg::MulOp::create(b, loc, data,
                                   productOverAxis(b, loc, factors, 0, false)));
  }
  Value scattered;
  if (isa<FloatType>(elt))
    scattered =
        fg::MatMulOp::create(b, loc, fg::transposeLast(b, loc, hot), updates);
  else
    scattered = fg::reduceSum(
        b, loc,
        fg::MulOp::create(b, loc, fg::reshape(b, loc, hot, {u, m, 1}),
                          fg::reshape(b, loc, updates, {u, 1, r})),
        {0}, false);
  if (reduction == "add")
    return Value(fg::AddOp::create(b, loc, data, scattered));
  // none: the rows hit take the updates (ONNX leaves duplicates undefined).
  Value any = fg::reshape(b, loc,
                          fg::ReduceMaxOp::create(b, loc, hot,
                                                  b.getDenseI64ArrayAttr({0}),
                                                  b.getBoolAttr(false)),
                          {m, 1});
  Value kept = fg::MulOp::create(
      b, loc, data,
      fg::SubOp::create(b, loc, fg::scalar(b, loc, elt, 1.0), any));
  return Value(fg::AddOp::create(b, loc, kept, scattered));
}

FailureOr<std::string> readReduction(NodeContext &nc) {
  TRY(reduction, nc.attrString("reduction", "none"));
  if (reduction != "none" && reduction != "add" && reduction != "mul")
    return nc.fail("attribute 'reduction' is '" + reduction +
                   "'; supported: none, add, mul");
  return reduction;
}

} // namespace

LogicalResult onnximport::convertGatherElements(NodeContext &nc) {
  TRY(data, nc.input(0));
  TRY(indices, nc.input(1));
  RankedTensorType dt = typeOf(data);
  TRY(axisAttr, nc.attrInt("axis", 0));
  TRY(axis, nc.normalizeAxis(axisAttr, dt.getRank()));
  TRY(positions, elementPositions(nc, dt, indices, axis));
  Value flat = fg::reshape(nc.b, nc.getLoc(), data, {dt.getNumElements()});
  return setResult(
      nc, nc.create<fg::GatherOp>({flat, positions}, {nc.namedI64("axis", 0)}));
}

LogicalResult onnximport::convertGatherND(NodeContext &nc) {
  TRY(data, nc.input(0));
  TRY(indices, nc.input(1));
  RankedTensorType dt = typeOf(data);
  TRY(batchDims, nc.attrInt("batch_dims", 0));
  TRY(rows, tupleRows(nc, dt, indices, batchDims));
  // Data as [batch * points, rest..]; each index tuple picks one row.
  int64_t k = fg::shapeOf(indices).back();
  SmallVector<int64_t> flatShape = {1};
  for (int64_t d = 0; d < batchDims + k; ++d)
    flatShape[0] *= dt.getDimSize(d);
  flatShape.append(dt.getShape().begin() + batchDims + k, dt.getShape().end());
  Value flat = fg::reshape(nc.b, nc.getLoc(), data, flatShape);
  return setResult(
      nc, nc.create<fg::GatherOp>({flat, rows}, {nc.namedI64("axis", 0)}));
}

LogicalResult onnximport::convertScatterElements(NodeContext &nc) {
  TRY(data, nc.input(0));
  TRY(indices, nc.input(1));
  TRY(updates, nc.input(2));
  RankedTensorType dt = typeOf(data);
  if (typeOf(updates).getShape() != typeOf(indices).getShape() ||
      fg::eltOf(updates) != dt.getElementType())
    return nc.fail("updates " + str(typeOf(updates)) +
                   " must have the indices' shape and the data's type");
  TRY(axisAttr, nc.attrInt("axis", 0));
  TRY(axis, nc.normalizeAxis(axisAttr, dt.getRank()));
  TRY(reduction, readReduction(nc));
  TRY(positions, elementPositions(nc, dt, indices, axis));
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  int64_t n = dt.getNumElements(), u = typeOf(indices).getNumElements();
  TRY(r, scatterRows(nc, fg::reshape(b, loc, data, {n, 1}),
                     fg::reshape(b, loc, positions, {u}),
                     fg::reshape(b, loc, updates, {u, 1}), reduction));
  return setResult(nc, fg::reshape(b, loc, r, dt.getShape()));
}

LogicalResult onnximport::convertScatterND(NodeContext &nc) {
  TRY(data, nc.input(0));
  TRY(indices, nc.input(1));
  TRY(updates, nc.input(2));
  RankedTensorType dt = typeOf(data);
  TRY(reduction, readReduction(nc));
  TRY(rows, tupleRows(nc, dt, indices, 0));
  int64_t k = fg::shapeOf(indices).back(), m = 1, u = 1;
  for (int64_t d = 0; d < k; ++d)
    m *= dt.getDimSize(d);
  SmallVector<int64_t> want(fg::shapeOf(rows));
  for (int64_t d : fg::shapeOf(rows))
    u *= d;
  want.append(dt.getShape().begin() + k, dt.getShape().end());
  if (typeOf(updates).getShape() != ArrayRef<int64_t>(want) ||
      fg::eltOf(updates) != dt.getElementType())
    return nc.fail("updates " + str(typeOf(updates)) +
                   " must be indices.shape[:-1] + data.shape[k:] of the "
                   "data's type");
  OpBuilder &b = nc.b;
  Location loc = nc.getLoc();
  int64_t rest = dt.getNumElements() / m;
  TRY(r, scatterRows(nc, fg::reshape(b, loc, data, {m, rest}),
                     fg::reshape(b, loc, rows, {u}),
                     fg::reshape(b, loc, updates, {u, rest}), reduction));
  return setResult(nc, fg::reshape(b, loc, r, dt.getShape()));
}
