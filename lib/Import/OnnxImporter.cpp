//===- OnnxImporter.cpp - ONNX ModelProto to the fg dialect ---------------===//
//
// The driver of the import: reads the model, checks the opset, fixes the
// graph inputs' shapes, declares parameters, converts nodes in order through
// the per-op converters (OnnxOps.cpp), and checks the outputs. Shapes are
// inferred by the fg ops themselves as they are built, so every value gets a
// static type and shape sub-graphs fold to constants on the way.
//
// This file is compiled with exceptions: the ONNX library's parser and
// checker report some errors by throwing.
//
//===----------------------------------------------------------------------===//

#include "fgc/Import/OnnxImporter.h"

#include "NodeContext.h"
#include "fgc/Dialect/FG/IR/FGAttributes.h"
#include "fgc/Dialect/FG/IR/FGDialect.h"
#include "fgc/Runtime/TrainerABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/defs/parser.h>
#include <onnx/version_converter/convert.h>

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;

namespace {

class GraphImporter {
public:
  GraphImporter(MLIRContext &ctx, const ImportOptions &options,
                ImportResult &result)
      : ctx(ctx), options(options), result(result), builder(&ctx) {}

  LogicalResult run(const onnx::ModelProto &model);

private:
  LogicalResult fail(const Twine &message) {
    if (result.error.empty())
      result.error = message.str();
    return failure();
  }
  LogicalResult checkOpsets(const onnx::ModelProto &model);
  FailureOr<RankedTensorType> inputType(const onnx::ValueInfoProto &input);
  LogicalResult declareInitializers(const onnx::GraphProto &graph);
  LogicalResult convertNode(const onnx::NodeProto &node);
  LogicalResult checkOutput(const onnx::ValueInfoProto &output, Value value);

  MLIRContext &ctx;
  const ImportOptions &options;
  ImportResult &result;
  OpBuilder builder;
  ModuleOp module;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  /// What defined each node output so far (NodeContext::describe): a value
  /// has one definition.
  llvm::StringMap<std::string> definedBy;
  /// Every name a node or the graph's outputs read: outputs nobody reads
  /// (the statistics of a BatchNormalization exported in training mode)
  /// need not be produced.
  llvm::StringSet<> readNames;
  llvm::StringMap<const OpConverter *> converters;
  NodeContext *currentNode = nullptr;
  /// The input whose static batch --batch-size replaced, and that batch.
  std::optional<std::pair<std::string, int64_t>> replacedBatch;
};

} // namespace

LogicalResult GraphImporter::checkOpsets(const onnx::ModelProto &model) {
  for (const onnx::OperatorSetIdProto &id : model.opset_import()) {
    if (id.domain().empty() || id.domain() == "ai.onnx")
      opset = id.version();
  }
  if (opset == 0)
    return fail("model does not import the default ONNX operator set "
                "(ai.onnx)");
  if (opset < kMinOpset || opset > kMaxOpset)
    return fail("ONNX opset " + Twine(opset) + " is outside the supported " +
                "range " + Twine(kMinOpset) + "-" + Twine(kMaxOpset) +
                "; convert the model first, e.g. with "
                "onnx.version_converter.convert_version(model, 17)");
  return success();
}

FailureOr<RankedTensorType>
GraphImporter::inputType(const onnx::ValueInfoProto &input) {
  const std::string &name = input.name();
  if (!input.type().has_tensor_type())
    return fail("graph input '" + name + "' is not a tensor");
  const onnx::TypeProto::Tensor &tensor = input.type().tensor_type();
  Type elt = convertElementType(&ctx, tensor.elem_type());
  if (!elt)
    return fail("graph input '" + name + "' has unsupported element type " +
                elementTypeName(tensor.elem_type()) +
                " (supported: FLOAT, DOUBLE, INT64, BOOL)");
  SmallVector<int64_t> shape;
  auto it = options.inputShapes.find(name);
  if (it != options.inputShapes.end()) {
    shape.assign(it->second.begin(), it->second.end());
    const std::string &flag = options.shapeFlag;
    if (tensor.has_shape() &&
        tensor.shape().dim_size() != static_cast<int>(shape.size()))
      return fail(flag + " for '" + name + "' has rank " + Twine(shape.size()) +
                  " but the model declares rank " +
                  Twine(tensor.shape().dim_size()));
    for (auto [i, d] : llvm::enumerate(shape)) {
      const auto &dim = tensor.shape().dim(i);
      if (dim.has_dim_value() && dim.dim_value() != d)
        return fail(flag + " for '" + name + "' sets dimension " + Twine(i) +
                    " to " + Twine(d) + " but the model fixes it to " +
                    Twine(dim.dim_value()));
    }
  } else {
    if (!tensor.has_shape())
      return fail("graph input '" + name +
                  "' has no shape; give one with "
                  "--input-shape " +
                  name + "=DxDx...");
    for (int i = 0; i < tensor.shape().dim_size(); ++i) {
      const auto &dim = tensor.shape().dim(i);
      bool fixed = dim.has_dim_value() && dim.dim_value() > 0;
      if (i == 0 && options.batchSize) {
        if (fixed && dim.dim_value() != *options.batchSize && !replacedBatch)
          replacedBatch = {name, dim.dim_value()};
        shape.push_back(*options.batchSize);
        continue;
      }
      if (fixed) {
        shape.push_back(dim.dim_value());
        continue;
      }
      if (i == 0 && options.assumedBatchSize) {
        shape.push_back(*options.assumedBatchSize);
        result.batchAssumed = true;
        continue;
      }
      std::string symbol =
          dim.has_dim_param() ? " ('" + dim.dim_param() + "')" : "";
      return fail("graph input '" + name + "' dimension " + Twine(i) + symbol +
                  " is dynamic; fix it with " +
                  (i == 0 ? "--batch-size N or " : "") + "--input-shape " +
                  name + "=DxDx...");
    }
  }
  for (int64_t d : shape)
    if (d <= 0)
      return fail("graph input '" + name + "' would have dimension " +
                  Twine(d) + "; dimensions must be positive");
  return RankedTensorType::get(shape, elt);
}

