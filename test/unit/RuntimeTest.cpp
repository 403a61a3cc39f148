//===- RuntimeTest.cpp - Unit tests of the fgc runtime --------------------===//
//
// The TensorProto codec is checked against the ONNX library's own protobuf
// classes, the BLAS entry points against naive triple loops in double
// precision, memrefCopy against index arithmetic.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/Blas.h"
#include "fgc/Runtime/Call.h"
#include "fgc/Runtime/Random.h"
#include "fgc/Runtime/TensorIO.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <unistd.h>

using namespace fgc::rt;

namespace {

Tensor iota(DType dtype, std::vector<int64_t> shape) {
  Tensor t(dtype, std::move(shape));
  for (int64_t i = 0; i < t.numElements(); ++i) {
    if (dtype == DType::F32)
      t.data<float>()[i] = 0.5f * i - 3;
    else if (dtype == DType::F64)
      t.data<double>()[i] = 0.25 * i - 7;
    else
      t.data<int64_t>()[i] = i * 1000003 - 5;
  }
  return t;
}

bool sameBytes(const Tensor &a, const Tensor &b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), a.byteSize()) == 0;
}

} // namespace

TEST(Npy, RoundTripsEveryDtypeAndRank) {
  for (DType d : {DType::F32, DType::F64, DType::I64})
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{}, {5}, {2, 3}, {2, 0, 4}, {1, 2, 3, 4}}) {
      Tensor t = iota(d, shape), back;
      std::string error;
      std::string bytes = serializeNpy(t);
      EXPECT_EQ(bytes.find("\x93NUMPY"), 0u);
      // The data starts 64-byte aligned, as numpy writes it.
      EXPECT_EQ((bytes.size() - t.byteSize()) % 64, 0u);
      ASSERT_TRUE(parseNpy(bytes, back, error)) << error;
      EXPECT_TRUE(sameBytes(t, back)) << t.typeString();
    }
}

TEST(Npy, ParsesNumpyWrittenHeaders) {
  // What numpy 1.24 writes for np.zeros((2, 3), np.float32).
  std::string header = "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (2, 3), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8) +
                      char(header.size()) + char(0) + header +
                      std::string(24, '\0');
  Tensor t;
  std::string error;
  ASSERT_TRUE(parseNpy(bytes, t, error)) << error;
  EXPECT_EQ(t.typeString(), "f32[2x3]");
}

TEST(Npy, RejectsBadFiles) {
  Tensor t;
  std::string error;
  EXPECT_FALSE(parseNpy("hello", t, error));
  EXPECT_NE(error.find("not a .npy file"), std::string::npos);
  std::string good = serializeNpy(iota(DType::F32, {2, 3}));
  EXPECT_FALSE(parseNpy(good.substr(0, good.size() - 4), t, error));
  EXPECT_NE(error.find("bytes of data, expected 24"), std::string::npos);
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_FALSE(parseNpy(fortran, t, error));
  EXPECT_NE(error.find("Fortran-order"), std::string::npos);
  EXPECT_FALSE(parseNpy(good.substr(0, 12), t, error));
}

TEST(TensorProto, MatchesTheOnnxLibrary) {
  for (DType d : {DType::F32, DType::F64, DType::I64}) {
    Tensor t = iota(d, {3, 4});
    // Ours -> ONNX's parser.
    onnx::TensorProto proto;
    ASSERT_TRUE(proto.ParseFromString(serializeTensorProto(t, "w")));
    EXPECT_EQ(proto.name(), "w");
    ASSERT_EQ(proto.dims_size(), 2);
    EXPECT_EQ(proto.dims(0), 3);
    EXPECT_EQ(proto.dims(1), 4);
    EXPECT_EQ(proto.raw_data().size(), t.byteSize());
    EXPECT_EQ(std::memcmp(proto.raw_data().data(), t.data(), t.byteSize()), 0);
    // ONNX's serializer, with typed fields instead of raw_data -> ours.
    onnx::TensorProto typed;
    typed.add_dims(3);
    typed.add_dims(4);
    typed.set_name("typed");
    for (int64_t i = 0; i < t.numElements(); ++i) {
      if (d == DType::F32) {
        typed.set_data_type(onnx::TensorProto::FLOAT);
        typed.add_float_data(t.data<float>()[i]);
      } else if (d == DType::F64) {
        typed.set_data_type(onnx::TensorProto::DOUBLE);
        typed.add_double_data(t.data<double>()[i]);
      } else {
        typed.set_data_type(onnx::TensorProto::INT64);
        typed.add_int64_data(t.data<int64_t>()[i]);
      }
    }
    Tensor back;
    std::string name, error;
    ASSERT_TRUE(parseTensorProto(typed.SerializeAsString(), back, name, error))
        << error;
    EXPECT_EQ(name, "typed");
    EXPECT_TRUE(sameBytes(t, back));
  }
}

