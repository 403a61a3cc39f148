//===- NodeContext.cpp - State shared by the ONNX op converters -----------===//

#include "NodeContext.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;

/// Tensors larger than this are rejected: 2^31 elements is beyond what any
/// model fgc trains needs, and it keeps a corrupt header from asking for
/// terabytes.
static constexpr int64_t kMaxTensorElements = int64_t(1) << 31;

Type onnximport::convertElementType(MLIRContext *ctx, int32_t onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return Float32Type::get(ctx);
  case onnx::TensorProto::DOUBLE:
    return Float64Type::get(ctx);
  case onnx::TensorProto::INT64:
    return IntegerType::get(ctx, 64);
  case onnx::TensorProto::BOOL:
    return IntegerType::get(ctx, 1);
  default:
    return nullptr;
  }
}

std::string onnximport::elementTypeName(int32_t onnxType) {
  if (onnx::TensorProto_DataType_IsValid(onnxType))
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(onnxType));
  return "type " + std::to_string(onnxType);
}

/// Reads `count` little-endian T from raw data, stored as `Stored` (integer
/// constants narrower than 64 bits are widened).
template <typename T, typename Stored = T>
static DenseElementsAttr fromRaw(RankedTensorType type, const std::string &raw,
                                 int64_t count, std::string &error) {
  if (raw.size() != count * sizeof(T)) {
    error = "has " + std::to_string(raw.size()) + " bytes of raw data, " +
            "expected " + std::to_string(count * sizeof(T));
    return nullptr;
  }
  // SmallVector, not std::vector: std::vector<bool> has no contiguous data.
  SmallVector<Stored> data(count);
  for (int64_t i = 0; i < count; ++i) {
    if constexpr (std::is_same_v<T, bool>)
      data[i] = raw[i] != 0;
    else
      data[i] = static_cast<Stored>(
          llvm::support::endian::read<T, llvm::endianness::little>(
              raw.data() + i * sizeof(T)));
  }
  return DenseElementsAttr::get(type, llvm::ArrayRef<Stored>(data));
}

template <typename T, typename Field>
static DenseElementsAttr fromField(RankedTensorType type, const Field &field,
                                   int64_t count, std::string &error) {
  if (field.size() != count) {
    error = "has " + std::to_string(field.size()) + " values, expected " +
            std::to_string(count);
    return nullptr;
  }
  SmallVector<T> data;
  for (auto v : field)
    data.push_back(static_cast<T>(v));
  return DenseElementsAttr::get(type, llvm::ArrayRef<T>(data));
}

