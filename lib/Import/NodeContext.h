//===- NodeContext.h - State shared by the ONNX op converters ---*- C++ -*-===//
//
// Internal to lib/Import. A NodeContext gives one op converter typed access
// to its node's inputs, attributes and outputs, and builds fg ops through
// their type inference so that inconsistent nodes become import errors.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_IMPORT_NODECONTEXT_H
#define FGC_LIB_IMPORT_NODECONTEXT_H

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <string>

namespace fgc::onnximport {

class NodeContext;

/// Prints an MLIR type or attribute (or anything printable) for a message.
template <typename T> std::string str(const T &value) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << value;
  return s;
}

/// Converts one ONNX node; reports failures through NodeContext::fail.
using ConvertFn = mlir::LogicalResult (*)(NodeContext &);

struct OpConverter {
  llvm::StringRef opType;
  llvm::SmallVector<llvm::StringRef> attributes;
  llvm::StringRef notes;
  ConvertFn convert;
};

/// The converters of all supported ops, sorted by op type.
llvm::ArrayRef<OpConverter> getOpConverters();

/// Converts a TensorProto to an elements attribute; on failure returns null
/// and sets `error` (without the node/initializer name, which the caller
/// adds).
mlir::DenseElementsAttr tensorToAttr(mlir::MLIRContext *ctx,
                                     const onnx::TensorProto &tensor,
                                     std::string &error);

/// Maps an ONNX element type to f32/f64/i64/i1, or null for other types.
mlir::Type convertElementType(mlir::MLIRContext *ctx, int32_t onnxType);

/// The ONNX name of an element type, for messages.
std::string elementTypeName(int32_t onnxType);

/// A number as messages print it (printf's %g: "0.5", "1", "1e+06").
std::string formatNumber(double v);

class NodeContext {
public:
  NodeContext(mlir::OpBuilder &builder, const onnx::NodeProto &node,
              int64_t opset, llvm::StringMap<mlir::Value> &values,
              std::string &error, llvm::SmallVectorImpl<std::string> &warnings)
      : b(builder), node(node), opset(opset), values(values), error(error),
        warnings(warnings), loc(locationFor(builder.getContext(), node)) {}

  mlir::OpBuilder &b;
  const onnx::NodeProto &node;
  const int64_t opset;

  mlir::MLIRContext *getContext() { return b.getContext(); }
  mlir::Location getLoc() const { return loc; }

  /// Records an error message for this node and returns failure.
  mlir::LogicalResult fail(const llvm::Twine &message);
  void warn(const llvm::Twine &message);

  //===--- Inputs and outputs ---------------------------------------------===//

