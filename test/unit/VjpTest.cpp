//===- VjpTest.cpp - Every fg VJP rule against finite differences ---------===//
//
// For every one-op case of OpCases.h: fg-vjp with respect to all
// floating-point arguments, compiled, on random inputs x, input directions
// v and output cotangents u (f64, seeded):
//   * finite differences: <u, (f(x + h v) - f(x - h v)) / 2h> equals
//     <v, J^T u> to 1e-6 relative;
//   * transpose identity: <J v, u> from the compiled JVP equals <v, J^T u>
//     from the compiled VJP to 1e-10 relative.
// Every case must have a reverse-mode rule.
//
//===----------------------------------------------------------------------===//

#include "fgc/Driver/Driver.h"
#include "fgc/Pipelines/Pipelines.h"

#include "OpCases.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace fgc;
using namespace fgc::testing;

namespace {

class VjpRule : public ::testing::TestWithParam<size_t> {};

TEST_P(VjpRule, MatchesFiniteDifferencesAndTransposesTheJvp) {
  const auto &[name, generate] = cases()[GetParam()];
  for (unsigned trial = 0; trial < 2; ++trial) {
    unsigned seed = 1000 * GetParam() + trial;
    SCOPED_TRACE("case " + name + ", seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    Case c = generate(rng);
    if (c.jvpOnly)
      GTEST_SKIP() << name << " has no VJP rule";
    mlir::DialectRegistry registry;
    fgc::getCPUTarget().registerDialects(registry);
    mlir::MLIRContext ctx(registry);
    ctx.loadAllAvailableDialects();
    Compiled compiled;
    std::string error;
    ASSERT_TRUE(compile(ctx, c.text, 1, /*withVjp=*/true, compiled, error))
        << error << "\n"
        << c.text;
    std::normal_distribution<double> normal(0, 1);
    std::vector<Tensor> inputs, directions;
    drawInputs(compiled.primalSig, c, rng, inputs, directions);
    std::vector<Tensor> cotangents;
    for (const ArgSpec &a : compiled.primalSig.args)
      if (a.kind == ArgSpec::Kind::Output && a.dtype == DType::F64) {
        Tensor u(a.dtype, a.shape);
        for (int64_t i = 0; i < u.numElements(); ++i)
          u.data<double>()[i] = normal(rng);
        cotangents.push_back(std::move(u));
      }

    // <v, J^T u> from the VJP.
    std::vector<Tensor> vjpIn;
    for (const Tensor &t : inputs)
      vjpIn.push_back(copyOf(t));
    for (const Tensor &u : cotangents)
      vjpIn.push_back(copyOf(u));
    std::vector<Tensor> vjpOut = call(compiled.vjp, compiled.vjpSig, vjpIn);
    size_t numOutputs = compiled.primalSig.count(ArgSpec::Kind::Output);
    ASSERT_EQ(vjpOut.size(), numOutputs + directions.size());
    double reverse = 0, scale = 0;
    for (size_t i = 0; i < directions.size(); ++i) {
      reverse += dot(directions[i], vjpOut[numOutputs + i]);
      scale += norm(directions[i]) * norm(vjpOut[numOutputs + i]);
    }

    // <J v, u> from the JVP.
    std::vector<Tensor> jvpIn;
    for (const Tensor &t : inputs)
      jvpIn.push_back(copyOf(t));
    for (const Tensor &v : directions)
      jvpIn.push_back(copyOf(v));
    std::vector<Tensor> jvpOut = call(compiled.jvp, compiled.jvpSig, jvpIn);
    double forward = 0, fdScale = 0;
    for (size_t o = 0; o < cotangents.size(); ++o) {
      forward += dot(jvpOut[numOutputs + o], cotangents[o]);
      fdScale += norm(jvpOut[numOutputs + o]) * norm(cotangents[o]);
    }
    double denom = std::max({scale, fdScale, 1e-300});
    if (c.zeroTangent || denom < 1e-12) {
      EXPECT_LT(std::fabs(reverse), 1e-12) << "zero derivative expected";
      continue;
    }
    EXPECT_LT(std::fabs(forward - reverse) / denom, 1e-10)
        << "<Jv, u> = " << forward << ", <v, J^T u> = " << reverse << "\n"
        << c.text;

    // <u, central difference along v>.
    const double h = 1e-6;
    std::vector<Tensor> plusIn = shifted(inputs, directions, h),
                        minusIn = shifted(inputs, directions, -h);
    std::vector<Tensor> plus =
                            call(compiled.primal, compiled.primalSig, plusIn),
                        minus =
                            call(compiled.primal, compiled.primalSig, minusIn);
    double fd = 0;
    for (size_t o = 0; o < cotangents.size(); ++o)
      for (int64_t i = 0; i < cotangents[o].numElements(); ++i)
        fd += cotangents[o].data<double>()[i] *
              (plus[o].data<double>()[i] - minus[o].data<double>()[i]) /
              (2 * h);
    EXPECT_LT(std::fabs(fd - reverse) / denom, 1e-6)
        << "finite difference " << fd << ", <v, J^T u> = " << reverse << "\n"
        << c.text;
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, VjpRule,
                         ::testing::Range(size_t(0), cases().size()),
                         [](const ::testing::TestParamInfo<size_t> &info) {
                           return cases()[info.param].first;
                         });

} // namespace
