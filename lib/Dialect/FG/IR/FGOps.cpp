//===- FGOps.cpp - fg dialect operations: types and verifiers -------------===//
//
// Result-type inference is the single statement of each op's shape rules:
// the verifier compares declared and inferred types, and the importer builds
// ops through the same inference, so ONNX nodes with inconsistent shapes are
// rejected with the same messages the verifier gives.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/IR/FGBuilders.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"

#include <charconv>
#include <cstdlib>

using namespace mlir;
using namespace fgc::fg;

namespace {

/// Emits an error at `loc` when a location is given (inference during
/// verification) and returns failure either way.
template <typename... Args>
LogicalResult emitInferError(std::optional<Location> loc, Args &&...args) {
  if (loc) {
    InFlightDiagnostic diag = mlir::emitError(*loc);
    (diag << ... << std::forward<Args>(args));
  }
  return failure();
}

/// The operand as a static ranked tensor type, or null (the ODS constraint
/// verifier reports such operands; inference just gives up).
RankedTensorType staticTensor(Value v) {
  auto type = v ? dyn_cast<RankedTensorType>(v.getType()) : nullptr;
  return type && type.hasStaticShape() ? type : nullptr;
}

/// Checks the attributes an op's inference reads are present and well typed:
/// inference runs while parsing and importing, before the op verifier.
template <typename AdaptorT>
LogicalResult verifyAdaptor(MLIRContext *ctx, std::optional<Location> loc,
                            AdaptorT &adaptor) {
  return adaptor.verify(loc ? *loc : UnknownLoc::get(ctx));
}

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return s + "]";
}

LogicalResult checkAxis(std::optional<Location> loc, int64_t axis, int64_t rank,
                        StringRef what = "axis") {
  if (axis < 0 || axis >= rank)
    return emitInferError(loc, what, " ", axis, " is out of range for rank ",
                          rank);
  return success();
}

/// Checks `attr` has `count` entries, all >= `min`.
LogicalResult checkArray(std::optional<Location> loc, StringRef name,
                         ArrayRef<int64_t> values, size_t count, int64_t min) {
  if (values.size() != count)
    return emitInferError(loc, "'", name, "' has ", values.size(),
                          " entries, expected ", count);
  for (int64_t v : values)
    if (v < min)
      return emitInferError(loc, "'", name, "' entries must be >= ", min,
                            ", got ", v);
  return success();
}

} // namespace

SmallVector<double>
fgc::fg::avgPoolDivisor(ArrayRef<int64_t> in, ArrayRef<int64_t> out,
                        ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                        ArrayRef<int64_t> pads, bool countIncludePad) {
  int64_t ns = kernel.size();
  // Per-axis tap counts, multiplied into one divisor per position.
  SmallVector<SmallVector<int64_t>> counts(ns);
  for (int64_t i = 0; i < ns; ++i) {
    int64_t lo = countIncludePad ? -pads[i] : 0;
    int64_t hi = countIncludePad ? in[i] + pads[ns + i] : in[i];
    for (int64_t o = 0; o < out[i]; ++o) {
      int64_t c = 0;
      for (int64_t t = 0; t < kernel[i]; ++t) {
        int64_t pos = o * strides[i] + t - pads[i];
        c += pos >= lo && pos < hi;
      }
      counts[i].push_back(std::max<int64_t>(c, 1));
    }
  }
  int64_t total = 1;
  for (int64_t o : out)
    total *= o;
  SmallVector<double> divisor(total, 1.0);
  for (int64_t linear = 0; linear < total; ++linear) {
    int64_t rest = linear;
    for (int64_t i = ns - 1; i >= 0; --i) {
      divisor[linear] *= counts[i][rest % out[i]];
      rest /= out[i];
    }
  }
  return divisor;
}

FailureOr<SmallVector<int64_t>>
fgc::fg::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l != r && l != 1 && r != 1)
      return failure();
    result[i] = l == 1 ? r : l;
  }
  return result;
}

double fgc::fg::shortestDouble(const APFloat &value) {
  if (&value.getSemantics() != &APFloat::IEEEsingle())
    return value.convertToDouble();
  // std::to_chars gives the shortest decimal that round-trips the float.
  char buffer[64];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof(buffer), value.convertToFloat());
  if (ec != std::errc())
    return value.convertToDouble();
  return std::strtod(std::string(buffer, end).c_str(), nullptr);
}

