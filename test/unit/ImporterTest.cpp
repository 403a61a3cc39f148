//===- ImporterTest.cpp - Unit tests of the ONNX importer API -------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Import/OnnxImporter.h"
#include "fgc/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

using namespace mlir;
using namespace fgc;

namespace {

/// An MLP layer in ONNX text: x[N,4] @ w[4,3] + b.
constexpr const char *kLinear = R"(
<ir_version: 8, opset_import: ["" : 17]>
linear (float[N, 4] x) => (float[N, 3] y)
<float[4, 3] w = {1,2,3,4,5,6,7,8,9,10,11,12}, float[3] b = {1, 2, 3}>
{
  t = MatMul(x, w)
  y = Add(t, b)
}
)";

class ImporterTest : public ::testing::Test {
protected:
  /// Imports and runs the clean-up phase, as every fgc subcommand does.
  ImportResult importText(StringRef text, const ImportOptions &options = {},
                          bool fuseLayerNorm = true) {
    ImportResult r = importOnnx(ctx, text, "test.onnxtxt", options);
    PipelineOptions cleanup;
    cleanup.fuseLayerNorm = fuseLayerNorm;
    std::string error;
    if (r.module && failed(runPipeline(*r.module, cleanup, Phase::ImportCleanup,
                                       Phase::ImportCleanup, error)))
      ADD_FAILURE() << error;
    return r;
  }
  MLIRContext ctx;
};

func::FuncOp forward(ImportResult &r) {
  return cast<func::FuncOp>(r.module->lookupSymbol("forward"));
}

template <typename OpTy> size_t count(ImportResult &r) {
  size_t n = 0;
  r.module->walk([&](OpTy) { ++n; });
  return n;
}

} // namespace

TEST_F(ImporterTest, ImportsInitializersAsParameters) {
  ImportOptions options;
  options.batchSize = 8;
  ImportResult r = importText(kLinear, options);
  ASSERT_TRUE(r.module) << r.error;
  func::FuncOp fn = forward(r);
  auto f32 = Float32Type::get(&ctx);
  EXPECT_EQ(fn.getFunctionType().getInput(0),
            RankedTensorType::get({8, 4}, f32));
  EXPECT_EQ(fn.getFunctionType().getResult(0),
            RankedTensorType::get({8, 3}, f32));
  EXPECT_EQ(fn.getArgAttrOfType<StringAttr>(0, "fg.name").getValue(), "x");
  EXPECT_EQ(fn.getResultAttrOfType<StringAttr>(0, "fg.name").getValue(), "y");
  auto w = r.module->lookupSymbol<fg::ParameterOp>("w");
  ASSERT_TRUE(w);
  EXPECT_EQ(w.getType(), RankedTensorType::get({4, 3}, f32));
  auto values = cast<DenseFPElementsAttr>(w.getValue());
  EXPECT_EQ(values.getValues<float>()[5], 6.0f);
  EXPECT_EQ(count<fg::ParamOp>(r), 2u);
}

TEST_F(ImporterTest, DynamicBatchNeedsAnOption) {
  ImportResult r = importText(kLinear);
  ASSERT_FALSE(r.module);
  EXPECT_NE(r.error.find("test.onnxtxt"), std::string::npos);
  EXPECT_NE(r.error.find("graph input 'x' dimension 0 ('N') is dynamic"),
            std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("--batch-size"), std::string::npos);
}

TEST_F(ImporterTest, InputShapeOverridesAndIsChecked) {
  ImportOptions options;
  options.inputShapes["x"] = {2, 4};
  ImportResult r = importText(kLinear, options);
  ASSERT_TRUE(r.module) << r.error;
  EXPECT_EQ(forward(r).getFunctionType().getInput(0),
            RankedTensorType::get({2, 4}, Float32Type::get(&ctx)));

  options.inputShapes["x"] = {2, 5};
  r = importText(kLinear, options);
  ASSERT_FALSE(r.module);
  EXPECT_NE(r.error.find("sets dimension 1 to 5 but the model fixes it to 4"),
            std::string::npos)
      << r.error;
  options.inputShapes["x"] = {2, 4, 1};
  r = importText(kLinear, options);
  EXPECT_NE(r.error.find("has rank 3 but the model declares rank 2"),
            std::string::npos)
      << r.error;
}