TEST(TensorProto, RejectsUnsupportedAndCorrupt) {
  onnx::TensorProto proto;
  proto.set_data_type(onnx::TensorProto::INT32);
  proto.add_dims(2);
  proto.add_int32_data(1);
  proto.add_int32_data(2);
  Tensor t;
  std::string name, error;
  EXPECT_FALSE(parseTensorProto(proto.SerializeAsString(), t, name, error));
  EXPECT_NE(error.find("unsupported TensorProto element type INT32"),
            std::string::npos);
  std::string good = serializeTensorProto(iota(DType::F32, {4}));
  EXPECT_FALSE(parseTensorProto(good.substr(0, good.size() - 3), t, name,
                                error));
  EXPECT_NE(error.find("truncated or corrupt"), std::string::npos);
  proto.Clear();
  proto.set_data_type(onnx::TensorProto::FLOAT);
  proto.add_dims(4);
  proto.add_float_data(1);
  EXPECT_FALSE(parseTensorProto(proto.SerializeAsString(), t, name, error));
  EXPECT_NE(error.find("has 1 values, expected 4"), std::string::npos);
}

TEST(Files, AtomicWriteLeavesNoPartialFile) {
  std::string dir = ::testing::TempDir();
  std::string path = dir + "/fgc_runtime_test.npy";
  Tensor t = iota(DType::F64, {3, 3}), back;
  std::string error;
  ASSERT_TRUE(writeTensorFile(path, t, error)) << error;
  ASSERT_TRUE(readTensorFile(path, back, error)) << error;
  EXPECT_TRUE(sameBytes(t, back));
  std::string pb = dir + "/fgc_runtime_test.pb";
  ASSERT_TRUE(writeTensorFile(pb, t, error)) << error;
  ASSERT_TRUE(readTensorFile(pb, back, error)) << error;
  EXPECT_TRUE(sameBytes(t, back));
  std::remove(path.c_str());
  std::remove(pb.c_str());
  EXPECT_FALSE(writeTensorFile("/nonexistent-dir/x.npy", t, error));
  EXPECT_NE(error.find("cannot create"), std::string::npos);
}

TEST(Call, CheckArgumentsNamesTheMismatch) {
  std::vector<ArgSpec> specs = {
      {ArgSpec::Kind::Input, "x", DType::F32, {2, 3}},
      {ArgSpec::Kind::Output, "y", DType::F32, {2}}};
  Tensor x(DType::F32, {2, 3}), y(DType::F64, {2});
  std::string error;
  EXPECT_FALSE(checkArguments(specs, {&x, &y}, error));
  EXPECT_EQ(error, "'y' must be f32[2], got f64[2]");
  Tensor y2(DType::F32, {2});
  EXPECT_TRUE(checkArguments(specs, {&x, &y2}, error));
}

namespace {

/// C += A x B on strided views, in double, as the reference.
void naive(const float *a, int64_t ars, int64_t acs, const float *b,
           int64_t brs, int64_t bcs, std::vector<double> &c, int64_t m,
           int64_t k, int64_t n) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        c[i * n + j] += double(a[i * ars + p * acs]) * b[p * brs + j * bcs];
}

} // namespace