int64_t fgc::fg::slidingWindowOutputSize(int64_t input, int64_t kernel,
                                         int64_t stride, int64_t padBegin,
                                         int64_t padEnd, int64_t dilation,
                                         bool ceilMode) {
  int64_t span = (kernel - 1) * dilation + 1;
  int64_t room = input + padBegin + padEnd - span;
  if (room < 0)
    return -1;
  int64_t out = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1;
  // With ceil_mode the last window must start inside the input or the
  // leading padding (ONNX and PyTorch agree on this rule).
  if (ceilMode && (out - 1) * stride >= input + padBegin)
    --out;
  return out;
}

//===----------------------------------------------------------------------===//
// Parameters and constants
//===----------------------------------------------------------------------===//

LogicalResult ParameterOp::verify() {
  auto type = dyn_cast<RankedTensorType>(getValue().getType());
  if (!type || !type.hasStaticShape())
    return emitOpError("value must be a statically shaped tensor");
  Type elt = type.getElementType();
  if (!elt.isF32() && !elt.isF64() && !elt.isInteger(64))
    return emitOpError("element type must be f32, f64 or i64, got ") << elt;
  return success();
}

LogicalResult ParamOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto param =
      symbolTable.lookupNearestSymbolFrom<ParameterOp>(*this, getNameAttr());
  if (!param)
    return emitOpError("'") << getName() << "' does not name an fg.parameter";
  if (param.getType() != getType())
    return emitOpError("type ")
           << getType() << " does not match parameter type " << param.getType();
  return success();
}

/// `fg.constant dense<...> : tensor<...>`: the type is printed once, with the
/// value, as for arith.constant.
ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  ElementsAttr value;
  if (parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseAttribute(value, "value", result.attributes))
    return failure();
  result.addTypes(value.getType());
  return success();
}

void ConstantOp::print(OpAsmPrinter &printer) {
  printer.printOptionalAttrDict((*this)->getAttrs(), {"value"});
  printer << ' ' << getValue();
}

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type ")
           << getValue().getType() << " does not match result type "
           << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

static LogicalResult inferBroadcast(std::optional<Location> loc, Value lhs,
                                    Value rhs, SmallVectorImpl<Type> &types) {
  auto l = staticTensor(lhs), r = staticTensor(rhs);
  if (!l || !r)
    return failure();
  auto shape = broadcastShapes(l.getShape(), r.getShape());
  if (failed(shape))
    return emitInferError(loc, "operand shapes ", shapeStr(l.getShape()),
                          " and ", shapeStr(r.getShape()),
                          " are not broadcast-compatible");
  types.push_back(RankedTensorType::get(*shape, l.getElementType()));
  return success();
}

#define FG_BINARY_INFER(OP)                                                    \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,          \
      SmallVectorImpl<Type> &types) {                                          \
    if (failed(verifyAdaptor(ctx, loc, adaptor)))                              \
      return failure();                                                        \
    return inferBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(), types);     \
  }
FG_BINARY_INFER(AddOp)
FG_BINARY_INFER(SubOp)
FG_BINARY_INFER(MulOp)
FG_BINARY_INFER(DivOp)
FG_BINARY_INFER(PowOp)
FG_BINARY_INFER(MaxOp)
FG_BINARY_INFER(MinOp)
#undef FG_BINARY_INFER