TEST_F(ImporterTest, UnsupportedOpNamesNodeTypeDomainAndOpset) {
  ImportResult r = importText(R"(
<ir_version: 8, opset_import: ["" : 15]>
g (float[2, 2] x) => (float y) { y = Det (x) }
)");
  ASSERT_FALSE(r.module);
  EXPECT_NE(r.error.find("(Det, domain 'ai.onnx', opset 15): operator is not "
                         "supported"),
            std::string::npos)
      << r.error;
}

TEST_F(ImporterTest, UnknownAttributeIsRejectedByName) {
  ImportResult r = importText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2, 3] x) => (float[2, 3] y) { y = Softmax <axis = 1, beta = 2> (x) }
)");
  ASSERT_FALSE(r.module);
  EXPECT_NE(r.error.find("attribute 'beta' is not supported"),
            std::string::npos)
      << r.error;
}

TEST_F(ImporterTest, OpsetOutsideRangeSuggestsConverter) {
  ImportResult r = importText(R"(
<ir_version: 7, opset_import: ["" : 11]>
g (float[2] x) => (float[2] y) { y = Relu (x) }
)");
  ASSERT_FALSE(r.module);
  EXPECT_NE(r.error.find("opset 11 is outside the supported range 13-17"),
            std::string::npos);
  EXPECT_NE(r.error.find("version_converter"), std::string::npos);
}

TEST_F(ImporterTest, NotAModel) {
  ImportResult r =
      importOnnx(ctx, StringRef("\x08\x96\x01\xff\xfe", 5), "junk.onnx");
  ASSERT_FALSE(r.module);
  EXPECT_NE(r.error.find("junk.onnx: not an ONNX model"), std::string::npos)
      << r.error;
}

TEST_F(ImporterTest, MissingFile) {
  ImportResult r = importOnnxFile(ctx, "/nonexistent/model.onnx");
  ASSERT_FALSE(r.module);
  EXPECT_NE(r.error.find("/nonexistent/model.onnx: cannot read file"),
            std::string::npos);
}

TEST_F(ImporterTest, TruncatedRawDataIsAnError) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(17);
  onnx::GraphProto *g = model.mutable_graph();
  onnx::TensorProto *w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  w->set_raw_data(std::string(15, '\0')); // 16 bytes needed
  onnx::NodeProto *n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("w");
  n->add_output("y");
  onnx::ValueInfoProto *out = g->add_output();
  out->set_name("y");
  std::string bytes = model.SerializeAsString();
  ImportResult r = importOnnx(ctx, bytes, "t.onnx");
  ASSERT_FALSE(r.module);
  EXPECT_NE(r.error.find("initializer 'w' has 15 bytes of raw data, expected "
                         "16"),
            std::string::npos)
      << r.error;
}

TEST_F(ImporterTest, ShapeSubgraphFoldsAway) {
  ImportOptions options;
  options.batchSize = 3;
  ImportResult r = importText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 2, 5] x) => (float[N, 10] y) {
  s = Shape (x)
  i = Constant <value = int64[1] {0}> ()
  n = Gather <axis = 0> (s, i)
  m = Constant <value = int64[1] {-1}> ()
  shape = Concat <axis = 0> (n, m)
  y = Reshape (x, shape)
}
)",
                              options);
  ASSERT_TRUE(r.module) << r.error;
  EXPECT_EQ(count<fg::ShapeOp>(r), 0u);
  EXPECT_EQ(count<fg::GatherOp>(r), 0u);
  EXPECT_EQ(count<fg::ReshapeOp>(r), 1u);
  EXPECT_EQ(forward(r).getFunctionType().getResult(0),
            RankedTensorType::get({3, 10}, Float32Type::get(&ctx)));
}

