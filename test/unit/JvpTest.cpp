//===- JvpTest.cpp - Every fg JVP rule against finite differences ---------===//
//
// For every fg op and attribute variant: a one-op function on f64 tensors of
// random shapes (seeded), differentiated by fg-jvp with respect to all its
// floating-point arguments, compiled, and compared with central finite
// differences of the compiled primal along random tangents:
//   ||jvp - (f(x + h v) - f(x - h v)) / 2h|| / ||fd|| < 1e-6.
// Then K = 3 stacked tangents must reproduce three K = 1 runs bitwise.
// The seed of each failing case is printed.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Driver/Driver.h"
#include "fgc/Pipelines/Pipelines.h"
#include "fgc/Runtime/Call.h"
#include "fgc/Runtime/Random.h"

#include "OpCases.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdarg>
#include <cstring>
#include <functional>
#include <random>

using namespace fgc;
using namespace fgc::testing;

namespace {

class JvpRule : public ::testing::TestWithParam<size_t> {};

TEST_P(JvpRule, MatchesCentralFiniteDifferences) {
  const auto &[name, generate] = cases()[GetParam()];
  for (unsigned trial = 0; trial < 3; ++trial) {
    unsigned seed = 1000 * GetParam() + trial;
    SCOPED_TRACE("case " + name + ", seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    Case c = generate(rng);
    mlir::DialectRegistry registry;
    fgc::getCPUTarget().registerDialects(registry);
    mlir::MLIRContext ctx(registry);
    ctx.loadAllAvailableDialects();
    Compiled compiled;
    std::string error;
    ASSERT_TRUE(compile(ctx, c.text, 1, /*withVjp=*/false, compiled, error))
        << error << "\n"
        << c.text;
    std::normal_distribution<double> normal(0, 1);
    // Primal inputs and one tangent per floating-point input.
    std::vector<Tensor> inputs, tangents;
    drawInputs(compiled.primalSig, c, rng, inputs, tangents);
    std::vector<Tensor> jvpInputs;
    for (const Tensor &t : inputs)
      jvpInputs.push_back(copyOf(t));
    for (const Tensor &t : tangents)
      jvpInputs.push_back(copyOf(t));
    std::vector<Tensor> jvpOut = call(compiled.jvp, compiled.jvpSig, jvpInputs);
    size_t numOutputs = compiled.primalSig.count(ArgSpec::Kind::Output);
    ASSERT_EQ(jvpOut.size(), 2 * numOutputs);

    // Central differences along the tangents.
    const double h = 1e-6;
    std::vector<Tensor> plusIn = shifted(inputs, tangents, h),
                        minusIn = shifted(inputs, tangents, -h);
    std::vector<Tensor> plus =
                            call(compiled.primal, compiled.primalSig, plusIn),
                        minus =
                            call(compiled.primal, compiled.primalSig, minusIn);
    for (size_t o = 0; o < numOutputs; ++o) {
      Tensor fd(DType::F64, plus[o].shape()), diff(DType::F64, plus[o].shape());
      const Tensor &jv = jvpOut[numOutputs + o];
      ASSERT_EQ(jv.shape(), fd.shape());
      for (int64_t i = 0; i < fd.numElements(); ++i) {
        fd.data<double>()[i] =
            (plus[o].data<double>()[i] - minus[o].data<double>()[i]) / (2 * h);
        diff.data<double>()[i] = jv.data<double>()[i] - fd.data<double>()[i];
      }
      double ref = c.zeroTangent ? 0.0 : norm(fd);
      if (ref < 1e-12) {
        EXPECT_LT(norm(jv), 1e-12) << "zero derivative expected";
        continue;
      }
      EXPECT_LT(norm(diff) / ref, 1e-6) << c.text;
    }

    // K = 3 directions at once == three single-direction runs, bitwise.
    Compiled stacked;
    ASSERT_TRUE(compile(ctx, c.text, 3, /*withVjp=*/false, stacked, error))
        << error;
    std::vector<Tensor> stackedInputs;
    for (const Tensor &t : inputs)
      stackedInputs.push_back(copyOf(t));
    std::vector<std::vector<Tensor>> directions(3);
    for (Tensor &t : tangents) {
      std::vector<int64_t> shape = {3};
      shape.insert(shape.end(), t.shape().begin(), t.shape().end());
      Tensor all(DType::F64, shape);
      for (int d = 0; d < 3; ++d) {
        Tensor v(DType::F64, t.shape());
        for (int64_t i = 0; i < v.numElements(); ++i)
          v.data<double>()[i] = normal(rng);
        std::memcpy(all.data<double>() + d * v.numElements(), v.data(),
                    v.byteSize());
        directions[d].push_back(std::move(v));
      }
      stackedInputs.push_back(std::move(all));
    }
    std::vector<Tensor> stackedOut =
        call(stacked.jvp, stacked.jvpSig, stackedInputs);
    for (int d = 0; d < 3; ++d) {
      std::vector<Tensor> in;
      for (const Tensor &t : inputs)
        in.push_back(copyOf(t));
      for (Tensor &v : directions[d])
        in.push_back(std::move(v));
      std::vector<Tensor> single = call(compiled.jvp, compiled.jvpSig, in);
      for (size_t o = 0; o < numOutputs; ++o) {
        const Tensor &one = single[numOutputs + o];
        const Tensor &all = stackedOut[numOutputs + o];
        EXPECT_EQ(std::memcmp(one.data(),
                              all.data<double>() + d * one.numElements(),
                              one.byteSize()),
                  0)
            << "direction " << d << " of output " << o << " differs";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, JvpRule,
                         ::testing::Range(size_t(0), cases().size()),
                         [](const ::testing::TestParamInfo<size_t> &info) {
                           return cases()[info.param].first;
                         });

/// fg.random_normal of type `shape` (e.g. "64x33xf32") compiled by the CPU
/// pipeline, at (seed, step).
std::vector<Tensor> compiledRandomNormal(const std::string &shape,
                                         uint64_t seed, uint64_t step) {
  mlir::DialectRegistry registry;
  fgc::getCPUTarget().registerDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  std::string type = "tensor<" + shape + ">";
  std::string text = R"(
    func.func @forward(%seed: tensor<i64> {fg.name = "seed"},
                       %step: tensor<i64> {fg.name = "step"}) -> )" +
                     type + R"( {
      %0 = fg.random_normal %seed, %step {site = 5} : (tensor<i64>, tensor<i64>) -> )" +
                     type + R"(
      return %0 : )" +
                     type + R"(
    })";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  EXPECT_TRUE(module);
  if (!module)
    return {};
  std::string error;
  auto sig = fgc::driver::lowerToLinalg(*module, "forward", error);
  EXPECT_TRUE(mlir::succeeded(sig)) << error;
  if (mlir::failed(sig))
    return {};
  auto jit = driver::lowerAndJit(*module, CodegenOptions(), error);
  EXPECT_TRUE(jit) << error;
  if (!jit)
    return {};
  rt::PackedFunction fn = jit->lookup("forward", error);
  EXPECT_TRUE(fn) << error;
  if (!fn)
    return {};
  std::vector<Tensor> inputs;
  inputs.emplace_back(DType::I64, std::vector<int64_t>{});
  inputs.emplace_back(DType::I64, std::vector<int64_t>{});
  *inputs[0].data<int64_t>() = static_cast<int64_t>(seed);
  *inputs[1].data<int64_t>() = static_cast<int64_t>(step);
  return call(fn, *sig, inputs);
}