//===----------------------------------------------------------------------===//
// Linear algebra and convolution
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto l = staticTensor(adaptor.getLhs()), r = staticTensor(adaptor.getRhs());
  if (!l || !r)
    return failure();
  if (l.getRank() == 0 || r.getRank() == 0)
    return emitInferError(loc, "operands must have rank >= 1");
  SmallVector<int64_t> a(l.getShape()), b(r.getShape());
  bool vecL = a.size() == 1, vecR = b.size() == 1;
  if (vecL)
    a.insert(a.begin(), 1);
  if (vecR)
    b.push_back(1);
  int64_t m = a[a.size() - 2], k = a.back(), k2 = b[b.size() - 2], n = b.back();
  if (k != k2)
    return emitInferError(loc, "contracting dimensions differ: lhs ",
                          shapeStr(l.getShape()), " and rhs ",
                          shapeStr(r.getShape()));
  auto batch =
      broadcastShapes(ArrayRef(a).drop_back(2), ArrayRef(b).drop_back(2));
  if (failed(batch))
    return emitInferError(loc, "batch dimensions of ", shapeStr(l.getShape()),
                          " and ", shapeStr(r.getShape()),
                          " are not broadcast-compatible");
  SmallVector<int64_t> shape(*batch);
  if (!vecL)
    shape.push_back(m);
  if (!vecR)
    shape.push_back(n);
  types.push_back(RankedTensorType::get(shape, l.getElementType()));
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto a = staticTensor(adaptor.getA()), b = staticTensor(adaptor.getB());
  if (!a || !b)
    return failure();
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitInferError(loc, "A and B must be matrices, got ",
                          shapeStr(a.getShape()), " and ",
                          shapeStr(b.getShape()));
  bool ta = adaptor.getTransA(), tb = adaptor.getTransB();
  int64_t m = a.getDimSize(ta ? 1 : 0), k = a.getDimSize(ta ? 0 : 1);
  int64_t k2 = b.getDimSize(tb ? 1 : 0), n = b.getDimSize(tb ? 0 : 1);
  if (k != k2)
    return emitInferError(loc, "inner dimensions differ: op(A) is ", m, "x", k,
                          ", op(B) is ", k2, "x", n);
  if (Value c = adaptor.getC()) {
    auto ct = staticTensor(c);
    if (!ct)
      return failure();
    auto shape = broadcastShapes(ct.getShape(), {m, n});
    if (ct.getRank() > 2 || failed(shape) || (*shape)[0] != m ||
        (*shape)[1] != n)
      return emitInferError(loc, "C of shape ", shapeStr(ct.getShape()),
                            " is not broadcastable to [", m, "x", n, "]");
    if (ct.getElementType() != a.getElementType())
      return emitInferError(loc, "C element type differs from A");
  }
  types.push_back(RankedTensorType::get({m, n}, a.getElementType()));
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput()),
       w = staticTensor(adaptor.getWeight());
  if (!x || !w)
    return failure();
  int64_t rank = x.getRank();
  if (rank < 3 || rank > 5)
    return emitInferError(loc,
                          "input must be [N, C, D1..Dn] with n in 1..3, "
                          "got ",
                          shapeStr(x.getShape()));
  if (w.getRank() != rank)
    return emitInferError(loc, "weight rank ", w.getRank(),
                          " differs from input rank ", rank);
  size_t n = rank - 2;
  int64_t group = adaptor.getGroup();
  if (failed(checkArray(loc, "strides", adaptor.getStrides(), n, 1)) ||
      failed(checkArray(loc, "dilations", adaptor.getDilations(), n, 1)) ||
      failed(checkArray(loc, "pads", adaptor.getPads(), 2 * n, 0)))
    return failure();
  if (group < 1)
    return emitInferError(loc, "group must be >= 1, got ", group);
  int64_t c = x.getDimSize(1), m = w.getDimSize(0);
  if (c % group != 0 || m % group != 0)
    return emitInferError(loc, "channels ", c, " and filters ", m,
                          " must be divisible by group ", group);
  if (w.getDimSize(1) * group != c)
    return emitInferError(loc, "weight expects ", w.getDimSize(1) * group,
                          " input channels, input has ", c);
  if (Value bias = adaptor.getBias()) {
    auto bt = staticTensor(bias);
    if (!bt)
      return failure();
    if (bt.getRank() != 1 || bt.getDimSize(0) != m)
      return emitInferError(loc, "bias must have shape [", m, "], got ",
                            shapeStr(bt.getShape()));
  }
  SmallVector<int64_t> shape = {x.getDimSize(0), m};
  for (size_t i = 0; i < n; ++i) {
    int64_t out = slidingWindowOutputSize(
        x.getDimSize(2 + i), w.getDimSize(2 + i), adaptor.getStrides()[i],
        adaptor.getPads()[i], adaptor.getPads()[n + i],
        adaptor.getDilations()[i], /*ceilMode=*/false);
    if (out < 1)
      return emitInferError(loc, "kernel does not fit spatial axis ", i,
                            " of input ", shapeStr(x.getShape()));
    shape.push_back(out);
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

static LogicalResult inferPool(std::optional<Location> loc, Value input,
                               ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> pads,
                               ArrayRef<int64_t> dilations, bool ceilMode,
                               SmallVectorImpl<Type> &types) {
  auto x = staticTensor(input);
  if (!x)
    return failure();
  if (x.getRank() < 3)
    return emitInferError(loc, "input must be [N, C, D1..Dn], got ",
                          shapeStr(x.getShape()));
  size_t n = x.getRank() - 2;
  if (failed(checkArray(loc, "kernel_shape", kernel, n, 1)) ||
      failed(checkArray(loc, "strides", strides, n, 1)) ||
      failed(checkArray(loc, "dilations", dilations, n, 1)) ||
      failed(checkArray(loc, "pads", pads, 2 * n, 0)))
    return failure();
  SmallVector<int64_t> shape = {x.getDimSize(0), x.getDimSize(1)};
  for (size_t i = 0; i < n; ++i) {
    if (pads[i] >= kernel[i] || pads[n + i] >= kernel[i])
      return emitInferError(loc, "padding must be smaller than the kernel");
    int64_t out =
        slidingWindowOutputSize(x.getDimSize(2 + i), kernel[i], strides[i],
                                pads[i], pads[n + i], dilations[i], ceilMode);
    if (out < 1)
      return emitInferError(loc, "kernel does not fit spatial axis ", i,
                            " of input ", shapeStr(x.getShape()));
    shape.push_back(out);
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  return inferPool(loc, adaptor.getInput(), adaptor.getKernelShape(),
                   adaptor.getStrides(), adaptor.getPads(),
                   adaptor.getDilations(), adaptor.getCeilMode(), types);
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  SmallVector<int64_t> ones(adaptor.getKernelShape().size(), 1);
  return inferPool(loc, adaptor.getInput(), adaptor.getKernelShape(),
                   adaptor.getStrides(), adaptor.getPads(), ones,
                   adaptor.getCeilMode(), types);
}

//===----------------------------------------------------------------------===//
// Normalisation and softmax
//===----------------------------------------------------------------------===//

static LogicalResult inferSameWithAxis(std::optional<Location> loc, Value input,
                                       int64_t axis,
                                       SmallVectorImpl<Type> &types) {
  auto x = staticTensor(input);
  if (!x)
    return failure();
  if (failed(checkAxis(loc, axis, x.getRank())))
    return failure();
  types.push_back(x);
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  return inferSameWithAxis(loc, adaptor.getInput(), adaptor.getAxis(), types);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *ctx,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  return inferSameWithAxis(loc, adaptor.getInput(), adaptor.getAxis(), types);
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput());
  if (!x)
    return failure();
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, x.getRank())))
    return failure();
  if (adaptor.getEpsilon().convertToDouble() < 0)
    return emitInferError(loc, "epsilon must be non-negative");
  ArrayRef<int64_t> normalized = x.getShape().drop_front(axis);
  if (adaptor.getAffine().size() > 2)
    return emitInferError(loc,
                          "takes at most two affine operands (scale, "
                          "bias), got ",
                          adaptor.getAffine().size());
  for (auto [i, v] : llvm::enumerate(adaptor.getAffine())) {
    StringRef name = i == 0 ? "scale" : "bias";
    auto t = staticTensor(v);
    if (!t)
      return failure();
    auto shape = broadcastShapes(t.getShape(), normalized);
    if (t.getElementType() != x.getElementType() ||
        t.getRank() > static_cast<int64_t>(normalized.size()) ||
        failed(shape) || ArrayRef(*shape) != normalized)
      return emitInferError(loc, name, " of type ", t,
                            " does not broadcast to the normalised shape ",
                            shapeStr(normalized));
  }
  types.push_back(x);
  return success();
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput());
  if (!x)
    return failure();
  if (x.getRank() < 2)
    return emitInferError(loc, "input must be [N, C, ...], got ",
                          shapeStr(x.getShape()));
  int64_t c = x.getDimSize(1);
  for (Value v : {adaptor.getScale(), adaptor.getBias(), adaptor.getMean(),
                  adaptor.getVar()}) {
    auto t = staticTensor(v);
    if (!t)
      return failure();
    if (t.getRank() != 1 || t.getDimSize(0) != c ||
        t.getElementType() != x.getElementType())
      return emitInferError(loc, "statistics and affine operands must be [", c,
                            "] of ", x.getElementType(), ", got ", t);
  }
  if (adaptor.getEpsilon().convertToDouble() < 0)
    return emitInferError(loc, "epsilon must be non-negative");
  double momentum = adaptor.getMomentum().convertToDouble();
  if (!(momentum >= 0 && momentum <= 1))
    return emitInferError(loc, "momentum must be in [0, 1], got ", momentum);
  types.push_back(x);
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

