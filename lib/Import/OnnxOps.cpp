//===- OnnxOps.cpp - One converter per supported ONNX operator ------------===//
//
// Each converter maps one ONNX node (opsets 13-17) to fg ops. Attributes
// are validated here (the driver already rejected unknown attribute names);
// shape consistency is checked by the fg ops' type inference as they are
// built. Shape arithmetic folds as it is built, so inputs that ONNX computes
// at run time (Reshape's shape, Slice's starts, ...) are constants by the
// time a converter asks for them.
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

//===--- Elementwise ------------------------------------------------------===//

template <typename OpTy> LogicalResult convertBinary(NodeContext &nc) {
  TRY(lhs, nc.input(0));
  TRY(rhs, nc.input(1));
  if (typeOf(lhs).getElementType() != typeOf(rhs).getElementType())
    return nc.fail("operand element types differ (" +
                   str(typeOf(lhs).getElementType()) + " and " +
                   str(typeOf(rhs).getElementType()) +
                   "); mixed-type operands are not supported");
  if (std::is_same_v<OpTy, fg::PowOp> &&
      !isa<FloatType>(typeOf(lhs).getElementType()))
    return nc.fail("integer Pow is not supported (operands must be FLOAT or "
                   "DOUBLE)");
  return setResult(nc, nc.create<OpTy>({lhs, rhs}));
}

/// Max, Min, Sum: the binary op folded over one or more inputs (all of one
/// element type), broadcasting; Mean divides the Sum by the count.
template <typename OpTy, bool mean = false>
LogicalResult convertVariadic(NodeContext &nc) {
  if (nc.numInputs() < 1)
    return nc.fail("needs at least one input");
  TRY(acc, nc.input(0));
  Type elt = typeOf(acc).getElementType();
  if (mean && !isa<FloatType>(elt))
    return nc.fail("Mean of integer tensors is not supported");
  for (int i = 1; i < nc.numInputs(); ++i) {
    TRY(next, nc.input(i));
    if (typeOf(next).getElementType() != elt)
      return nc.fail("input " + std::to_string(i) + " is " + str(typeOf(next)) +
                     ", input 0 " + str(typeOf(acc)) +
                     ": mixed element types are not supported");
    TRY(combined, nc.create<OpTy>({acc, next}));
    acc = combined;
  }
  if (mean && nc.numInputs() > 1) {
    auto scalarType = RankedTensorType::get({}, elt);
    Value count = nc.constant(DenseElementsAttr::get(
        scalarType, FloatAttr::get(elt, double(nc.numInputs()))));
    TRY(quotient, nc.create<fg::DivOp>({acc, count}));
    acc = quotient;
  }
  nc.setOutput(0, acc);
  return success();
}

/// Clip(x, min, max) as max(x, min) then min(., max); an absent bound is no
/// bound. x keeps its derivative at the bounds (as PyTorch's clamp).
LogicalResult convertClip(NodeContext &nc) {
  TRY(x, nc.input(0));
  for (int i = 1; i <= 2; ++i) {
    Value bound = nc.optionalInput(i);
    if (!bound)
      continue;
    if (typeOf(bound).getRank() != 0 ||
        typeOf(bound).getElementType() != typeOf(x).getElementType())
      return nc.fail(std::string(i == 1 ? "min" : "max") + " must be a " +
                     "scalar of the input's element type, got " +
                     str(typeOf(bound)));
    // The bound first: max and min give a tie's derivative to their left
    // operand, so x gets none at the bounds, as PyTorch's ReLU6 / hardtanh
    // (and fg.relu at 0); the exact zeros a ReLU6 network carries make the
    // convention visible in its gradients.
    FailureOr<Value> clipped = i == 1 ? nc.create<fg::MaxOp>({bound, x})
                                      : nc.create<fg::MinOp>({bound, x});
    if (failed(clipped))
      return failure();
    x = *clipped;
  }
  nc.setOutput(0, x);
  return success();
}