LogicalResult
GraphImporter::declareInitializers(const onnx::GraphProto &graph) {
  SymbolTable symbols(module);
  for (const onnx::TensorProto &init : graph.initializer()) {
    if (init.name().empty())
      return fail("an initializer has no name");
    if (values.count(init.name()))
      return fail("initializer '" + init.name() + "' is defined twice");
    std::string why;
    DenseElementsAttr value = tensorToAttr(&ctx, init, why);
    if (!value)
      return fail("initializer '" + init.name() + "' " + why);
    Location loc = NameLoc::get(builder.getStringAttr(init.name()));
    // Floating-point initializers are the trainable parameters; integer ones
    // (shapes, indices) are constants of the graph.
    if (!isa<FloatType>(value.getElementType())) {
      builder.setInsertionPointToEnd(
          &cast<func::FuncOp>(module.lookupSymbol(rt::abi::kForward)).front());
      values[init.name()] = fg::ConstantOp::create(builder, loc, value);
      continue;
    }
    builder.setInsertionPoint(module.lookupSymbol(rt::abi::kForward));
    auto param = fg::ParameterOp::create(builder, loc,
                                         builder.getStringAttr(init.name()),
                                         cast<ElementsAttr>(value));
    symbols.insert(param);
    if (param.getSymName() != init.name())
      return fail("initializer name '" + init.name() + "' collides with " +
                  "another symbol");
    builder.setInsertionPointToEnd(
        &cast<func::FuncOp>(module.lookupSymbol(rt::abi::kForward)).front());
    values[init.name()] =
        fg::ParamOp::create(builder, loc, param.getType(),
                            FlatSymbolRefAttr::get(param.getSymNameAttr()));
  }
  return success();
}

LogicalResult GraphImporter::convertNode(const onnx::NodeProto &node) {
  for (const std::string &in : node.input())
    if (!in.empty() && !values.count(in))
      return fail(NodeContext::describe(node) + " (" + node.op_type() +
                  ") uses undefined value '" + in + "'");
  NodeContext nc(builder, node, opset, values, result.error, result.warnings);
  nc.setReadNames(&readNames);
  // ONNX graphs are in SSA form: a second definition would silently replace
  // the first for the later nodes.
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &out = node.output(i);
    if (out.empty())
      continue;
    for (int j = 0; j < i; ++j)
      if (node.output(j) == out)
        return nc.fail("output '" + out + "' is listed twice");
    if (!values.count(out))
      continue;
    auto by = definedBy.find(out);
    return nc.fail(
        "value '" + out + "' is already defined by " +
        (by != definedBy.end() ? by->second : "a graph input or initializer"));
  }
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return nc.fail("operator domain '" + node.domain() + "' is not supported");
  const OpConverter *conv = converters.lookup(node.op_type());
  if (!conv)
    return nc.fail("operator is not supported by fgc (see docs/"
                   "onnx-support.md)");
  for (const onnx::AttributeProto &a : node.attribute())
    if (!llvm::is_contained(conv->attributes, a.name()))
      return nc.fail("attribute '" + a.name() + "' is not supported");
  currentNode = &nc;
  LogicalResult converted = conv->convert(nc);
  currentNode = nullptr;
  if (failed(converted))
    return nc.fail("conversion failed");
  for (int i = 0; i < node.output_size(); ++i)
    if (nc.isOutputRead(i) && !values.lookup(node.output(i)))
      return nc.fail("output " + Twine(i) + " was not produced");
  for (const std::string &out : node.output())
    if (!out.empty())
      definedBy[out] =
          NodeContext::describe(node) + " (" + node.op_type() + ")";
  return success();
}