static LogicalResult inferReduce(std::optional<Location> loc, Value input,
                                 ArrayRef<int64_t> axes, bool keepdims,
                                 SmallVectorImpl<Type> &types) {
  auto x = staticTensor(input);
  if (!x)
    return failure();
  int64_t rank = x.getRank();
  for (size_t i = 0; i < axes.size(); ++i) {
    if (failed(checkAxis(loc, axes[i], rank)))
      return failure();
    if (i && axes[i] <= axes[i - 1])
      return emitInferError(loc, "axes must be strictly increasing");
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = axes.empty() || llvm::is_contained(axes, d);
    if (!reduced)
      shape.push_back(x.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

#define FG_REDUCE_INFER(OP)                                                    \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,          \
      SmallVectorImpl<Type> &types) {                                          \
    if (failed(verifyAdaptor(ctx, loc, adaptor)))                              \
      return failure();                                                        \
    return inferReduce(loc, adaptor.getInput(), adaptor.getAxes(),             \
                       adaptor.getKeepdims(), types);                          \
  }
FG_REDUCE_INFER(ReduceMeanOp)
FG_REDUCE_INFER(ReduceSumOp)
FG_REDUCE_INFER(ReduceMaxOp)
#undef FG_REDUCE_INFER

LogicalResult MomentsOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)) ||
      failed(inferReduce(loc, adaptor.getInput(), adaptor.getAxes(),
                         adaptor.getKeepdims(), types)))
    return failure();
  types.push_back(types.back());
  return success();
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  if (getInput().getType().getNumElements() !=
      getResult().getType().getNumElements())
    return emitOpError("cannot reshape ")
           << getInput().getType() << " ("
           << getInput().getType().getNumElements() << " elements) to "
           << getResult().getType() << " ("
           << getResult().getType().getNumElements() << " elements)";
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput());
  if (!x)
    return failure();
  ArrayRef<int64_t> perm = adaptor.getPerm();
  if (static_cast<int64_t>(perm.size()) != x.getRank())
    return emitInferError(loc, "perm has ", perm.size(),
                          " entries for an input of rank ", x.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.getRank() || seen[p])
      return emitInferError(loc, "perm is not a permutation of [0, ",
                            x.getRank(), ")");
    seen[p] = true;
    shape.push_back(x.getDimSize(p));
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  if (adaptor.getInputs().empty())
    return emitInferError(loc, "needs at least one input");
  auto first = staticTensor(adaptor.getInputs().front());
  if (!first)
    return failure();
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, first.getRank())))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value v : adaptor.getInputs()) {
    auto t = staticTensor(v);
    if (!t)
      return failure();
    if (t.getElementType() != first.getElementType() ||
        t.getRank() != first.getRank())
      return emitInferError(loc, "inputs must have the same rank and element "
                                 "type");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && t.getDimSize(d) != first.getDimSize(d))
        return emitInferError(loc, "input shapes ", shapeStr(first.getShape()),
                              " and ", shapeStr(t.getShape()),
                              " differ outside axis ", axis);
    shape[axis] += t.getDimSize(axis);
  }
  types.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput());
  if (!x)
    return failure();
  size_t rank = x.getRank();
  ArrayRef<int64_t> starts = adaptor.getStarts(), ends = adaptor.getEnds(),
                    steps = adaptor.getSteps();
  if (starts.size() != rank || ends.size() != rank || steps.size() != rank)
    return emitInferError(loc,
                          "starts, ends and steps need one entry per "
                          "dimension (",
                          rank, ")");
  SmallVector<int64_t> shape;
  for (size_t d = 0; d < rank; ++d) {
    int64_t size = x.getDimSize(d), s = starts[d], e = ends[d], st = steps[d];
    if (st == 0)
      return emitInferError(loc, "step of dimension ", d, " is 0");
    bool ok = st > 0 ? (s >= 0 && s <= size && e >= 0 && e <= size)
                     : (s >= -1 && s < size && e >= -1 && e < size);
    if (!ok)
      return emitInferError(loc, "start ", s, " / end ", e,
                            " out of range for dimension ", d, " of size ",
                            size);
    int64_t len = st > 0 ? (e - s + st - 1) / st : (s - e - st - 1) / -st;
    shape.push_back(std::max<int64_t>(len, 0));
  }
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput()),
       idx = staticTensor(adaptor.getIndices());
  if (!x || !idx)
    return failure();
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, x.getRank())))
    return failure();
  SmallVector<int64_t> shape(x.getShape().take_front(axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, x.getShape().drop_front(axis + 1));
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput());
  if (!x)
    return failure();
  types.push_back(
      RankedTensorType::get({x.getRank()}, IntegerType::get(ctx, 64)));
  return success();
}

