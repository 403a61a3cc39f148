//===- TrainStepTest.cpp - Compiled training steps against references ----===//
//
// @train_step built by the training pipeline, JIT-compiled and called, and
// compared with a reference written here from the runtime's generator and
// the textbook formulas.
//
//===----------------------------------------------------------------------===//

#include "fgc/Driver/Driver.h"
#include "fgc/Pipelines/Pipelines.h"
#include "fgc/Runtime/Call.h"
#include "fgc/Runtime/Random.h"
#include "fgc/Runtime/TrainerABI.h"
#include "fgc/Target/Target.h"

#include "OpCases.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace fgc;
using namespace fgc::testing;

namespace {

constexpr int64_t kN = 4, kD = 6, kK = 3;
constexpr double kRatio = 0.3;
/// The first dropout's stream (the site ids fg-train-step documents).
constexpr uint32_t kDropoutSite = 2u << 20;

/// x [4, 6] -> hidden layer (identity weight, bias 0.5) -> ReLU ->
/// Dropout(0.3) -> Gemm readout [3, 6]. The readout rule trains the readout
/// only, so the step's loss and readout update are simple to recompute.
const char *kModel = R"(
  fg.parameter @hidden.weight = dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                                       [0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                                       [0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
                                       [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
                                       [0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
                                       [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<6x6xf32>
  fg.parameter @hidden.bias = dense<0.5> : tensor<6xf32>
  fg.parameter @fc.weight = dense<[[0.5, -0.3, 0.2, 0.8, -0.6, 0.1],
                                   [-0.4, 0.7, 0.3, -0.2, 0.5, -0.9],
                                   [0.2, 0.1, -0.8, 0.4, 0.3, 0.6]]> : tensor<3x6xf32>
  fg.parameter @fc.bias = dense<[0.1, -0.2, 0.05]> : tensor<3xf32>
  func.func @forward(%x: tensor<4x6xf32> {fg.name = "image"}) -> (tensor<4x3xf32> {fg.name = "logits"}) {
    %hw = fg.param @hidden.weight : tensor<6x6xf32>
    %hb = fg.param @hidden.bias : tensor<6xf32>
    %w = fg.param @fc.weight : tensor<3x6xf32>
    %b = fg.param @fc.bias : tensor<3xf32>
    %h = fg.gemm %x, %hw, %hb {trans_b = true} : (tensor<4x6xf32>, tensor<6x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
    %a = fg.relu %h : tensor<4x6xf32>
    %d = fg.dropout %a {ratio = 0.3 : f64} : tensor<4x6xf32>
    %y = fg.gemm %d, %w, %b {trans_b = true} : (tensor<4x6xf32>, tensor<3x6xf32>, tensor<3xf32>) -> tensor<4x3xf32>
    return %y : tensor<4x3xf32>
  })";

struct Step {
  FunctionSignature sig;
  rt::PackedFunction fn;
  std::unique_ptr<JitModule> jit;
};

/// The model's @train_step under `options`, compiled for this process.
void compileStep(mlir::MLIRContext &ctx, const PipelineOptions &options,
                 Step &step) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kModel, &ctx);
  ASSERT_TRUE(module);
  std::string error;
  ASSERT_TRUE(mlir::succeeded(
      runPipeline(*module, options, Phase::Local, Phase::Train, error)))
      << error;
  auto sig = driver::lowerToLinalg(*module, rt::abi::kTrainStep, error);
  ASSERT_TRUE(mlir::succeeded(sig)) << error;
  step.sig = *sig;
  step.jit = driver::lowerAndJit(*module, CodegenOptions(), error);
  ASSERT_TRUE(step.jit) << error;
  step.fn = step.jit->lookup(rt::abi::kTrainStep, error);
  ASSERT_TRUE(step.fn) << error;
}

/// The step's inputs by name: the model's parameters, zero momenta, the
/// image x, labels, step, seed and lr.
std::vector<Tensor> inputsFor(const FunctionSignature &sig,
                              const std::vector<float> &x, int64_t stepIndex,
                              int64_t seed, float lr) {
  const float w[kK * kD] = {0.5,  -0.3, 0.2,  0.8, -0.6, 0.1,  -0.4, 0.7, 0.3,
                            -0.2, 0.5,  -0.9, 0.2, 0.1,  -0.8, 0.4,  0.3, 0.6};
  const float b[kK] = {0.1f, -0.2f, 0.05f};
  std::vector<Tensor> inputs;
  for (const ArgSpec &a : sig.args) {
    if (a.kind == ArgSpec::Kind::Output)
      continue;
    inputs.emplace_back(a.dtype, a.shape);
    Tensor &t = inputs.back();
    if (a.dtype == DType::I64) {
      int64_t *p = t.data<int64_t>();
      for (int64_t i = 0; i < t.numElements(); ++i)
        p[i] = a.name == rt::abi::kStep   ? stepIndex
               : a.name == rt::abi::kSeed ? seed
                                          : i % kK; // labels
      continue;
    }
    float *p = t.data<float>();
    for (int64_t i = 0; i < t.numElements(); ++i)
      p[i] = a.name == "fc.weight"       ? w[i]
             : a.name == "fc.bias"       ? b[i]
             : a.name == "hidden.weight" ? (i % (kD + 1) == 0 ? 1.0f : 0.0f)
             : a.name == "hidden.bias"   ? 0.5f
             : a.name == "image"         ? x[i]
             : a.name == rt::abi::kLr    ? lr
                                         : 0.0f; // optimizer state
  }
  return inputs;
}

const Tensor &output(const Step &s, const std::vector<Tensor> &out,
                     const std::string &name) {
  size_t i = 0;
  for (const ArgSpec &a : s.sig.args)
    if (a.kind == ArgSpec::Kind::Output) {
      if (a.name == name)
        return out[i];
      ++i;
    }
  ADD_FAILURE() << "no output " << name;
  return out.front();
}

/// The readout's mean cross-entropy and its weight gradient on h, in
/// double precision.
double readoutLoss(const std::vector<double> &h, std::vector<double> &gradW) {
  const double w[kK][kD] = {{0.5, -0.3, 0.2, 0.8, -0.6, 0.1},
                            {-0.4, 0.7, 0.3, -0.2, 0.5, -0.9},
                            {0.2, 0.1, -0.8, 0.4, 0.3, 0.6}};
  const double b[kK] = {0.1, -0.2, 0.05};
  double loss = 0;
  gradW.assign(kK * kD, 0.0);
  for (int64_t n = 0; n < kN; ++n) {
    double z[kK], zmax = -1e300, sum = 0;
    for (int64_t k = 0; k < kK; ++k) {
      z[k] = b[k];
      for (int64_t d = 0; d < kD; ++d)
        z[k] += w[k][d] * h[n * kD + d];
      zmax = std::max(zmax, z[k]);
    }
    for (double v : z)
      sum += std::exp(v - zmax);
    int64_t label = n % kK;
    loss += (zmax + std::log(sum) - z[label]) / kN;
    for (int64_t k = 0; k < kK; ++k) {
      double delta = std::exp(z[k] - zmax) / sum - (k == label ? 1.0 : 0.0);
      for (int64_t d = 0; d < kD; ++d)
        gradW[k * kD + d] += delta * h[n * kD + d] / kN;
    }
  }
  return loss;
}

/// `--dropout=train`: the step's loss and readout update are those of
/// x * mask / 0.7, mask = [normal number of the dropout's stream <
/// Phi^-1(0.7)], with the runtime's generator: the mask the forward pass
/// drops with is the one the gradient sees, and it changes with the step.
/// By default (identity) the same step sees x itself.
TEST(TrainStep, DropoutMaskMatchesGenerator) {
  mlir::DialectRegistry registry;
  getCPUTarget().registerDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  std::vector<float> x(kN * kD);
  for (int64_t i = 0; i < kN * kD; ++i)
    x[i] = 0.25f * static_cast<float>((i * 7) % 11) - 1.0f;
  const int64_t seed = 42;
  const float lr = 0.5f;
  const float quantile = 0.5244005127080407f; // Phi^-1(0.7)

  for (bool train : {true, false}) {
    SCOPED_TRACE(train ? "dropout=train" : "dropout=identity");
    PipelineOptions options;
    options.algo = fg::Algorithm::Readout;
    options.dropout =
        train ? fg::DropoutMode::Train : fg::DropoutMode::Identity;
    Step step;
    compileStep(ctx, options, step);
    if (::testing::Test::HasFatalFailure())
      return;
    double previous = 0;
    for (int64_t stepIndex : {3, 4}) {
      std::vector<Tensor> inputs = inputsFor(step.sig, x, stepIndex, seed, lr);
      std::vector<Tensor> out = call(step.fn, step.sig, inputs);
      std::vector<double> h(kN * kD);
      int64_t dropped = 0;
      for (int64_t i = 0; i < kN * kD; ++i) {
        bool kept = !train || rt::tensorNormal(seed, stepIndex, kDropoutSite, i,
                                               kN * kD) < quantile;
        dropped += !kept;
        double a = std::max(0.0, double(x[i]) + 0.5);
        h[i] = kept ? a / (train ? 1.0 - kRatio : 1.0) : 0.0;
      }
      if (train) // about 7 of 24; all or none would test nothing
        EXPECT_GT(dropped, 0);
      EXPECT_LT(dropped, kN * kD);
      std::vector<double> gradW;
      double loss = readoutLoss(h, gradW);
      EXPECT_NEAR(*output(step, out, "loss.readout").data<float>(), loss, 1e-5);
      const float *newW = output(step, out, "fc.weight").data<float>();
      const double w0[kK * kD] = {0.5,  -0.3, 0.2,  0.8,  -0.6, 0.1,
                                  -0.4, 0.7,  0.3,  -0.2, 0.5,  -0.9,
                                  0.2,  0.1,  -0.8, 0.4,  0.3,  0.6};
      for (int64_t i = 0; i < kK * kD; ++i)
        EXPECT_NEAR(newW[i], w0[i] - lr * gradW[i], 1e-5) << "weight " << i;
      if (stepIndex == 4 && train)
        EXPECT_NE(loss, previous) << "the mask did not change with the step";
      previous = loss;
    }
  }
}

} // namespace