  /// The number of inputs listed (absent optional ones included).
  int numInputs() const { return node.input_size(); }
  /// Whether input `i` is present (exists and is not the empty name).
  bool hasInput(int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  /// Input `i`, or null when it is absent.
  mlir::Value optionalInput(int i);
  /// Input `i`, failing with a message when it is absent.
  mlir::FailureOr<mlir::Value> input(int i);
  /// Whether output `i` is present (exists and is not the empty name).
  bool hasOutput(int i) const {
    return i < node.output_size() && !node.output(i).empty();
  }
  void setOutput(int i, mlir::Value v) {
    if (hasOutput(i))
      values[node.output(i)] = v;
  }
  /// Whether a later node or the graph's outputs read output `i` (true
  /// when the importer did not say which names are read).
  bool isOutputRead(int i) const {
    return hasOutput(i) && (!readNames || readNames->contains(node.output(i)));
  }
  /// The names the graph reads (node inputs and graph outputs).
  void setReadNames(const llvm::StringSet<> *names) { readNames = names; }
  /// Fails naming the first output from `first` on that the graph reads.
  mlir::LogicalResult rejectOutputsFrom(int first, llvm::StringRef why);

  /// The values of a constant i64 input, failing when it is not constant.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  constantInts(int i, llvm::StringRef what);
  /// Fails saying input `i` must be a compile-time constant (and why a
  /// float initializer is not one).
  mlir::LogicalResult notConstant(int i, llvm::StringRef what);
  /// The one element of a constant input of any numeric type, as a double
  /// (Range's limits, OneHot's depth).
  mlir::FailureOr<double> constantScalar(int i, llvm::StringRef what);

  //===--- Attributes
  //------------------------------------------------------===//

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  mlir::FailureOr<int64_t> attrInt(llvm::StringRef name, int64_t dflt);
  mlir::FailureOr<double> attrFloat(llvm::StringRef name, double dflt);
  mlir::FailureOr<std::string> attrString(llvm::StringRef name,
                                          llvm::StringRef dflt);
  /// The ints attribute, or std::nullopt when absent.
  mlir::FailureOr<std::optional<llvm::SmallVector<int64_t>>>
  attrInts(llvm::StringRef name);

  //===--- Building ops
  //----------------------------------------------------===//

  /// Creates an op whose result types are inferred, then folds it. Fails
  /// (with the inference diagnostic as the message) when the operands and
  /// attributes are inconsistent.
  template <typename OpTy>
  mlir::FailureOr<mlir::Value>
  create(mlir::ValueRange operands,
         llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    llvm::SmallVector<mlir::Type> types;
    mlir::DictionaryAttr dict = b.getDictionaryAttr(attrs);
    if (mlir::failed(OpTy::inferReturnTypes(getContext(), loc, operands, dict,
                                            /*properties=*/nullptr,
                                            /*regions=*/{}, types)))
      return failInference();
    return finish(OpTy::getOperationName(), operands, attrs, types);
  }

  /// Creates an op with explicit result types (ops without inference).
  template <typename OpTy>
  mlir::FailureOr<mlir::Value>
  createTyped(mlir::Type type, mlir::ValueRange operands,
              llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    return finish(OpTy::getOperationName(), operands, attrs, {type});
  }

  /// Reshapes `v` to `shape` (a no-op when it already has that shape).
  mlir::FailureOr<mlir::Value> reshape(mlir::Value v,
                                       llvm::ArrayRef<int64_t> shape);
  mlir::Value constant(mlir::DenseElementsAttr value);

  mlir::NamedAttribute named(llvm::StringRef name, mlir::Attribute value) {
    return b.getNamedAttr(name, value);
  }
  mlir::NamedAttribute namedI64(llvm::StringRef name, int64_t value) {
    return named(name, b.getI64IntegerAttr(value));
  }
  mlir::NamedAttribute namedF64(llvm::StringRef name, double value) {
    return named(name, b.getF64FloatAttr(value));
  }
  mlir::NamedAttribute namedArray(llvm::StringRef name,
                                  llvm::ArrayRef<int64_t> value) {
    return named(name, b.getDenseI64ArrayAttr(value));
  }
  mlir::NamedAttribute namedBool(llvm::StringRef name, bool value) {
    return named(name, b.getBoolAttr(value));
  }

  /// Normalises a possibly negative axis against `rank`.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                         llvm::StringRef what = "axis");

  /// "node 'name'", or "node producing 'out'" for unnamed nodes (as the
  /// ONNX text syntax writes them).
  static std::string describe(const onnx::NodeProto &node);

  static mlir::Location locationFor(mlir::MLIRContext *ctx,
                                    const onnx::NodeProto &node);

  /// Set by the importer's diagnostic handler: the last error emitted at
  /// this node's location.
  std::string lastDiagnostic;

private:
  mlir::LogicalResult failInference();
  mlir::FailureOr<mlir::Value>
  finish(llvm::StringRef opName, mlir::ValueRange operands,
         llvm::ArrayRef<mlir::NamedAttribute> attrs, mlir::TypeRange types);

  llvm::StringMap<mlir::Value> &values;
  std::string &error;
  const llvm::StringSet<> *readNames = nullptr;
  llvm::SmallVectorImpl<std::string> &warnings;
  mlir::Location loc;
};

/// Sets the node's output 0 to `v`, or fails when building `v` failed (the
/// error is already recorded).
inline mlir::LogicalResult setResult(NodeContext &nc,
                                     mlir::FailureOr<mlir::Value> v) {
  if (mlir::failed(v))
    return mlir::failure();
  nc.setOutput(0, *v);
  return mlir::success();
}

} // namespace fgc::onnximport

/// Unwraps a FailureOr into `var`, returning failure from the converter.
#define TRY(var, expr)                                                         \
  auto var##OrFail = (expr);                                                   \
  if (mlir::failed(var##OrFail))                                               \
    return mlir::failure();                                                    \
  auto var = std::move(*var##OrFail);

#endif // FGC_LIB_IMPORT_NODECONTEXT_H
