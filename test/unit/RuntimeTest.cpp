//===- RuntimeTest.cpp - Unit tests of the fgc runtime --------------------===//
//
// The TensorProto codec is checked against the ONNX library's own protobuf
// classes, the BLAS entry points against naive triple loops in double
// precision, memrefCopy against index arithmetic, the trainers' model
// description against the text fgc has always written.
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/Blas.h"
#include "fgc/Runtime/Call.h"
#include "fgc/Runtime/Random.h"
#include "fgc/Runtime/TensorIO.h"
#include "fgc/Runtime/TrainerABI.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <omp.h>
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
    else if (dtype == DType::I64)
      t.data<int64_t>()[i] = i * 1000003 - 5;
    else
      t.data<uint8_t>()[i] = i % 3 == 1;
  }
  return t;
}

bool sameBytes(const Tensor &a, const Tensor &b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), a.byteSize()) == 0;
}

} // namespace

TEST(Npy, RoundTripsEveryDtypeAndRank) {
  for (DType d : {DType::F32, DType::F64, DType::I64, DType::Bool})
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

TEST(Npy, RejectsBoolBytesOtherThanZeroAndOne) {
  std::string bytes = serializeNpy(iota(DType::Bool, {4}));
  bytes[bytes.size() - 2] = 2;
  Tensor t;
  std::string error;
  EXPECT_FALSE(parseNpy(bytes, t, error));
  EXPECT_NE(error.find("bool element 2 is 2 (must be 0 or 1)"),
            std::string::npos)
      << error;
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
  for (DType d : {DType::F32, DType::F64, DType::I64, DType::Bool}) {
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
      } else if (d == DType::I64) {
        typed.set_data_type(onnx::TensorProto::INT64);
        typed.add_int64_data(t.data<int64_t>()[i]);
      } else { // BOOL values travel as int32_data
        typed.set_data_type(onnx::TensorProto::BOOL);
        typed.add_int32_data(t.data<uint8_t>()[i]);
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
  EXPECT_FALSE(
      parseTensorProto(good.substr(0, good.size() - 3), t, name, error));
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
  std::vector<ArgSpec> specs = {{ArgSpec::Kind::Input, "x", DType::F32, {2, 3}},
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

/// Fills `v` with numbers drawn uniformly from [-1, 1) by `rng`.
void fillUniform(std::vector<float> &v, std::mt19937 &rng) {
  std::uniform_real_distribution<float> dist(-1, 1);
  for (float &x : v)
    x = dist(rng);
}

} // namespace

TEST(Blas, SgemmMatchesNaiveOnEveryLayout) {
  std::mt19937 rng(7);
  const int64_t m = 5, k = 7, n = 3;
  std::vector<float> a(m * k * 2), b(k * n * 2);
  fillUniform(a, rng);
  fillUniform(b, rng);
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

/// Products large enough to be split across threads, in rows (C taller than
/// wide) and in columns, with extents no thread count divides, on every
/// BLAS layout; and batches split by matrix and matrices split in a batch.
TEST(Blas, ThreadedSplitsMatchNaive) {
  int saved = omp_get_max_threads();
  omp_set_num_threads(3);
  std::mt19937 rng(11);
  struct Shape {
    int64_t m, k, n;
  };
  for (Shape s : {Shape{70, 40, 30}, Shape{30, 40, 70}}) {
    std::vector<float> a(s.m * s.k), b(s.k * s.n);
    fillUniform(a, rng);
    fillUniform(b, rng);
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        int64_t ars = ta ? 1 : s.k, acs = ta ? s.m : 1;
        int64_t brs = tb ? 1 : s.n, bcs = tb ? s.k : 1;
        std::vector<float> c(s.m * s.n, 0.5f);
        std::vector<double> ref(s.m * s.n, 0.5);
        naive(a.data(), ars, acs, b.data(), brs, bcs, ref, s.m, s.k, s.n);
        fgc_blas_sgemm(a.data(), a.data(), 0, s.m, s.k, ars, acs, b.data(),
                       b.data(), 0, s.k, s.n, brs, bcs, c.data(), c.data(), 0,
                       s.m, s.n, s.n, 1);
        for (int64_t i = 0; i < s.m * s.n; ++i)
          ASSERT_NEAR(c[i], ref[i], 1e-4)
              << s.m << "x" << s.k << "x" << s.n << " ta " << ta << " tb " << tb
              << " element " << i;
      }
  }
  for (int64_t batch : {2, 5}) {
    const int64_t m = 48, k = 40, n = 36;
    std::vector<float> a(batch * m * k), b(batch * k * n),
        c(batch * m * n, 0.0f);
    fillUniform(a, rng);
    fillUniform(b, rng);
    fgc_blas_sgemm_batched(a.data(), a.data(), 0, batch, m, k, m * k, k, 1,
                           b.data(), b.data(), 0, batch, k, n, k * n, n, 1,
                           c.data(), c.data(), 0, batch, m, n, m * n, n, 1);
    for (int64_t g = 0; g < batch; ++g) {
      std::vector<double> ref(m * n, 0.0);
      naive(a.data() + g * m * k, k, 1, b.data() + g * k * n, n, 1, ref, m, k,
            n);
      for (int64_t i = 0; i < m * n; ++i)
        ASSERT_NEAR(c[g * m * n + i], ref[i], 1e-4)
            << "batch " << batch << " matrix " << g << " element " << i;
    }
  }
  omp_set_num_threads(saved);
}

/// The _overwrite entry points compute C = A x B whatever C held (NaN
/// here, which any read would propagate): on BLAS layouts, on the loop
/// fallback's non-unit strides, split across threads, and batched.
TEST(Blas, OverwriteIgnoresOldOutput) {
  int saved = omp_get_max_threads();
  std::mt19937 rng(17);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int64_t m = 70, k = 40, n = 30;
  std::vector<float> a(m * k * 2), b(k * n);
  fillUniform(a, rng);
  fillUniform(b, rng);
  struct Layout {
    int64_t rs, cs;
  };
  for (int threads : {1, 3})
    for (Layout la : {Layout{k, 1}, Layout{1, m}, Layout{2 * k, 2}}) {
      omp_set_num_threads(threads);
      std::vector<float> c(m * n, nan);
      std::vector<double> ref(m * n, 0.0);
      naive(a.data(), la.rs, la.cs, b.data(), n, 1, ref, m, k, n);
      fgc_blas_sgemm_overwrite(a.data(), a.data(), 0, m, k, la.rs, la.cs,
                               b.data(), b.data(), 0, k, n, n, 1, c.data(),
                               c.data(), 0, m, n, n, 1);
      for (int64_t i = 0; i < m * n; ++i)
        ASSERT_NEAR(c[i], ref[i], 1e-4)
            << threads << " threads, layout " << la.rs << "," << la.cs
            << " element " << i;
    }
  omp_set_num_threads(saved);
  const int64_t batch = 3;
  std::vector<double> da(batch * 4 * 5), db(batch * 5 * 2),
      dc(batch * 4 * 2, std::numeric_limits<double>::quiet_NaN());
  for (size_t i = 0; i < da.size(); ++i)
    da[i] = 0.1 * i;
  for (size_t i = 0; i < db.size(); ++i)
    db[i] = 1.0 - 0.05 * i;
  fgc_blas_dgemm_batched_overwrite(
      da.data(), da.data(), 0, batch, 4, 5, 20, 5, 1, db.data(), db.data(), 0,
      batch, 5, 2, 10, 2, 1, dc.data(), dc.data(), 0, batch, 4, 2, 8, 2, 1);
  for (int64_t g = 0; g < batch; ++g)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        double ref = 0;
        for (int64_t p = 0; p < 5; ++p)
          ref += da[g * 20 + i * 5 + p] * db[g * 10 + p * 2 + j];
        EXPECT_NEAR(dc[g * 8 + i * 2 + j], ref, 1e-12);
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

/// A shared by every product (batch stride 0, the view a convolution's
/// weights are passed as), on one thread and split by matrix on three.
TEST(Blas, BatchedSharedLhs) {
  int saved = omp_get_max_threads();
  std::mt19937 rng(13);
  const int64_t batch = 6, m = 48, k = 40, n = 36;
  std::vector<float> a(m * k), b(batch * k * n);
  fillUniform(a, rng);
  fillUniform(b, rng);
  for (int threads : {1, 3}) {
    omp_set_num_threads(threads);
    std::vector<float> c(batch * m * n, 0.25f);
    fgc_blas_sgemm_batched(a.data(), a.data(), 0, batch, m, k, 0, k, 1,
                           b.data(), b.data(), 0, batch, k, n, k * n, n, 1,
                           c.data(), c.data(), 0, batch, m, n, m * n, n, 1);
    for (int64_t g = 0; g < batch; ++g) {
      std::vector<double> ref(m * n, 0.25);
      naive(a.data(), k, 1, b.data() + g * k * n, n, 1, ref, m, k, n);
      for (int64_t i = 0; i < m * n; ++i)
        ASSERT_NEAR(c[g * m * n + i], ref[i], 1e-4)
            << threads << " threads, matrix " << g << " element " << i;
    }
  }
  omp_set_num_threads(saved);
}

TEST(MemRefCopy, CopiesStridedViews) {
  // Copy the transposed view of a 3x4 matrix into a contiguous 4x3 one.
  std::vector<float> src(12), dst(12, -1);
  for (int i = 0; i < 12; ++i)
    src[i] = float(i);
  int64_t srcDesc[] = {reinterpret_cast<int64_t>(src.data()),
                       reinterpret_cast<int64_t>(src.data()),
                       0,
                       4,
                       3,
                       1,
                       4};
  int64_t dstDesc[] = {reinterpret_cast<int64_t>(dst.data()),
                       reinterpret_cast<int64_t>(dst.data()),
                       0,
                       4,
                       3,
                       3,
                       1};
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
  EXPECT_EQ(
      philox4x32({0, 0, 0, 0}, {0, 0}),
      (fgc::rt::PhiloxBlock{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(
      philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                 {0xffffffff, 0xffffffff}),
      (fgc::rt::PhiloxBlock{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(
      philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                 {0xa4093822, 0x299f31d0}),
      (fgc::rt::PhiloxBlock{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

/// The generator is usable at compile time (fgc/Support/Philox.h).
static_assert(fgc::support::philox4x32({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5u);

namespace {

Tensor filled(DType dtype, std::vector<int64_t> shape, int seed) {
  Tensor t(dtype, std::move(shape));
  auto *bytes = static_cast<unsigned char *>(t.data());
  for (size_t i = 0; i < t.byteSize(); ++i)
    bytes[i] = static_cast<unsigned char>(seed + 7 * i);
  return t;
}

/// A small description covering every kind of line.
ModelDescription smallDescription() {
  ModelDescription d;
  d.model = "mlp.onnx";
  d.algorithm = "lg-fg-a";
  d.batch = 4;
  d.classes = 10;
  d.tangents = 2;
  d.optimizer = "adamw";
  d.momentum = 0.9;
  d.weightDecay = 1e-4;
  d.headLr = 3;
  d.lastLayerLr = 0.1;
  d.schedule = "warmup-cosine";
  d.spatialLoss = false;
  d.modularLoss = true;
  d.blocks = "block0 block1";
  d.functions.push_back({"learning_rate",
                         {{ArgSpec::Kind::Input, "step", DType::I64, {}},
                          {ArgSpec::Kind::Parameter, "w", DType::F64, {2, 3}},
                          {ArgSpec::Kind::Output, "lr", DType::F32, {}}}});
  d.addParameter("b", false, filled(DType::F32, {2}, 1));
  d.addParameter("w", true, filled(DType::F32, {2, 3}, 2));
  d.setOnnx("ONNX!");
  return d;
}

} // namespace

/// The exact text trainerBlob() in lib/Driver wrote before the description
/// had a type: written out by hand, so that a change of format shows here.
TEST(ModelDescription, WritesTheTrainerFormat) {
  std::string expected = "fgc-trainer 1\n"
                         "fact model mlp.onnx\n"
                         "fact algorithm lg-fg-a\n"
                         "fact batch 4\n"
                         "fact classes 10\n"
                         "fact tangents 2\n"
                         "fact optimizer adamw\n"
                         "fact momentum 9.000000e-01\n"
                         "fact weight-decay 1.000000e-04\n"
                         "fact head-lr 3.000000e+00\n"
                         "fact last-layer-lr 1.000000e-01\n"
                         "fact schedule warmup-cosine\n"
                         "fact spatial-loss false\n"
                         "fact modular-loss true\n"
                         "fact blocks block0 block1\n"
                         "function learning_rate\n"
                         "arg input step i64 0\n"
                         "arg param w f64 2 2 3\n"
                         "arg output lr f32 0\n"
                         "tensor head b f32 0 8 1 2\n"
                         "tensor model w f32 8 24 2 2 3\n"
                         "onnx 32 5\n"
                         "data\n";
  Tensor b = filled(DType::F32, {2}, 1), w = filled(DType::F32, {2, 3}, 2);
  expected.append(static_cast<const char *>(b.data()), b.byteSize());
  expected.append(static_cast<const char *>(w.data()), w.byteSize());
  expected += "ONNX!";
  EXPECT_EQ(smallDescription().serialize(), expected);

  // No blocks, no line; parameters added after the ONNX model still go
  // before it.
  ModelDescription d;
  d.setOnnx("xy");
  d.addParameter("p", true, filled(DType::I64, {}, 3));
  std::string text = d.serialize();
  EXPECT_EQ(text.find("fact blocks"), std::string::npos);
  EXPECT_NE(text.find("\nfact modular-loss true\ntensor model p i64 0 8 0\n"
                      "onnx 8 2\ndata\n"),
            std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 2), "xy");
}

/// raw_ostream's spelling of doubles, which the format inherited.
TEST(ModelDescription, SpellsDoublesLikeLLVM) {
  EXPECT_EQ(formatDescriptionDouble(0.9), "9.000000e-01");
  EXPECT_EQ(formatDescriptionDouble(0), "0.000000e+00");
  EXPECT_EQ(formatDescriptionDouble(-0.0), "-0.000000e+00");
  EXPECT_EQ(formatDescriptionDouble(123456789), "1.234568e+08");
  EXPECT_EQ(formatDescriptionDouble(1e-300), "1.000000e-300");
  EXPECT_EQ(formatDescriptionDouble(NAN), "nan");
  EXPECT_EQ(formatDescriptionDouble(INFINITY), "INF");
  EXPECT_EQ(formatDescriptionDouble(-INFINITY), "-INF");
}

TEST(ModelDescription, RoundTrips) {
  ModelDescription d = smallDescription();
  d.momentum = INFINITY;
  d.headLr = NAN;
  std::string blob = d.serialize(), error;
  ModelDescription back;
  ASSERT_TRUE(ModelDescription::parse(blob.data(), blob.size(), back, error))
      << error;
  EXPECT_EQ(back.serialize(), blob);
  EXPECT_EQ(back.header() + "\ndata\n",
            blob.substr(0, blob.find("data\n") + 5));
  EXPECT_EQ(back.facts(), d.facts());
  EXPECT_EQ(back.model, "mlp.onnx");
  EXPECT_EQ(back.batch, 4);
  EXPECT_EQ(back.weightDecay, 1e-4);
  EXPECT_TRUE(std::isinf(back.momentum) && std::isnan(back.headLr));
  EXPECT_FALSE(back.spatialLoss);
  EXPECT_EQ(back.blocks, "block0 block1");
  ASSERT_EQ(back.functions.size(), 1u);
  const FunctionSignature *lr = back.function(fgc::rt::abi::kLearningRate);
  ASSERT_TRUE(lr);
  ASSERT_EQ(lr->args.size(), 3u);
  EXPECT_EQ(lr->count(ArgSpec::Kind::Input), 1u);
  EXPECT_EQ(lr->args[1].kind, ArgSpec::Kind::Parameter);
  EXPECT_EQ(lr->args[1].dtype, DType::F64);
  EXPECT_EQ(lr->args[1].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back.function("nope"), nullptr);
  ASSERT_EQ(back.parameters().size(), 2u);
  const ParameterEntry &w = back.parameters()[1];
  EXPECT_TRUE(w.model);
  EXPECT_FALSE(back.parameters()[0].model);
  EXPECT_EQ(w.shape, (std::vector<int64_t>{2, 3}));
  Tensor expected = filled(DType::F32, {2, 3}, 2);
  EXPECT_EQ(std::memcmp(back.parameterData(w), expected.data(), w.size), 0);
  EXPECT_EQ(back.onnx(), "ONNX!");
  // A parsed description reads from the blob, not a copy of it.
  EXPECT_EQ(back.onnx().data(), blob.data() + blob.size() - 5);
}

TEST(ModelDescription, ParseErrorsAreOneLine) {
  const std::string blob = smallDescription().serialize();
  auto parseError = [](const std::string &bytes) {
    ModelDescription d;
    std::string error;
    EXPECT_FALSE(ModelDescription::parse(bytes.data(), bytes.size(), d, error));
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    return error;
  };
  auto edited = [&](const std::string &from, const std::string &to) {
    std::string s = blob;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  const std::string damaged = "the embedded model description is damaged";
  EXPECT_EQ(parseError("garbage"), damaged);
  EXPECT_EQ(parseError(""), damaged);
  EXPECT_EQ(parseError("fgc-trainer 2" + blob.substr(13)), damaged);
  // Cut in the text: no data marker.
  EXPECT_EQ(parseError(blob.substr(0, 100)), damaged);
  // Cut in the data.
  EXPECT_EQ(parseError(blob.substr(0, blob.size() - 3)),
            damaged + ": line 22: truncated: the ONNX model lies past the 34 "
                      "bytes of data");
  EXPECT_EQ(parseError(blob.substr(0, blob.size() - 10)),
            damaged + ": line 21: truncated: parameter 'w' lies past the 27 "
                      "bytes of data");
  EXPECT_EQ(parseError(edited("lr f32", "lr f16")),
            damaged + ": line 19: unknown dtype 'f16'");
  EXPECT_EQ(parseError(edited("model w f32", "model w bf16")),
            damaged + ": line 21: unknown dtype 'bf16'");
  EXPECT_EQ(parseError(edited("arg input", "arg inout")),
            damaged + ": line 17: unknown argument kind 'inout'");
  EXPECT_EQ(parseError(edited("fact batch 4", "fact batch four")),
            damaged + ": line 4: fact 'batch' has a bad value 'four'");
  EXPECT_EQ(parseError(edited("fact tangents", "fact tangent")),
            damaged + ": line 6: unknown fact 'tangent'");
  EXPECT_EQ(parseError(edited("fact classes 10\n", "")),
            damaged + ": no fact 'classes'");
  EXPECT_EQ(parseError(edited("i64 0", "i64 1")),
            damaged + ": line 17: bad shape of argument 'step'");
  EXPECT_EQ(parseError(edited("8 24 2 2 3", "8 20 2 2 3")),
            damaged + ": line 21: bad layout of parameter 'w'");
  EXPECT_EQ(parseError(edited("onnx 32 5\n", "")), damaged + ": no onnx line");
  EXPECT_EQ(parseError(edited("function learning_rate\n", "")),
            damaged + ": line 16: argument 'step' outside a function");
  EXPECT_EQ(parseError(edited("tensor head", "tensr head")),
            damaged + ": line 20: unexpected 'tensr head b f32 0 8 1 2'");
}

TEST(TrainerABI, NamesAndRoles) {
  EXPECT_EQ(fgc::rt::abi::stateName("fc1.weight", fgc::rt::abi::kMomentum),
            "fc1.weight.momentum");
  EXPECT_TRUE(fgc::rt::abi::isOptimizerState("w.adam_v"));
  EXPECT_FALSE(fgc::rt::abi::isOptimizerState("adam_v"));
  EXPECT_EQ(fgc::rt::abi::tangentName("image"), "image.tangent");
  EXPECT_TRUE(fgc::rt::abi::isTangent("image.tangent"));
  EXPECT_EQ(fgc::rt::abi::blockLossName(3), "loss.block3");
  int64_t block = -1;
  EXPECT_TRUE(fgc::rt::abi::parseBlockLoss("loss.block12", block));
  EXPECT_EQ(block, 12);
  EXPECT_FALSE(fgc::rt::abi::parseBlockLoss("loss.block", block));
  EXPECT_FALSE(fgc::rt::abi::parseBlockLoss("loss.blockx", block));
  EXPECT_FALSE(fgc::rt::abi::parseBlockLoss("loss.readout", block));
  EXPECT_TRUE(fgc::rt::abi::isBlockLoss("loss.block0"));
  EXPECT_EQ(fgc::rt::abi::lossLabel("loss.block0"), "block0");

  // @train_step of an SGD model: parameter, fed-back state, image, labels.
  std::vector<ArgSpec> args = {
      {ArgSpec::Kind::Parameter, "w", DType::F32, {4, 10}},
      {ArgSpec::Kind::Input, "w.momentum", DType::F32, {4, 10}},
      {ArgSpec::Kind::Input, "x", DType::F32, {8, 1, 2, 2}},
      {ArgSpec::Kind::Input, "labels", DType::I64, {8}},
      {ArgSpec::Kind::Input, "step", DType::I64, {}},
      {ArgSpec::Kind::Output, "w", DType::F32, {4, 10}},
      {ArgSpec::Kind::Output, "w.momentum", DType::F32, {4, 10}},
      {ArgSpec::Kind::Output, "loss.readout", DType::F32, {}}};
  ASSERT_TRUE(fgc::rt::abi::findImageInput(args));
  EXPECT_EQ(fgc::rt::abi::findImageInput(args)->name, "x");
  std::vector<const ArgSpec *> fed = fgc::rt::abi::fedBackInputs(args);
  ASSERT_EQ(fed.size(), 1u);
  EXPECT_EQ(fed[0]->name, "w.momentum");
  EXPECT_TRUE(fgc::rt::abi::isMetric(args.back()));
  EXPECT_FALSE(fgc::rt::abi::isMetric(args[4]));
}

//===----------------------------------------------------------------------===//
// The data readers (fgc/Runtime/Data.h): bad files are one line naming the
// file.
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/Data.h"

#include <fstream>
#include <sys/stat.h>
#include <zlib.h>

namespace {

std::string dataPath(const std::string &name) {
  return ::testing::TempDir() + "/fgc_data_test_" + std::to_string(getpid()) +
         "_" + name;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

/// An IDX image file of `count` images of rows x cols and its label file.
std::string idxImages(uint32_t count, uint32_t rows, uint32_t cols) {
  return be32(0x803) + be32(count) + be32(rows) + be32(cols) +
         std::string(size_t(count) * rows * cols, char(7));
}
std::string idxLabels(const std::vector<uint8_t> &labels) {
  std::string b = be32(0x801) + be32(labels.size());
  for (uint8_t l : labels)
    b += char(l);
  return b;
}

std::string gzipped(const std::string &bytes) {
  std::string path = dataPath("gz.tmp");
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_TRUE(f);
  EXPECT_EQ(gzwrite(f, bytes.data(), bytes.size()), int(bytes.size()));
  gzclose(f);
  std::ifstream in(path, std::ios::binary);
  std::string out((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  std::remove(path.c_str());
  return out;
}

} // namespace

TEST(Data, GzipErrorsKeepZlibsMessage) {
  std::string labels = dataPath("labels"), images = dataPath("images.gz");
  writeBytes(labels, idxLabels({1, 2}));
  std::string gz = gzipped(idxImages(2, 28, 28));
  Dataset set;
  std::string error;
  // Corrupt deflate data after a valid gzip header (zlib's message was read
  // after gzclose freed it: garbage).
  std::string corrupt = gz.substr(0, 10) + std::string(64, char(0xff));
  writeBytes(images, corrupt);
  EXPECT_FALSE(loadIdx(images, labels, set, error));
  EXPECT_EQ(error, images + ": read error: invalid block type");
  // A gzip file cut in the middle.
  writeBytes(images, gz.substr(0, gz.size() / 2));
  error.clear();
  EXPECT_FALSE(loadIdx(images, labels, set, error));
  EXPECT_EQ(error, images + ": read error: unexpected end of file");
  // The whole file loads.
  writeBytes(images, gz);
  ASSERT_TRUE(loadIdx(images, labels, set, error)) << error;
  EXPECT_EQ(set.count, 2);
  std::remove(images.c_str());
  std::remove(labels.c_str());
}

TEST(Data, OutOfRangeLabelNamesTheLabelFile) {
  std::string images = dataPath("images"), labels = dataPath("labels");
  writeBytes(images, idxImages(3, 2, 2));
  writeBytes(labels, idxLabels({1, 12, 3}));
  Dataset set;
  std::string error;
  ASSERT_TRUE(loadIdx(images, labels, set, error)) << error;
  EXPECT_TRUE(checkLabels(set, 13, error)) << error;
  EXPECT_FALSE(checkLabels(set, 10, error));
  EXPECT_EQ(error,
            labels + ": label 12 of example 1 is out of range for 10 classes");
  // CIFAR-10: the batch holding the label, and the index in that batch.
  const size_t record = 1 + 3 * 32 * 32;
  std::string a = dataPath("batch_a"), b = dataPath("batch_b");
  std::string ra(2 * record, char(0)), rb(3 * record, char(0));
  rb[2 * record] = char(200);
  writeBytes(a, ra);
  writeBytes(b, rb);
  ASSERT_TRUE(loadCifar({a, b}, set, error)) << error;
  EXPECT_EQ(set.count, 5);
  EXPECT_FALSE(checkLabels(set, 10, error));
  EXPECT_EQ(error,
            b + ": label 200 of example 2 is out of range for 10 classes");
  for (const std::string &f : {images, labels, a, b})
    std::remove(f.c_str());
}

TEST(Data, RejectsNoImages) {
  std::string images = dataPath("images"), labels = dataPath("labels");
  writeBytes(images, idxImages(0, 28, 28));
  writeBytes(labels, idxLabels({}));
  Dataset set;
  std::string error;
  EXPECT_FALSE(loadIdx(images, labels, set, error));
  EXPECT_EQ(error, images + ": no images");
  writeBytes(images, idxImages(2, 0, 28));
  writeBytes(labels, idxLabels({1, 2}));
  EXPECT_FALSE(loadIdx(images, labels, set, error));
  EXPECT_EQ(error, images + ": images of 0x28 pixels");
  // A count whose byte size overflows 64 bits is "truncated", not a crash.
  writeBytes(images, be32(0x803) + be32(0xffffffff) + be32(0xffffffff) +
                         be32(0xffffffff));
  EXPECT_FALSE(loadIdx(images, labels, set, error));
  EXPECT_EQ(error.rfind(images + ": truncated (", 0), 0u) << error;
  std::remove(images.c_str());
  std::remove(labels.c_str());
}

TEST(Data, RejectsFifosAndDirectories) {
  std::string fifo = dataPath("fifo"), labels = dataPath("labels");
  writeBytes(labels, idxLabels({1}));
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Dataset set;
  std::string error;
  // Opened, a FIFO without a writer blocks forever.
  EXPECT_FALSE(loadIdx(fifo, labels, set, error));
  EXPECT_EQ(error, fifo + ": not a regular file");
  EXPECT_FALSE(loadCifar({fifo}, set, error));
  EXPECT_EQ(error, fifo + ": not a regular file");
  std::string dir = ::testing::TempDir();
  EXPECT_FALSE(loadIdx(dir, labels, set, error));
  EXPECT_EQ(error, dir + ": not a regular file");
  std::string missing = dataPath("missing");
  EXPECT_FALSE(loadIdx(missing, labels, set, error));
  EXPECT_EQ(error, missing + ": cannot open: No such file or directory");
  std::remove(fifo.c_str());
  std::remove(labels.c_str());
}

TEST(TensorProto, ZeroSizedTensors) {
  // No values and no raw data: the copy's source is an empty vector's data()
  // (null), which memcpy may not be given even for 0 bytes (UBSan).
  for (DType d : {DType::F32, DType::F64, DType::I64}) {
    onnx::TensorProto proto;
    proto.set_data_type(d == DType::F32   ? onnx::TensorProto::FLOAT
                        : d == DType::F64 ? onnx::TensorProto::DOUBLE
                                          : onnx::TensorProto::INT64);
    proto.add_dims(0);
    proto.add_dims(3);
    Tensor t;
    std::string name, error;
    ASSERT_TRUE(parseTensorProto(proto.SerializeAsString(), t, name, error))
        << error;
    EXPECT_EQ(t.shape(), (std::vector<int64_t>{0, 3}));
    EXPECT_EQ(t.byteSize(), 0u);
    proto.set_raw_data("");
    ASSERT_TRUE(parseTensorProto(proto.SerializeAsString(), t, name, error))
        << error;
    EXPECT_EQ(t.numElements(), 0);
    // Values for a tensor without elements are still an error.
    proto.clear_raw_data();
    proto.add_float_data(1);
    proto.add_double_data(1);
    proto.add_int64_data(1);
    EXPECT_FALSE(parseTensorProto(proto.SerializeAsString(), t, name, error));
    EXPECT_NE(error.find("has 1 values, expected 0"), std::string::npos)
        << error;
    // And through .npy and the TensorProto writer.
    Tensor empty(d, {2, 0});
    Tensor back;
    ASSERT_TRUE(parseNpy(serializeNpy(empty), back, error)) << error;
    EXPECT_TRUE(sameBytes(empty, back));
    ASSERT_TRUE(
        parseTensorProto(serializeTensorProto(empty), back, name, error))
        << error;
    EXPECT_TRUE(sameBytes(empty, back));
  }
}