/// fg.random_normal compiled by the CPU pipeline draws exactly the numbers
/// of the runtime's Philox (checked against the published test vectors in
/// RuntimeTest), and they look standard normal.
TEST(RandomNormal, CompiledMatchesRuntimeGenerator) {
  const uint64_t seed = 123456789012ull, step = 77;
  std::vector<Tensor> out = compiledRandomNormal("64x33xf32", seed, step);
  ASSERT_EQ(out.size(), 1u);
  double sum = 0, sq = 0;
  int64_t n = out[0].numElements();
  for (int64_t i = 0; i < n; ++i) {
    float v = out[0].data<float>()[i];
    ASSERT_NEAR(v, rt::tensorNormal(seed, step, 5, i, n), 1e-5)
        << "element " << i;
    sum += v;
    sq += double(v) * v;
  }
  double mean = sum / n, var = sq / n - mean * mean;
  EXPECT_LT(std::abs(mean), 0.1);
  EXPECT_NEAR(var, 1.0, 0.1);
  // Another site or step gives other numbers.
  EXPECT_NE(rt::tensorNormal(seed, step, 6, 0, n),
            rt::tensorNormal(seed, step, 5, 0, n));
  EXPECT_NE(rt::tensorNormal(seed, step + 1, 5, 0, n),
            rt::tensorNormal(seed, step, 5, 0, n));
}

/// Element counts that four does not divide (the last row of numbers is
/// cut short), a single number, and f64 results.
TEST(RandomNormal, CompiledMatchesRuntimeGeneratorAtEveryCount) {
  const uint64_t seed = 42, step = 3;
  for (const char *shape : {"3x5xf32", "7xf32", "f32", "2x3x3xf64"}) {
    std::vector<Tensor> out = compiledRandomNormal(shape, seed, step);
    ASSERT_EQ(out.size(), 1u) << shape;
    int64_t n = out[0].numElements();
    for (int64_t i = 0; i < n; ++i) {
      double v = out[0].dtype() == DType::F64 ? out[0].data<double>()[i]
                                              : out[0].data<float>()[i];
      ASSERT_NEAR(v, rt::tensorNormal(seed, step, 5, i, n), 1e-5)
          << shape << ", element " << i;
    }
  }
  // The numbers differ from element to element (no row repeats another).
  EXPECT_NE(rt::tensorNormal(seed, step, 5, 0, 15),
            rt::tensorNormal(seed, step, 5, 4, 15));
}

} // namespace