TEST(Blas, SgemmMatchesNaiveOnEveryLayout) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1, 1);
  const int64_t m = 5, k = 7, n = 3;
  std::vector<float> a(m * k * 2), b(k * n * 2);
  for (float &v : a)
    v = dist(rng);
  for (float &v : b)
    v = dist(rng);
  // Row-major, transposed (column-major), and a non-unit-stride view that
  // forces the loop fallback.
  struct Layout {
    int64_t rs, cs;
  };
  for (Layout la : {Layout{k, 1}, Layout{1, m}, Layout{2 * k, 2}})
    for (Layout lb : {Layout{n, 1}, Layout{1, k}}) {
      std::vector<float> c(m * n, 1.0f);
      std::vector<double> ref(m * n, 1.0);
      naive(a.data(), la.rs, la.cs, b.data(), lb.rs, lb.cs, ref, m, k, n);
      fgc_blas_sgemm(a.data(), a.data(), 0, m, k, la.rs, la.cs, b.data(),
                     b.data(), 0, k, n, lb.rs, lb.cs, c.data(), c.data(), 0, m,
                     n, n, 1);
      for (int64_t i = 0; i < m * n; ++i)
        EXPECT_NEAR(c[i], ref[i], 1e-5) << "layout " << la.rs << "," << la.cs
                                        << " x " << lb.rs << "," << lb.cs;
    }
}

TEST(Blas, BatchedDgemmWithOffsets) {
  const int64_t batch = 3, m = 2, k = 4, n = 5;
  std::vector<double> a(1 + batch * m * k), b(batch * k * n),
      c(batch * m * n, 0.0);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = 0.1 * i;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = 1.0 - 0.05 * i;
  // A starts at offset 1.
  fgc_blas_dgemm_batched(a.data(), a.data(), 1, batch, m, k, m * k, k, 1,
                         b.data(), b.data(), 0, batch, k, n, k * n, n, 1,
                         c.data(), c.data(), 0, batch, m, n, m * n, n, 1);
  for (int64_t g = 0; g < batch; ++g)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double ref = 0;
        for (int64_t p = 0; p < k; ++p)
          ref += a[1 + g * m * k + i * k + p] * b[g * k * n + p * n + j];
        EXPECT_NEAR(c[g * m * n + i * n + j], ref, 1e-12);
      }
}

TEST(MemRefCopy, CopiesStridedViews) {
  // Copy the transposed view of a 3x4 matrix into a contiguous 4x3 one.
  std::vector<float> src(12), dst(12, -1);
  for (int i = 0; i < 12; ++i)
    src[i] = float(i);
  int64_t srcDesc[] = {reinterpret_cast<int64_t>(src.data()),
                       reinterpret_cast<int64_t>(src.data()), 0, 4, 3, 1, 4};
  int64_t dstDesc[] = {reinterpret_cast<int64_t>(dst.data()),
                       reinterpret_cast<int64_t>(dst.data()), 0, 4, 3, 3, 1};
  struct {
    int64_t rank;
    void *desc;
  } s{2, srcDesc}, d{2, dstDesc};
  memrefCopy(sizeof(float), &s, &d);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(dst[r * 3 + c], src[c * 4 + r]);
}

/// Philox-4x32-10 against the known-answer vectors published with Random123
/// (kat_vectors: philox4x32 10 rounds).
TEST(Random, PhiloxKnownAnswers) {
  using fgc::rt::philox4x32;
  EXPECT_EQ(philox4x32({0, 0, 0, 0}, {0, 0}),
            (fgc::rt::PhiloxBlock{0x6627e8d5, 0xe169c58d, 0xbc57ac4c,
                                  0x9b00dbd8}));
  EXPECT_EQ(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                       {0xffffffff, 0xffffffff}),
            (fgc::rt::PhiloxBlock{0x408f276d, 0x41c83b0e, 0xa20bc7c6,
                                  0x6d5451fd}));
  EXPECT_EQ(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                       {0xa4093822, 0x299f31d0}),
            (fgc::rt::PhiloxBlock{0xd16cfe09, 0x94fdcceb, 0x5001e420,
                                  0x24126ea1}));
}