LogicalResult GraphImporter::checkOutput(const onnx::ValueInfoProto &output,
                                         Value value) {
  if (!output.type().has_tensor_type())
    return success();
  const onnx::TypeProto::Tensor &declared = output.type().tensor_type();
  auto type = cast<RankedTensorType>(value.getType());
  Type elt = convertElementType(&ctx, declared.elem_type());
  if (declared.elem_type() != 0 && elt != type.getElementType())
    return fail("graph output '" + output.name() + "' is declared " +
                elementTypeName(declared.elem_type()) + " but computes " +
                str(type.getElementType()));
  if (!declared.has_shape())
    return success();
  if (declared.shape().dim_size() != type.getRank())
    return fail("graph output '" + output.name() + "' is declared with rank " +
                Twine(declared.shape().dim_size()) + " but computes " +
                str(type));
  for (int i = 0; i < type.getRank(); ++i) {
    const auto &dim = declared.shape().dim(i);
    // An output's leading dimension follows a batch --batch-size replaced.
    if (i == 0 && replacedBatch && dim.dim_value() == replacedBatch->second &&
        type.getDimSize(0) == *options.batchSize)
      continue;
    if (dim.has_dim_value() && dim.dim_value() != type.getDimSize(i))
      return fail("graph output '" + output.name() + "' is declared with " +
                  "dimension " + Twine(i) + " = " + Twine(dim.dim_value()) +
                  " but computes " + str(type));
  }
  return success();
}

LogicalResult GraphImporter::run(const onnx::ModelProto &model) {
  if (failed(checkOpsets(model)))
    return failure();
  for (const OpConverter &c : getOpConverters())
    converters[c.opType] = &c;
  const onnx::GraphProto &graph = model.graph();

  // Any error diagnostic (from op type inference) becomes the current
  // node's message instead of being printed.
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error && currentNode)
      currentNode->lastDiagnostic = diag.str();
    return success();
  });

  Location loc = FileLineColLoc::get(&ctx, graph.name(), 0, 0);
  module = ModuleOp::create(loc);
  result.module = module;
  builder.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(builder, loc, rt::abi::kForward,
                                   builder.getFunctionType({}, {}));
  Block *entry = func.addEntryBlock();

  llvm::StringSet<> initNames;
  for (const onnx::TensorProto &init : graph.initializer())
    initNames.insert(init.name());
  SmallVector<Type> argTypes;
  SmallVector<Attribute> argNames;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    // Before IR version 4 initializers were also listed as inputs.
    if (initNames.contains(in.name()))
      continue;
    if (in.name().empty())
      return fail("a graph input has no name");
    if (values.count(in.name()))
      return fail("graph input '" + in.name() + "' is listed twice");
    FailureOr<RankedTensorType> type = inputType(in);
    if (failed(type))
      return failure();
    if (DenseElementsAttr value = options.constantInputs.lookup(in.name())) {
      if (value.getType() != *type)
        return fail("the constant given for input '" + in.name() + "' is " +
                    str(value.getType()) + " but the input is " + str(*type));
      builder.setInsertionPointToEnd(entry);
      values[in.name()] = fg::ConstantOp::create(builder, loc, value);
      continue;
    }
    values[in.name()] = entry->addArgument(*type, loc);
    argTypes.push_back(*type);
    argNames.push_back(builder.getStringAttr(in.name()));
  }
  if (failed(declareInitializers(graph)))
    return failure();

  for (const onnx::NodeProto &node : graph.node())
    for (const std::string &in : node.input())
      readNames.insert(in);
  for (const onnx::ValueInfoProto &out : graph.output())
    readNames.insert(out.name());
  builder.setInsertionPointToEnd(entry);
  for (const onnx::NodeProto &node : graph.node())
    if (failed(convertNode(node))) {
      if (replacedBatch)
        result.error +=
            " (the model fixes the batch of input '" + replacedBatch->first +
            "' to " + std::to_string(replacedBatch->second) +
            ", which --batch-size " + std::to_string(*options.batchSize) +
            " replaced: a node that depends on it needs a model "
            "exported with a dynamic batch)";
      return failure();
    }

  SmallVector<Value> outputs;
  SmallVector<Type> outputTypes;
  if (graph.output_size() == 0)
    return fail("the graph has no outputs");
  llvm::StringSet<> outputNames;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    // Each output is a named result of the step (and an output tensor of
    // `fgc run`): one value may not be two of them.
    if (!outputNames.insert(out.name()).second)
      return fail("graph output '" + out.name() + "' is listed twice");
    Value v = values.lookup(out.name());
    if (!v)
      return fail("graph output '" + out.name() + "' is never computed");
    if (failed(checkOutput(out, v)))
      return failure();
    outputs.push_back(v);
    outputTypes.push_back(v.getType());
  }
  func::ReturnOp::create(builder, loc, outputs);
  func.setFunctionType(builder.getFunctionType(argTypes, outputTypes));
  for (auto [i, name] : llvm::enumerate(argNames))
    fg::setArgName(func, i, cast<StringAttr>(name).getValue());
  for (auto [i, out] : llvm::enumerate(graph.output()))
    fg::setResultName(func, i, out.name());

  if (failed(verify(module)))
    return fail("internal error: the imported IR does not verify (please "
                "report this model)");

  return success();
}

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