//===----------------------------------------------------------------------===//
// Ops for differentiation
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  auto shape = broadcastShapes(in.getShape(), out.getShape());
  if (failed(shape) || ArrayRef(*shape) != out.getShape())
    return emitOpError("cannot broadcast ") << in << " to " << out;
  return success();
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  StringRef p = adaptor.getPredicate();
  if (!llvm::is_contained({"eq", "ne", "lt", "le", "gt", "ge"}, p))
    return emitInferError(loc, "predicate '", p,
                          "' is not one of eq, ne, lt, le, gt, ge");
  return inferBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(), types);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  SmallVector<Type> values;
  if (failed(inferBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(), values)))
    return failure();
  auto v = cast<RankedTensorType>(values.front());
  auto c = staticTensor(adaptor.getCond());
  if (!c)
    return failure();
  auto shape = broadcastShapes(c.getShape(), v.getShape());
  if (failed(shape))
    return emitInferError(loc, "condition shape ", shapeStr(c.getShape()),
                          " does not broadcast with the values' ",
                          shapeStr(v.getShape()));
  types.push_back(RankedTensorType::get(*shape, v.getElementType()));
  return success();
}

LogicalResult MaxPoolJvpOp::inferReturnTypes(MLIRContext *ctx,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput()),
       t = staticTensor(adaptor.getTangent());
  if (!x || !t)
    return failure();
  ArrayRef<int64_t> lead = t.getShape().take_front(t.getRank() - x.getRank());
  if (t.getRank() < x.getRank() || t.getRank() > x.getRank() + 1 ||
      t.getShape().drop_front(lead.size()) != x.getShape())
    return emitInferError(loc, "tangent ", shapeStr(t.getShape()),
                          " must have the input's shape ",
                          shapeStr(x.getShape()),
                          ", optionally with one leading dimension");
  SmallVector<Type> pooled;
  if (failed(inferPool(loc, adaptor.getInput(), adaptor.getKernelShape(),
                       adaptor.getStrides(), adaptor.getPads(),
                       adaptor.getDilations(), adaptor.getCeilMode(), pooled)))
    return failure();
  SmallVector<int64_t> shape(lead);
  llvm::append_range(shape, cast<RankedTensorType>(pooled[0]).getShape());
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Local-loss training
//===----------------------------------------------------------------------===//