template <typename OpTy> LogicalResult convertUnary(NodeContext &nc) {
  static_assert(OpTy::template hasTrait<OpTrait::SameOperandsAndResultType>(),
                "convertUnary builds the result with the operand's type");
  TRY(x, nc.input(0));
  bool intOk =
      std::is_same_v<OpTy, fg::NegOp> || std::is_same_v<OpTy, fg::AbsOp>;
  if (!intOk && !isa<FloatType>(typeOf(x).getElementType()))
    return nc.fail("input must be a floating-point tensor, got " +
                   str(typeOf(x)));
  return setResult(nc, nc.createTyped<OpTy>(x.getType(), x));
}

LogicalResult convertLeakyRelu(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(alpha, nc.attrFloat("alpha", 0.01));
  if (!isa<FloatType>(typeOf(x).getElementType()))
    return nc.fail("input must be a floating-point tensor");
  return setResult(nc, nc.createTyped<fg::LeakyReluOp>(
                           x.getType(), x, {nc.namedF64("alpha", alpha)}));
}

LogicalResult convertIdentity(NodeContext &nc) {
  TRY(x, nc.input(0));
  nc.setOutput(0, x);
  return success();
}

/// fg.dropout with the node's ratio (the identity unless a training step
/// is compiled with --dropout=train), or nothing where the ratio is 0.
/// Whether the export was in training mode does not matter: evaluation
/// never drops, and training drops only when asked to.
LogicalResult convertDropout(NodeContext &nc) {
  TRY(x, nc.input(0));
  double ratio = 0.5;
  if (nc.hasInput(1)) {
    TRY(r, nc.constantScalar(1, "ratio"));
    ratio = r;
  }
  if (!(ratio >= 0.0 && ratio < 1.0))
    return nc.fail("ratio must be in [0, 1), got " + formatNumber(ratio));
  if (nc.hasInput(2)) {
    TRY(training, nc.constantInts(2, "training_mode"));
    if (training.size() != 1)
      return nc.fail("input 'training_mode' must hold one element");
  }
  if (failed(nc.rejectOutputsFrom(1, "fgc's Dropout returns no mask")))
    return failure();
  if (ratio == 0.0 || !isa<FloatType>(typeOf(x).getElementType())) {
    nc.setOutput(0, x);
    return success();
  }
  return setResult(nc, nc.createTyped<fg::DropoutOp>(
                           x.getType(), x, {nc.namedF64("ratio", ratio)}));
}

LogicalResult convertCast(NodeContext &nc) {
  TRY(x, nc.input(0));
  const onnx::AttributeProto *to = nc.attr("to");
  if (!to || to->type() != onnx::AttributeProto::INT)
    return nc.fail("attribute 'to' (an int) is required");
  Type elt = convertElementType(nc.getContext(), to->i());
  if (!elt)
    return nc.fail("cast to " + elementTypeName(to->i()) +
                   " is not supported (supported: FLOAT, DOUBLE, INT64, BOOL)");
  auto type = RankedTensorType::get(typeOf(x).getShape(), elt);
  return setResult(nc, nc.createTyped<fg::CastOp>(type, x));
}

/// Cast to the element type of the second input.
LogicalResult convertCastLike(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(like, nc.input(1));
  auto type = typeOf(x).clone(typeOf(like).getElementType());
  return setResult(nc, nc.createTyped<fg::CastOp>(type, x));
}

//===--- Linear algebra ---------------------------------------------------===//

LogicalResult convertMatMul(NodeContext &nc) {
  TRY(a, nc.input(0));
  TRY(b, nc.input(1));
  return setResult(nc, nc.create<fg::MatMulOp>({a, b}));
}

LogicalResult convertGemm(NodeContext &nc) {
  TRY(a, nc.input(0));
  TRY(b, nc.input(1));
  TRY(alpha, nc.attrFloat("alpha", 1.0));
  TRY(beta, nc.attrFloat("beta", 1.0));
  TRY(transA, nc.attrInt("transA", 0));
  TRY(transB, nc.attrInt("transB", 0));
  SmallVector<Value> operands = {a, b};
  if (Value c = nc.optionalInput(2))
    operands.push_back(c);
  return setResult(
      nc, nc.create<fg::GemmOp>(
              operands, {nc.namedF64("alpha", alpha), nc.namedF64("beta", beta),
                         nc.namedBool("trans_a", transA != 0),
                         nc.namedBool("trans_b", transB != 0)}));
}

