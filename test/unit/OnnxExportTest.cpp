//===- OnnxExportTest.cpp - Unit tests of the ONNX initializer rewriting --===//
//
// stripInitializers (what fgc compile embeds in a trainer) and
// replaceInitializers (what the trainer's --export writes) work on the
// protobuf wire format by hand; their results are read back with the ONNX
// library's own protobuf classes.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/OnnxExport.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

using namespace fgc::rt;

namespace {

/// A small model: a weight as raw data, a bias as float_data, a shape
/// constant as int64_data, and a node. The ONNX library writes `dims`
/// unpacked (proto2), fgc's serializer writes them packed: both are read.
std::string smallModel() {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  onnx::GraphProto *g = m.mutable_graph();
  g->set_name("g");
  onnx::NodeProto *n = g->add_node();
  n->set_op_type("Gemm");
  n->add_input("x");
  n->add_input("w");
  n->add_input("b");
  n->add_output("y");
  onnx::TensorProto *w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(2);
  w->add_dims(3);
  float values[6] = {1, 2, 3, 4, 5, 6};
  w->set_raw_data(std::string(reinterpret_cast<char *>(values), sizeof values));
  onnx::TensorProto *b = g->add_initializer();
  b->set_name("b");
  b->set_data_type(onnx::TensorProto::FLOAT);
  b->add_dims(3);
  for (float v : {0.5f, -0.5f, 0.25f})
    b->add_float_data(v);
  onnx::TensorProto *s = g->add_initializer();
  s->set_name("shape");
  s->set_data_type(onnx::TensorProto::INT64);
  s->add_dims(2);
  s->add_int64_data(-1);
  s->add_int64_data(6);
  return m.SerializeAsString();
}

const onnx::TensorProto *initializer(const onnx::ModelProto &m,
                                     const std::string &name) {
  for (const onnx::TensorProto &t : m.graph().initializer())
    if (t.name() == name)
      return &t;
  return nullptr;
}

Tensor filled(std::vector<int64_t> shape, float start) {
  Tensor t(DType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<float>()[i] = start + i;
  return t;
}

TEST(StripInitializers, DropsTheNamedValuesOnly) {
  std::string model = smallModel(), out, error;
  ASSERT_TRUE(stripInitializers(model, {"w", "b"}, out, error)) << error;
  EXPECT_LT(out.size(), model.size() - 24 - 12);
  onnx::ModelProto before, after;
  ASSERT_TRUE(before.ParseFromString(model));
  ASSERT_TRUE(after.ParseFromString(out));
  for (const char *name : {"w", "b"}) {
    const onnx::TensorProto *t = initializer(after, name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->data_type(), onnx::TensorProto::FLOAT);
    EXPECT_EQ(t->dims_size(), initializer(before, name)->dims_size());
    EXPECT_FALSE(t->has_raw_data());
    EXPECT_EQ(t->float_data_size(), 0);
  }
  EXPECT_EQ(initializer(after, "w")->dims(1), 3);
  EXPECT_EQ(initializer(after, "shape")->SerializeAsString(),
            initializer(before, "shape")->SerializeAsString());
  EXPECT_EQ(after.graph().node(0).SerializeAsString(),
            before.graph().node(0).SerializeAsString());
  EXPECT_EQ(after.opset_import(0).version(), 13);
}

TEST(StripInitializers, ReplacingPutsTheValuesBack) {
  std::string model = smallModel(), stripped, error;
  ASSERT_TRUE(stripInitializers(model, {"w", "b"}, stripped, error)) << error;
  Tensor w = filled({2, 3}, 10), b = filled({3}, -1);
  std::map<std::string, const Tensor *> values = {{"w", &w}, {"b", &b}};
  std::string fromStripped, fromWhole;
  ASSERT_TRUE(replaceInitializers(stripped, values, fromStripped, error))
      << error;
  ASSERT_TRUE(replaceInitializers(model, values, fromWhole, error)) << error;
  // The trained model does not depend on whether the values were embedded.
  EXPECT_EQ(fromStripped, fromWhole);
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(fromStripped));
  const onnx::TensorProto *t = initializer(m, "w");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->raw_data().size(), 6 * sizeof(float));
  const float *got = reinterpret_cast<const float *>(t->raw_data().data());
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(got[i], 10.0f + i);
  EXPECT_EQ(initializer(m, "shape")->int64_data(1), 6);
}

TEST(StripInitializers, ErrorsNameTheInitializer) {
  std::string model = smallModel(), out, error;
  EXPECT_FALSE(stripInitializers(model, {"w", "missing"}, out, error));
  EXPECT_EQ(error, "the ONNX model has no initializer 'missing'");

  std::string stripped;
  ASSERT_TRUE(stripInitializers(model, {"w"}, stripped, error)) << error;
  Tensor wrong = filled({4}, 0);
  EXPECT_FALSE(replaceInitializers(stripped, {{"w", &wrong}}, out, error));
  EXPECT_EQ(error, "initializer 'w' has 6 elements, the trained value 4");

  EXPECT_FALSE(
      stripInitializers(model.substr(0, model.size() - 3), {"w"}, out, error));
  EXPECT_NE(error.find("malformed"), std::string::npos) << error;
}

} // namespace