DenseElementsAttr onnximport::tensorToAttr(MLIRContext *ctx,
                                           const onnx::TensorProto &tensor,
                                           std::string &error) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL ||
      tensor.external_data_size() > 0) {
    error = "uses external data, which is not supported (save the model "
            "with all tensors inside the file)";
    return nullptr;
  }
  if (tensor.has_segment()) {
    error = "is segmented, which is not supported";
    return nullptr;
  }
  // Narrower integer constants (axes, indices, shapes exported as int32)
  // are widened: fg's integers are i64.
  int32_t dataType = tensor.data_type();
  bool narrowInt = dataType == onnx::TensorProto::INT32 ||
                   dataType == onnx::TensorProto::INT16 ||
                   dataType == onnx::TensorProto::INT8 ||
                   dataType == onnx::TensorProto::UINT16 ||
                   dataType == onnx::TensorProto::UINT8;
  Type elt =
      narrowInt ? IntegerType::get(ctx, 64) : convertElementType(ctx, dataType);
  if (!elt) {
    error = "has unsupported element type " + elementTypeName(dataType) +
            " (supported: FLOAT, DOUBLE, INT64, BOOL, and 8 to 32-bit "
            "integers, widened to INT64)";
    return nullptr;
  }
  int64_t count = 1;
  SmallVector<int64_t> shape;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      error = "has negative dimension " + std::to_string(d);
      return nullptr;
    }
    if (d != 0 && count > kMaxTensorElements / d) {
      error = "is too large (more than 2^31 elements)";
      return nullptr;
    }
    count *= d;
    shape.push_back(d);
  }
  auto type = RankedTensorType::get(shape, elt);
  bool raw = tensor.has_raw_data();
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    return raw ? fromRaw<float>(type, tensor.raw_data(), count, error)
               : fromField<float>(type, tensor.float_data(), count, error);
  case onnx::TensorProto::DOUBLE:
    return raw ? fromRaw<double>(type, tensor.raw_data(), count, error)
               : fromField<double>(type, tensor.double_data(), count, error);
  case onnx::TensorProto::BOOL:
    // One byte per element in raw data, one int32 each otherwise.
    return raw ? fromRaw<bool>(type, tensor.raw_data(), count, error)
               : fromField<bool>(type, tensor.int32_data(), count, error);
  case onnx::TensorProto::INT32:
    return raw ? fromRaw<int32_t, int64_t>(type, tensor.raw_data(), count,
                                           error)
               : fromField<int64_t>(type, tensor.int32_data(), count, error);
  case onnx::TensorProto::INT16:
    return raw ? fromRaw<int16_t, int64_t>(type, tensor.raw_data(), count,
                                           error)
               : fromField<int64_t>(type, tensor.int32_data(), count, error);
  case onnx::TensorProto::INT8:
    return raw ? fromRaw<int8_t, int64_t>(type, tensor.raw_data(), count, error)
               : fromField<int64_t>(type, tensor.int32_data(), count, error);
  case onnx::TensorProto::UINT16:
    return raw ? fromRaw<uint16_t, int64_t>(type, tensor.raw_data(), count,
                                            error)
               : fromField<int64_t>(type, tensor.int32_data(), count, error);
  case onnx::TensorProto::UINT8:
    return raw ? fromRaw<uint8_t, int64_t>(type, tensor.raw_data(), count,
                                           error)
               : fromField<int64_t>(type, tensor.int32_data(), count, error);
  default:
    return raw ? fromRaw<int64_t>(type, tensor.raw_data(), count, error)
               : fromField<int64_t>(type, tensor.int64_data(), count, error);
  }
}

//===----------------------------------------------------------------------===//

Location NodeContext::locationFor(MLIRContext *ctx,
                                  const onnx::NodeProto &node) {
  std::string name = node.name();
  if (name.empty())
    name = node.op_type() + (node.output_size() ? ":" + node.output(0) : "");
  return NameLoc::get(StringAttr::get(ctx, name));
}

std::string onnximport::formatNumber(double v) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%g", v);
  return s;
}

std::string NodeContext::describe(const onnx::NodeProto &node) {
  if (!node.name().empty())
    return "node '" + node.name() + "'";
  for (const std::string &out : node.output())
    if (!out.empty())
      return "node producing '" + out + "'";
  return "unnamed node";
}

LogicalResult NodeContext::fail(const Twine &message) {
  if (error.empty()) {
    error = describe(node) + " (" + node.op_type() + ", domain '" +
            (node.domain().empty() ? "ai.onnx" : node.domain()) + "', opset " +
            std::to_string(opset) + "): " + message.str();
  }
  return failure();
}

void NodeContext::warn(const Twine &message) {
  // One warning per distinct message: a model has many nodes of one kind.
  std::string text = message.str();
  if (!llvm::is_contained(warnings, text))
    warnings.push_back(text);
}

Value NodeContext::optionalInput(int i) {
  if (!hasInput(i))
    return nullptr;
  return values.lookup(node.input(i));
}

FailureOr<Value> NodeContext::input(int i) {
  if (!hasInput(i))
    return fail("required input " + Twine(i) + " is missing");
  return values.lookup(node.input(i));
}

LogicalResult NodeContext::rejectOutputsFrom(int first, StringRef why) {
  for (int i = first; i < node.output_size(); ++i)
    if (isOutputRead(i))
      return fail("output " + Twine(i) + " ('" + node.output(i) +
                  "') is not supported: " + why);
  return success();
}