//===--- Softmax ----------------------------------------------------------===//

template <typename OpTy> LogicalResult convertSoftmax(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(axisAttr, nc.attrInt("axis", -1));
  TRY(axis, nc.normalizeAxis(axisAttr, typeOf(x).getRank()));
  return setResult(nc, nc.create<OpTy>({x}, {nc.namedI64("axis", axis)}));
}

//===--- Shape and data movement ------------------------------------------===//

LogicalResult convertReshape(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(target, nc.constantInts(1, "shape"));
  TRY(allowZero, nc.attrInt("allowzero", 0));
  RankedTensorType xt = typeOf(x);
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(target)) {
    if (d == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= xt.getRank())
        return nc.fail("shape entry " + Twine(i) +
                       " is 0 (copy) but the input has rank " +
                       Twine(xt.getRank()));
      d = xt.getDimSize(i);
    }
    if (d == -1) {
      if (inferred >= 0)
        return nc.fail("shape has more than one -1 entry");
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return nc.fail("shape entry " + Twine(d) + " is invalid");
    shape.push_back(d);
    known *= d;
  }
  if (inferred >= 0) {
    if (known == 0 || xt.getNumElements() % known != 0)
      return nc.fail(
          "cannot infer the -1 entry: " + Twine(xt.getNumElements()) +
          " elements do not divide into the other dimensions");
    shape[inferred] = xt.getNumElements() / known;
  }
  return setResult(nc, nc.reshape(x, shape));
}

LogicalResult convertFlatten(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  TRY(axisAttr, nc.attrInt("axis", 1));
  // Flatten's axis may equal the rank.
  if (axisAttr < -xt.getRank() || axisAttr > xt.getRank())
    return nc.fail("axis " + Twine(axisAttr) + " is out of range for rank " +
                   Twine(xt.getRank()));
  int64_t axis = axisAttr < 0 ? axisAttr + xt.getRank() : axisAttr;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < xt.getRank(); ++d)
    (d < axis ? outer : inner) *= xt.getDimSize(d);
  return setResult(nc, nc.reshape(x, {outer, inner}));
}

LogicalResult convertSqueeze(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  SmallVector<int64_t> axes;
  if (nc.hasInput(1)) {
    TRY(values, nc.constantInts(1, "axes"));
    for (int64_t a : values) {
      TRY(n, nc.normalizeAxis(a, xt.getRank(), "axes entry"));
      if (xt.getDimSize(n) != 1)
        return nc.fail("cannot squeeze axis " + Twine(a) + " of size " +
                       Twine(xt.getDimSize(n)));
      axes.push_back(n);
    }
  } else {
    for (int64_t d = 0; d < xt.getRank(); ++d)
      if (xt.getDimSize(d) == 1)
        axes.push_back(d);
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < xt.getRank(); ++d)
    if (!llvm::is_contained(axes, d))
      shape.push_back(xt.getDimSize(d));
  return setResult(nc, nc.reshape(x, shape));
}

LogicalResult convertUnsqueeze(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  TRY(values, nc.constantInts(1, "axes"));
  int64_t rank = xt.getRank() + values.size();
  SmallVector<int64_t> axes;
  for (int64_t a : values) {
    TRY(n, nc.normalizeAxis(a, rank, "axes entry"));
    if (llvm::is_contained(axes, n))
      return nc.fail("axes entry " + Twine(a) + " is repeated");
    axes.push_back(n);
  }
  SmallVector<int64_t> shape;
  ArrayRef<int64_t> in = xt.getShape();
  for (int64_t d = 0; d < rank; ++d) {
    if (llvm::is_contained(axes, d)) {
      shape.push_back(1);
    } else {
      shape.push_back(in.front());
      in = in.drop_front();
    }
  }
  return setResult(nc, nc.reshape(x, shape));
}

LogicalResult convertTranspose(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(permAttr, nc.attrInts("perm"));
  SmallVector<int64_t> perm;
  if (permAttr)
    perm = *permAttr;
  else
    for (int64_t d = typeOf(x).getRank() - 1; d >= 0; --d)
      perm.push_back(d);
  return setResult(
      nc, nc.create<fg::TransposeOp>({x}, {nc.namedArray("perm", perm)}));
}