LogicalResult OneHotOp::verify() {
  auto labels = getLabels().getType();
  auto result = getResult().getType();
  if (result.getRank() != labels.getRank() + 1 ||
      result.getShape().drop_back() != labels.getShape())
    return emitOpError("result ") << result << " must be the labels' shape "
                                  << shapeStr(labels.getShape())
                                  << " followed by the number of classes";
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput());
  if (!x)
    return failure();
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, x.getRank())))
    return failure();
  SmallVector<int64_t> shape(x.getShape());
  shape.erase(shape.begin() + axis);
  types.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult CrossEntropyOp::inferReturnTypes(MLIRContext *ctx,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto logits = staticTensor(adaptor.getLogits());
  auto labels = staticTensor(adaptor.getLabels());
  if (!logits || !labels)
    return failure();
  if (logits.getRank() != 2 || labels.getRank() != 1 ||
      labels.getDimSize(0) != logits.getDimSize(0))
    return emitInferError(loc, "logits ", shapeStr(logits.getShape()),
                          " and labels ", shapeStr(labels.getShape()),
                          " must be [N, K] and [N]");
  types.push_back(
      RankedTensorType::get({logits.getDimSize(0)}, logits.getElementType()));
  return success();
}

LogicalResult LocalXentOp::inferReturnTypes(MLIRContext *ctx,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  if (failed(verifyAdaptor(ctx, loc, adaptor)))
    return failure();
  auto x = staticTensor(adaptor.getInput());
  auto w = staticTensor(adaptor.getWeight());
  auto bias = staticTensor(adaptor.getBias());
  auto labels = staticTensor(adaptor.getLabels());
  if (!x || !w || !bias || !labels)
    return failure();
  if (x.getRank() != 4)
    return emitInferError(loc, "input ", shapeStr(x.getShape()),
                          " must be [N, P, G, C/G]");
  int64_t n = x.getDimSize(0), p = x.getDimSize(1), g = x.getDimSize(2),
          c = x.getDimSize(2) * x.getDimSize(3);
  if (w.getRank() != 2 || w.getDimSize(0) != c)
    return emitInferError(loc, "weight ", shapeStr(w.getShape()), " must be [",
                          c, ", K] for input ", shapeStr(x.getShape()));
  int64_t k = w.getDimSize(1);
  if (bias.getRank() != 1 || bias.getDimSize(0) != k)
    return emitInferError(loc, "bias ", shapeStr(bias.getShape()), " must be [",
                          k, "]");
  if (labels.getRank() != 1 || labels.getDimSize(0) != n)
    return emitInferError(loc, "labels ", shapeStr(labels.getShape()),
                          " must be [", n, "]");
  if (w.getElementType() != x.getElementType() ||
      bias.getElementType() != x.getElementType())
    return emitInferError(loc, "input, weight and bias must have one element "
                               "type");
  types.push_back(RankedTensorType::get({n, adaptor.getSpatial() ? p : 1, g},
                                        x.getElementType()));
  return success();
}