TEST_F(ImporterTest, DecomposedLayerNormIsFusedUnlessDisabled) {
  constexpr const char *text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2, 8] x) => (float[2, 8] y) {
  m = ReduceMean <axes = [-1]> (x)
  d = Sub (x, m)
  two = Constant <value = float {2.0}> ()
  p = Pow (d, two)
  v = ReduceMean <axes = [-1]> (p)
  eps = Constant <value = float {1e-5}> ()
  ve = Add (v, eps)
  s = Sqrt (ve)
  y = Div (d, s)
}
)";
  ImportResult fused = importText(text);
  ASSERT_TRUE(fused.module) << fused.error;
  EXPECT_EQ(count<fg::LayerNormOp>(fused), 1u);
  EXPECT_EQ(count<fg::ReduceMeanOp>(fused), 0u);
  ImportResult plain = importText(text, {}, /*fuseLayerNorm=*/false);
  ASSERT_TRUE(plain.module) << plain.error;
  EXPECT_EQ(count<fg::LayerNormOp>(plain), 0u);
  EXPECT_EQ(count<fg::ReduceMeanOp>(plain), 2u);
}

TEST_F(ImporterTest, LayerNormWithoutScaleWarns) {
  ImportResult r = importText(R"(
<ir_version: 8, opset_import: ["" : 17]>
g (float[2, 8] x) => (float[2, 8] y) {
  y = LayerNormalization <axis = -1, epsilon = 1e-5> (x, )
}
)");
  ASSERT_TRUE(r.module) << r.error;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("without a Scale input"), std::string::npos);
  fg::LayerNormOp ln;
  r.module->walk([&](fg::LayerNormOp op) { ln = op; });
  ASSERT_TRUE(ln);
  EXPECT_FALSE(ln.getScale());
  EXPECT_EQ(ln.getAxis(), 1);
}

TEST_F(ImporterTest, UndefinedValueIsNamed) {
  ImportResult r = importText(R"(
<ir_version: 8, opset_import: ["" : 17]>
g (float[2] x) => (float[2] y) { y = Add (x, nowhere) }
)");
  ASSERT_FALSE(r.module);
  EXPECT_NE(r.error.find("uses undefined value 'nowhere'"), std::string::npos)
      << r.error;
}

TEST(SupportedOps, CoversTheSubsetSorted) {
  SmallVector<OpSupport> ops = getSupportedOps();
  llvm::StringSet<> names;
  for (size_t i = 0; i < ops.size(); ++i) {
    names.insert(ops[i].opType);
    if (i)
      EXPECT_LT(ops[i - 1].opType, ops[i].opType);
  }
  for (StringRef op : {"Gemm",
                       "MatMul",
                       "Add",
                       "Sub",
                       "Mul",
                       "Div",
                       "Pow",
                       "Sqrt",
                       "Neg",
                       "Exp",
                       "Log",
                       "Erf",
                       "Abs",
                       "Relu",
                       "LeakyRelu",
                       "Sigmoid",
                       "Tanh",
                       "Softmax",
                       "LogSoftmax",
                       "ReduceMean",
                       "ReduceSum",
                       "ReduceMax",
                       "LayerNormalization",
                       "BatchNormalization",
                       "Conv",
                       "MaxPool",
                       "AveragePool",
                       "GlobalAveragePool",
                       "Flatten",
                       "Reshape",
                       "Transpose",
                       "Squeeze",
                       "Unsqueeze",
                       "Concat",
                       "Split",
                       "Slice",
                       "Gather",
                       "Shape",
                       "Constant",
                       "ConstantOfShape",
                       "Identity",
                       "Dropout",
                       "Cast"})
    EXPECT_TRUE(names.contains(op)) << op.str();
}