LogicalResult convertConcat(NodeContext &nc) {
  SmallVector<Value> inputs;
  for (int i = 0; i < nc.node.input_size(); ++i) {
    TRY(v, nc.input(i));
    inputs.push_back(v);
  }
  if (inputs.empty())
    return nc.fail("needs at least one input");
  const onnx::AttributeProto *axisAttr = nc.attr("axis");
  if (!axisAttr)
    return nc.fail("attribute 'axis' is required");
  TRY(axisValue, nc.attrInt("axis", 0));
  TRY(axis, nc.normalizeAxis(axisValue, typeOf(inputs[0]).getRank()));
  return setResult(
      nc, nc.create<fg::ConcatOp>(inputs, {nc.namedI64("axis", axis)}));
}

LogicalResult convertSplit(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  TRY(axisAttr, nc.attrInt("axis", 0));
  TRY(axis, nc.normalizeAxis(axisAttr, xt.getRank()));
  int64_t outputs = nc.node.output_size(), size = xt.getDimSize(axis);
  SmallVector<int64_t> sizes;
  if (nc.hasInput(1)) {
    TRY(values, nc.constantInts(1, "split"));
    sizes = values;
    if (static_cast<int64_t>(sizes.size()) != outputs)
      return nc.fail("input 'split' has " + Twine(sizes.size()) +
                     " entries for " + Twine(outputs) + " outputs");
    int64_t total = 0;
    for (int64_t s : sizes) {
      if (s < 0)
        return nc.fail("input 'split' has a negative entry");
      total += s;
    }
    if (total != size)
      return nc.fail("input 'split' sums to " + Twine(total) + " but axis " +
                     Twine(axis) + " has size " + Twine(size));
  } else {
    if (outputs == 0 || size % outputs != 0)
      return nc.fail("axis size " + Twine(size) +
                     " does not split evenly into " + Twine(outputs) +
                     " outputs");
    sizes.assign(outputs, size / outputs);
  }
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    SmallVector<int64_t> starts(xt.getRank(), 0), ends(xt.getShape()),
        steps(xt.getRank(), 1);
    starts[axis] = offset;
    ends[axis] = offset + sizes[i];
    offset += sizes[i];
    TRY(part, nc.create<fg::SliceOp>({x}, {nc.namedArray("starts", starts),
                                           nc.namedArray("ends", ends),
                                           nc.namedArray("steps", steps)}));
    nc.setOutput(i, part);
  }
  return success();
}

LogicalResult convertSlice(NodeContext &nc) {
  TRY(x, nc.input(0));
  RankedTensorType xt = typeOf(x);
  int64_t rank = xt.getRank();
  TRY(startsIn, nc.constantInts(1, "starts"));
  TRY(endsIn, nc.constantInts(2, "ends"));
  SmallVector<int64_t> axesIn, stepsIn;
  if (nc.hasInput(3)) {
    TRY(values, nc.constantInts(3, "axes"));
    axesIn = values;
  } else {
    for (size_t i = 0; i < startsIn.size(); ++i)
      axesIn.push_back(i);
  }
  if (nc.hasInput(4)) {
    TRY(values, nc.constantInts(4, "steps"));
    stepsIn = values;
  } else {
    stepsIn.assign(startsIn.size(), 1);
  }
  if (endsIn.size() != startsIn.size() || axesIn.size() != startsIn.size() ||
      stepsIn.size() != startsIn.size())
    return nc.fail("inputs starts, ends, axes and steps must have the same "
                   "length");
  SmallVector<int64_t> starts(rank, 0), ends(xt.getShape()), steps(rank, 1);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < startsIn.size(); ++i) {
    TRY(axis, nc.normalizeAxis(axesIn[i], rank, "axes entry"));
    if (seen[axis])
      return nc.fail("axes entry " + Twine(axesIn[i]) + " is repeated");
    seen[axis] = true;
    int64_t dim = xt.getDimSize(axis), step = stepsIn[i];
    if (step == 0)
      return nc.fail("steps entry " + Twine(i) + " is 0");
    // Clamp as the ONNX Slice specification says (with int64 extremes
    // standing for "to the end").
    auto clamp = [&](int64_t v, bool isEnd) {
      if (v < 0)
        v = v < -dim ? -dim - 1 : v + dim;
      if (step > 0)
        return std::clamp<int64_t>(v, 0, dim);
      return std::clamp<int64_t>(v, -1, dim - 1 + (isEnd ? 0 : 0));
    };
    int64_t s = startsIn[i], e = endsIn[i];
    starts[axis] = clamp(s, false);
    ends[axis] = clamp(e, true);
    if (step < 0 && starts[axis] < 0)
      starts[axis] = -1;
    if (step < 0)
      ends[axis] = std::min(ends[axis], dim - 1);
    steps[axis] = step;
  }
  return setResult(
      nc, nc.create<fg::SliceOp>({x}, {nc.namedArray("starts", starts),
                                       nc.namedArray("ends", ends),
                                       nc.namedArray("steps", steps)}));
}