Value CrossEntropyOp::buildDelta(OpBuilder &b, Location loc, Value logits,
                                 Value labels) {
  Value p = SoftmaxOp::create(b, loc, logits, b.getI64IntegerAttr(1));
  Value onehot = OneHotOp::create(b, loc, logits.getType(), labels);
  return SubOp::create(b, loc, p, onehot);
}

std::pair<Value, Value> LocalXentOp::buildHead(OpBuilder &b) {
  Location loc = getLoc();
  ArrayRef<int64_t> xs = shapeOf(getInput());
  Value xbar = reshape(b, loc, reduceMean(b, loc, getInput(), {1}, false),
                       {xs[0], xs[2] * xs[3]});
  Value logits = AddOp::create(
      b, loc, MatMulOp::create(b, loc, xbar, getWeight()), getBias());
  return {xbar, CrossEntropyOp::buildDelta(b, loc, logits, getLabels())};
}

LogicalResult DropoutOp::verify() {
  double ratio = getRatio().convertToDouble();
  if (!(ratio >= 0.0 && ratio < 1.0))
    return emitOpError("ratio must be in [0, 1), got ") << ratio;
  return success();
}

LogicalResult RandomNormalOp::verify() {
  if (getSeed().getType().getRank() != 0 || getStep().getType().getRank() != 0)
    return emitOpError("seed and step must be rank-0 i64 tensors");
  if (getSite() < 0)
    return emitOpError("site must be non-negative, got ") << getSite();
  return success();
}

#include "fgc/Dialect/FG/IR/FGInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "fgc/Dialect/FG/IR/FGOps.cpp.inc"