static bool looksLikeText(StringRef bytes) {
  StringRef trimmed = bytes.ltrim();
  return trimmed.starts_with("<") ||
         (!trimmed.empty() && llvm::all_of(trimmed.take_front(256), [](char c) {
           return llvm::isPrint(c) || llvm::isSpace(c);
         }));
}

/// Parses ONNX textual syntax; the ONNX parser may throw on malformed
/// input, which is caught here.
static bool parseText(StringRef bytes, onnx::ModelProto &model,
                      std::string &error) {
  std::string text = bytes.str();
  try {
    onnx::OnnxParser parser(text.c_str());
    onnx::Status status = parser.Parse(model);
    if (!status.IsOK()) {
      error = status.ErrorMessage();
      // Keep the message on one line.
      std::replace(error.begin(), error.end(), '\n', ' ');
      return false;
    }
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  }
  return true;
}

ImportResult fgc::importOnnx(MLIRContext &context, StringRef bytes,
                             StringRef sourceName,
                             const ImportOptions &options) {
  ImportResult result;
  context.loadDialect<fg::FGDialect, func::FuncDialect>();
  onnx::ModelProto model;
  bool text = sourceName.ends_with(".onnxtxt") || sourceName.ends_with(".txt");
  std::string why;
  if (text || !model.ParseFromArray(bytes.data(), bytes.size())) {
    model.Clear();
    if (!text && !looksLikeText(bytes)) {
      result.error = sourceName.str() +
                     ": not an ONNX model (the bytes are "
                     "neither a binary ModelProto nor ONNX text)";
      return result;
    }
    if (!parseText(bytes, model, why)) {
      result.error = sourceName.str() + ": not an ONNX model: " + why;
      return result;
    }
  }
  if (options.upgradeOpset) {
    int64_t version = 0;
    for (const onnx::OperatorSetIdProto &id : model.opset_import())
      if (id.domain().empty() || id.domain() == "ai.onnx")
        version = id.version();
    if (version > 0 && version < kMinOpset) {
      try {
        model = onnx::version_conversion::ConvertVersion(model, kMinOpset);
      } catch (const std::exception &e) {
        std::string why = e.what();
        std::replace(why.begin(), why.end(), '\n', ' ');
        result.error = sourceName.str() +
                       ": ONNX's version converter could not convert opset " +
                       std::to_string(version) + " to " +
                       std::to_string(kMinOpset) + ": " + why;
        return result;
      }
      result.warnings.push_back(
          "converted from opset " + std::to_string(version) + " to " +
          std::to_string(kMinOpset) + " with ONNX's version converter");
    }
  }
  if (options.keepModelBytes)
    result.modelBytes = model.SerializeAsString();
  try {
    GraphImporter importer(context, options, result);
    if (failed(importer.run(model))) {
      result.module = nullptr;
      result.error = sourceName.str() + ": " + result.error;
    }
  } catch (const std::exception &e) {
    result.module = nullptr;
    result.error = sourceName.str() + ": " + e.what();
  }
  for (std::string &w : result.warnings)
    w = sourceName.str() + ": " + w;
  return result;
}

ImportResult fgc::importOnnxFile(MLIRContext &context, StringRef path,
                                 const ImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false);
  if (!buffer) {
    ImportResult result;
    result.error =
        path.str() + ": cannot read file: " + buffer.getError().message();
    return result;
  }
  return importOnnx(context, (*buffer)->getBuffer(), path, options);
}

void fgc::registerImportDialects(DialectRegistry &registry) {
  registry.insert<fg::FGDialect, func::FuncDialect>();
}

SmallVector<OpSupport> fgc::getSupportedOps() {
  SmallVector<OpSupport> ops;
  for (const OpConverter &c : getOpConverters())
    ops.push_back({c.opType, c.attributes, c.notes});
  return ops;
}