LogicalResult convertGather(NodeContext &nc) {
  TRY(x, nc.input(0));
  TRY(indices, nc.input(1));
  if (!typeOf(indices).getElementType().isInteger(64))
    return nc.fail("indices must be INT64, got " +
                   str(typeOf(indices).getElementType()));
  TRY(axisAttr, nc.attrInt("axis", 0));
  TRY(axis, nc.normalizeAxis(axisAttr, typeOf(x).getRank()));
  if (failed(checkConstantIndices(nc, indices, typeOf(x).getShape(), {axis})))
    return failure();
  return setResult(
      nc, nc.create<fg::GatherOp>({x, indices}, {nc.namedI64("axis", axis)}));
}

LogicalResult convertShape(NodeContext &nc) {
  TRY(x, nc.input(0));
  ArrayRef<int64_t> shape = typeOf(x).getShape();
  int64_t rank = shape.size();
  TRY(start, nc.attrInt("start", 0));
  TRY(end, nc.attrInt("end", rank));
  auto clamp = [&](int64_t v) {
    return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank);
  };
  start = clamp(start);
  end = std::max(clamp(end), start);
  SmallVector<int64_t> dims(shape.slice(start, end - start));
  auto type = RankedTensorType::get({static_cast<int64_t>(dims.size())},
                                    IntegerType::get(nc.getContext(), 64));
  nc.setOutput(0, nc.constant(DenseElementsAttr::get(type, ArrayRef(dims))));
  return success();
}

LogicalResult convertConstant(NodeContext &nc) {
  if (nc.node.attribute_size() != 1)
    return nc.fail("needs exactly one value attribute");
  const onnx::AttributeProto &a = nc.node.attribute(0);
  MLIRContext *ctx = nc.getContext();
  auto f32 = Float32Type::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  DenseElementsAttr value;
  if (a.name() == "value") {
    if (a.type() != onnx::AttributeProto::TENSOR)
      return nc.fail("attribute 'value' must be a tensor");
    std::string why;
    value = tensorToAttr(ctx, a.t(), why);
    if (!value)
      return nc.fail("attribute 'value' " + why);
  } else if (a.name() == "value_float" &&
             a.type() == onnx::AttributeProto::FLOAT) {
    value = DenseElementsAttr::get(RankedTensorType::get({}, f32), a.f());
  } else if (a.name() == "value_floats" &&
             a.type() == onnx::AttributeProto::FLOATS) {
    SmallVector<float> v(a.floats().begin(), a.floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(v.size())}, f32),
        ArrayRef(v));
  } else if (a.name() == "value_int" && a.type() == onnx::AttributeProto::INT) {
    value = DenseElementsAttr::get(RankedTensorType::get({}, i64),
                                   static_cast<int64_t>(a.i()));
  } else if (a.name() == "value_ints" &&
             a.type() == onnx::AttributeProto::INTS) {
    SmallVector<int64_t> v(a.ints().begin(), a.ints().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(v.size())}, i64),
        ArrayRef(v));
  } else {
    return nc.fail("attribute '" + a.name() +
                   "' of this type is not supported (sparse and string "
                   "constants are not)");
  }
  nc.setOutput(0, nc.constant(value));
  return success();
}