FailureOr<SmallVector<int64_t>> NodeContext::constantInts(int i,
                                                          StringRef what) {
  FailureOr<Value> v = input(i);
  if (failed(v))
    return failure();
  DenseIntElementsAttr attr;
  if (!matchPattern(*v, m_Constant(&attr)))
    return notConstant(i, what);
  if (attr.getElementType().isInteger(1))
    return llvm::to_vector(llvm::map_range(attr.getValues<bool>(),
                                           [](bool v) { return int64_t(v); }));
  return llvm::to_vector(attr.getValues<int64_t>());
}

LogicalResult NodeContext::notConstant(int i, StringRef what) {
  std::string why;
  if (Value v = values.lookup(node.input(i));
      v && v.getDefiningOp<fg::ParamOp>())
    why = " (a floating-point initializer is a trainable parameter; give "
          "this value as a Constant node)";
  return fail("input '" + what + "' ('" + node.input(i) +
              "') must be a compile-time constant" + why);
}

FailureOr<double> NodeContext::constantScalar(int i, StringRef what) {
  FailureOr<Value> v = input(i);
  if (failed(v))
    return failure();
  DenseElementsAttr attr;
  if (!matchPattern(*v, m_Constant(&attr)))
    return notConstant(i, what);
  if (attr.getNumElements() != 1)
    return fail("input '" + what + "' must hold one element, got " +
                Twine(attr.getNumElements()));
  if (auto floats = dyn_cast<DenseFPElementsAttr>(attr))
    return (*floats.begin()).convertToDouble();
  if (attr.getElementType().isInteger(1))
    return *attr.getValues<bool>().begin() ? 1.0 : 0.0;
  return static_cast<double>(*attr.getValues<int64_t>().begin());
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

FailureOr<int64_t> NodeContext::attrInt(StringRef name, int64_t dflt) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::INT)
    return fail("attribute '" + name + "' must be an int");
  return a->i();
}

FailureOr<double> NodeContext::attrFloat(StringRef name, double dflt) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::FLOAT)
    return fail("attribute '" + name + "' must be a float");
  // ONNX floats are single precision: 1e-5f should read as 1e-5.
  return fg::shortestDouble(APFloat(a->f()));
}

FailureOr<std::string> NodeContext::attrString(StringRef name, StringRef dflt) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt.str();
  if (a->type() != onnx::AttributeProto::STRING)
    return fail("attribute '" + name + "' must be a string");
  return a->s();
}

FailureOr<std::optional<SmallVector<int64_t>>>
NodeContext::attrInts(StringRef name) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::optional<SmallVector<int64_t>>();
  if (a->type() != onnx::AttributeProto::INTS)
    return fail("attribute '" + name + "' must be a list of ints");
  return std::optional<SmallVector<int64_t>>(
      SmallVector<int64_t>(a->ints().begin(), a->ints().end()));
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank,
                                              StringRef what) {
  if (axis < -rank || axis >= rank)
    return fail(what + " " + Twine(axis) + " is out of range for rank " +
                Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

LogicalResult NodeContext::failInference() {
  return fail(lastDiagnostic.empty() ? "inconsistent operand shapes"
                                     : lastDiagnostic);
}

FailureOr<Value> NodeContext::finish(StringRef opName, ValueRange operands,
                                     ArrayRef<NamedAttribute> attrs,
                                     TypeRange types) {
  OperationState state(loc, opName);
  state.addOperands(operands);
  state.addAttributes(attrs);
  state.addTypes(types);
  Operation *op = b.create(state);
  SmallVector<Value> folded;
  if (succeeded(b.tryFold(op, folded)) && !folded.empty()) {
    op->erase();
    return folded.front();
  }
  return op->getResult(0);
}

FailureOr<Value> NodeContext::reshape(Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  auto result = RankedTensorType::get(shape, type.getElementType());
  if (result.getNumElements() != type.getNumElements())
    return fail("cannot reshape " + Twine(type.getNumElements()) +
                " elements to a shape of " + Twine(result.getNumElements()));
  return createTyped<fg::ReshapeOp>(result, v);
}

Value NodeContext::constant(DenseElementsAttr value) {
  return fg::ConstantOp::create(b, loc, value);
}