LogicalResult convertConstantOfShape(NodeContext &nc) {
  TRY(shape, nc.constantInts(0, "input"));
  for (int64_t d : shape)
    if (d < 0)
      return nc.fail("shape entry " + Twine(d) + " is negative");
  MLIRContext *ctx = nc.getContext();
  Attribute element = FloatAttr::get(Float32Type::get(ctx), 0.0);
  if (const onnx::AttributeProto *a = nc.attr("value")) {
    if (a->type() != onnx::AttributeProto::TENSOR)
      return nc.fail("attribute 'value' must be a tensor");
    std::string why;
    DenseElementsAttr v = tensorToAttr(ctx, a->t(), why);
    if (!v)
      return nc.fail("attribute 'value' " + why);
    if (v.getNumElements() != 1)
      return nc.fail("attribute 'value' must hold exactly one element");
    element = *v.getValues<Attribute>().begin();
  }
  auto type = RankedTensorType::get(shape, cast<TypedAttr>(element).getType());
  nc.setOutput(0, nc.constant(DenseElementsAttr::get(type, element)));
  return success();
}

//===--- The table --------------------------------------------------------===//

} // namespace

ArrayRef<OpConverter> onnximport::getOpConverters() {
  static const SmallVector<OpConverter> table = {
      {"Abs", {}, "", convertUnary<fg::AbsOp>},
      {"Acos", {}, "floating-point input", convertUnary<fg::AcosOp>},
      {"Acosh", {}, "floating-point input", convertUnary<fg::AcoshOp>},
      {"Add", {}, "", convertBinary<fg::AddOp>},
      {"And", {}, "bool operands", convertAnd},
      {"ArgMax",
       {"axis", "keepdims", "select_last_index"},
       "floating-point input",
       convertArgMax},
      {"ArgMin",
       {"axis", "keepdims", "select_last_index"},
       "floating-point input",
       convertArgMin},
      {"Asin", {}, "floating-point input", convertUnary<fg::AsinOp>},
      {"Asinh", {}, "floating-point input", convertUnary<fg::AsinhOp>},
      {"Atan", {}, "floating-point input", convertUnary<fg::AtanOp>},
      {"Atanh", {}, "floating-point input", convertUnary<fg::AtanhOp>},
      {"AveragePool",
       {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
        "strides"},
       "",
       convertAveragePool},
      {"BatchNormalization",
       {"epsilon", "momentum", "training_mode"},
       "running statistics in @forward, the batch's in @train_step; the "
       "statistics outputs must be unread",
       convertBatchNorm},
      {"Cast", {"to"}, "to FLOAT, DOUBLE, INT64 or BOOL", convertCast},
      {"CastLike", {}, "to FLOAT, DOUBLE, INT64 or BOOL", convertCastLike},
      {"Ceil", {}, "floating-point input", convertUnary<fg::CeilOp>},
      {"Celu", {"alpha"}, "floating-point input", convertCelu},
      {"Clip", {}, "min and max scalars (inputs)", convertClip},
      {"Concat", {"axis"}, "", convertConcat},
      {"Constant",
       {"value", "value_float", "value_floats", "value_int", "value_ints"},
       "no sparse or string values",
       convertConstant},
      {"ConstantOfShape",
       {"value"},
       "shape must be constant",
       convertConstantOfShape},
      {"Conv",
       {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"},
       "1-D, 2-D and 3-D",
       convertConv},
      {"ConvTranspose",
       {"auto_pad", "dilations", "group", "kernel_shape", "output_padding",
        "output_shape", "pads", "strides"},
       "1-D, 2-D and 3-D",
       convertConvTranspose},
      {"Cos", {}, "floating-point input", convertUnary<fg::CosOp>},
      {"Cosh", {}, "floating-point input", convertUnary<fg::CoshOp>},
      {"CumSum",
       {"exclusive", "reverse"},
       "axis must be constant",
       convertCumSum},
      {"DepthToSpace",
       {"blocksize", "mode"},
       "DCR and CRD",
       convertDepthToSpace},
      {"Div", {}, "", convertBinary<fg::DivOp>},
      {"Dropout",
       {"seed"},
       "the identity unless fgc compile --dropout=train (ratio and "
       "training_mode constant; the mask output unread)",
       convertDropout},
      {"Einsum", {"equation"}, "floating-point operands", convertEinsum},
      {"Elu", {"alpha"}, "floating-point input", convertElu},
      {"Equal", {}, "", convertEqual},
      {"Erf", {}, "", convertUnary<fg::ErfOp>},
      {"Exp", {}, "", convertUnary<fg::ExpOp>},
      {"Expand", {}, "shape must be constant", convertExpand},
      {"EyeLike", {"dtype", "k"}, "rank 2", convertEyeLike},
      {"Flatten", {"axis"}, "", convertFlatten},
      {"Floor", {}, "floating-point input", convertUnary<fg::FloorOp>},
      {"Gather", {"axis"}, "INT64 indices", convertGather},
      {"GatherElements", {"axis"}, "INT64 indices", convertGatherElements},
      {"GatherND", {"batch_dims"}, "INT64 indices", convertGatherND},
      {"Gemm", {"alpha", "beta", "transA", "transB"}, "", convertGemm},
      {"GlobalAveragePool", {}, "", convertGlobalAveragePool},
      {"GlobalMaxPool", {}, "", convertGlobalMaxPool},
      {"Greater", {}, "", convertGreater},
      {"GreaterOrEqual", {}, "", convertGreaterOrEqual},
      {"HardSigmoid",
       {"alpha", "beta"},
       "floating-point input",
       convertHardSigmoid},
      {"HardSwish", {}, "floating-point input", convertHardSwish},
      {"Hardmax", {"axis"}, "floating-point input", convertHardmax},
      {"Identity", {}, "", convertIdentity},
      {"InstanceNormalization",
       {"epsilon"},
       "floating-point input",
       convertInstanceNorm},
      {"IsInf",
       {"detect_negative", "detect_positive"},
       "floating-point input",
       convertIsInf},
      {"IsNaN", {}, "floating-point input", convertIsNaN},
      {"LRN",
       {"alpha", "beta", "bias", "size"},
       "floating-point input",
       convertLRN},
      {"LayerNormalization",
       {"axis", "epsilon", "stash_type"},
       "stash_type = 1; an empty Scale (PyTorch quirk) means Scale = 1",
       convertLayerNorm},
      {"LeakyRelu", {"alpha"}, "", convertLeakyRelu},
      {"Less", {}, "", convertLess},
      {"LessOrEqual", {}, "", convertLessOrEqual},
      {"Log", {}, "", convertUnary<fg::LogOp>},
      {"LogSoftmax", {"axis"}, "", convertSoftmax<fg::LogSoftmaxOp>},
      {"MatMul", {}, "", convertMatMul},
      {"Max", {}, "inputs of one element type", convertVariadic<fg::MaxOp>},
      {"MaxPool",
       {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
        "storage_order", "strides"},
       "storage_order = 0; no Indices output",
       convertMaxPool},
      {"Mean",
       {},
       "floating-point inputs",
       convertVariadic<fg::AddOp, /*mean=*/true>},
      {"MeanVarianceNormalization",
       {"axes"},
       "floating-point input",
       convertMeanVarianceNormalization},
      {"Min", {}, "inputs of one element type", convertVariadic<fg::MinOp>},
      {"Mod", {"fmod"}, "fmod = 1 for floats", convertMod},
      {"Mul", {}, "", convertBinary<fg::MulOp>},
      {"Neg", {}, "", convertUnary<fg::NegOp>},
      {"NegativeLogLikelihoodLoss",
       {"ignore_index", "reduction"},
       "class axis 1; target int64",
       convertNegativeLogLikelihoodLoss},
      {"Not", {}, "bool input", convertNot},
      {"OneHot", {"axis"}, "depth must be constant", convertOneHot},
      {"Or", {}, "bool operands", convertOr},
      {"PRelu", {}, "slope broadcast against the input", convertPRelu},
      {"Pad",
       {"mode", "pads", "value"},
       "constant, reflect, edge; pads constant",
       convertPad},
      {"Pow",
       {},
       "base and exponent of the same type",
       convertBinary<fg::PowOp>},
      {"Range", {}, "inputs must be constant", convertRange},
      {"Reciprocal", {}, "floating-point input", convertReciprocal},
      {"ReduceL1", {"axes", "keepdims"}, "", convertReduceL1},
      {"ReduceL2",
       {"axes", "keepdims"},
       "floating-point input",
       convertReduceL2},
      {"ReduceLogSum",
       {"axes", "keepdims"},
       "floating-point input",
       convertReduceLogSum},
      {"ReduceLogSumExp",
       {"axes", "keepdims"},
       "floating-point input",
       convertReduceLogSumExp},
      {"ReduceMax", {"axes", "keepdims"}, "", convertReduceMax},
      {"ReduceMean",
       {"axes", "keepdims"},
       "floating-point input",
       convertReduceMean},
      {"ReduceMin", {"axes", "keepdims"}, "", convertReduceMin},
      {"ReduceProd",
       {"axes", "keepdims", "noop_with_empty_axes"},
       "",
       convertReduceProd},
      {"ReduceSum",
       {"keepdims", "noop_with_empty_axes"},
       "axes input must be constant",
       convertReduceSum},
      {"ReduceSumSquare", {"axes", "keepdims"}, "", convertReduceSumSquare},
      {"Relu", {}, "", convertUnary<fg::ReluOp>},
      {"Reshape", {"allowzero"}, "shape must be constant", convertReshape},
      {"Resize",
       {"coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
        "extrapolation_value", "mode", "nearest_mode"},
       "nearest, linear, cubic; scales/sizes constant",
       convertResize},
      {"Round",
       {},
       "floating-point input; half to even",
       convertUnary<fg::RoundOp>},
      {"ScatterElements",
       {"axis", "reduction"},
       "INT64 indices; reduction none, add, mul",
       convertScatterElements},
      {"ScatterND",
       {"reduction"},
       "INT64 indices; reduction none, add, mul",
       convertScatterND},
      {"Selu", {"alpha", "gamma"}, "floating-point input", convertSelu},
      {"Shape", {"end", "start"}, "", convertShape},
      {"Shrink", {"bias", "lambd"}, "floating-point input", convertShrink},
      {"Sigmoid", {}, "", convertUnary<fg::SigmoidOp>},
      {"Sign", {}, "floating-point input", convertSign},
      {"Sin", {}, "floating-point input", convertUnary<fg::SinOp>},
      {"Sinh", {}, "floating-point input", convertUnary<fg::SinhOp>},
      {"Size", {}, "", convertSize},
      {"Slice", {}, "starts/ends/axes/steps must be constant", convertSlice},
      {"Softmax", {"axis"}, "", convertSoftmax<fg::SoftmaxOp>},
      {"SoftmaxCrossEntropyLoss",
       {"ignore_index", "reduction"},
       "class axis 1; labels int64",
       convertSoftmaxCrossEntropyLoss},
      {"Softplus", {}, "floating-point input", convertSoftplus},
      {"Softsign", {}, "floating-point input", convertSoftsign},
      {"SpaceToDepth", {"blocksize"}, "", convertSpaceToDepth},
      {"Split", {"axis"}, "split input must be constant", convertSplit},
      {"Sqrt", {}, "", convertUnary<fg::SqrtOp>},
      {"Squeeze", {}, "axes input must be constant", convertSqueeze},
      {"Sub", {}, "", convertBinary<fg::SubOp>},
      {"Sum", {}, "inputs of one element type", convertVariadic<fg::AddOp>},
      {"Tan", {}, "floating-point input", convertUnary<fg::TanOp>},
      {"Tanh", {}, "", convertUnary<fg::TanhOp>},
      {"ThresholdedRelu",
       {"alpha"},
       "floating-point input",
       convertThresholdedRelu},
      {"Tile", {}, "repeats must be constant", convertTile},
      {"TopK",
       {"axis", "largest", "sorted"},
       "floating-point input; K constant",
       convertTopK},
      {"Transpose", {"perm"}, "", convertTranspose},
      {"Trilu", {"upper"}, "k must be constant", convertTrilu},
      {"Unsqueeze", {}, "axes input must be constant", convertUnsqueeze},
      {"Upsample",
       {"mode", "scales"},
       "nearest, linear; scales constant",
       convertUpsample},
      {"Where", {}, "", convertWhere},
      {"Xor", {}, "bool operands", convertXor},
  };
  return table;
}
