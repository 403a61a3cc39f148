//===- gemm_bench.cpp - fgc-generated GEMMs against OpenBLAS --------------===//
//
// For each fp32 GEMM shape M x K x N used by the models, compiles
//   func.func @forward(A: MxK, B: KxN) -> MxN { fg.matmul }
// through fgc's CPU pipeline (JIT, -O3) and times it against cblas_sgemm
// called directly in the same process, both single-threaded. Prints a table
// of medians (GFLOP/s, ratio fgc / OpenBLAS) and writes it as JSON.
//
// Usage: fgc-gemm-bench [--reps N] [--json FILE] [--threads T] [MxKxN ...]
//
//===----------------------------------------------------------------------===//

#include "fgc/Driver/Driver.h"
#include "fgc/Pipelines/Pipelines.h"
#include "fgc/Runtime/Call.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <algorithm>
#include <cblas.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

struct Shape {
  int64_t m, k, n;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F> std::vector<double> timeIt(int reps, F &&f) {
  f(); // warm up
  std::vector<double> seconds;
  for (int i = 0; i < reps; ++i) {
    auto start = std::chrono::steady_clock::now();
    f();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return seconds;
}

} // namespace

int main(int argc, char **argv) {
  int reps = 0, threads = 1;
  std::string jsonPath = "gemm_bench.json";
  std::vector<Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--json" && i + 1 < argc)
      jsonPath = argv[++i];
    else if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (a == "-h" || a == "--help") {
      std::printf("usage: fgc-gemm-bench [--reps N] [--json FILE] "
                  "[--threads T] [MxKxN ...]\n");
      return 0;
    } else {
      Shape s;
      if (std::sscanf(a.c_str(), "%ldx%ldx%ld", &s.m, &s.k, &s.n) != 3) {
        std::fprintf(stderr, "fgc-gemm-bench: bad shape '%s' (want MxKxN)\n",
                     a.c_str());
        return 1;
      }
      shapes.push_back(s);
    }
  }
  if (shapes.empty())
    shapes = {{128, 784, 256}, {128, 256, 256},  {128, 512, 512},
              {128, 256, 10},  {8192, 512, 512}, {1024, 2048, 2048}};
  fgc::rt::setNumThreads(threads);

  mlir::DialectRegistry registry;
  fgc::getCPUTarget().registerDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  std::printf("fp32 GEMM, %d thread(s), median of the repetitions\n", threads);
  std::printf("%-18s %6s %12s %12s %8s\n", "M x K x N", "reps", "fgc GFLOP/s",
              "BLAS GFLOP/s", "ratio");
  std::ofstream json(jsonPath);
  json << "{\"threads\": " << threads << ", \"results\": [\n";
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> dist(-1, 1);
  bool first = true;
  for (const Shape &s : shapes) {
    char text[512];
    std::snprintf(text, sizeof(text),
                  "func.func @forward(%%a: tensor<%ldx%ldxf32>, %%b: "
                  "tensor<%ldx%ldxf32>) -> tensor<%ldx%ldxf32> {\n"
                  "  %%c = fg.matmul %%a, %%b : tensor<%ldx%ldxf32>, "
                  "tensor<%ldx%ldxf32> -> tensor<%ldx%ldxf32>\n"
                  "  return %%c : tensor<%ldx%ldxf32>\n}\n",
                  s.m, s.k, s.k, s.n, s.m, s.n, s.m, s.k, s.k, s.n, s.m, s.n,
                  s.m, s.n);
    auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
    std::string error;
    auto sig = fgc::driver::lowerToLinalg(*module, "forward", error);
    auto jit = mlir::succeeded(sig)
                   ? fgc::driver::lowerAndJit(*module, {}, error)
                   : nullptr;
    fgc::rt::PackedFunction fn = jit ? jit->lookup("forward", error) : nullptr;
    if (!fn) {
      std::fprintf(stderr, "fgc-gemm-bench: %s\n", error.c_str());
      return 1;
    }
    fgc::rt::Tensor a(fgc::rt::DType::F32, {s.m, s.k});
    fgc::rt::Tensor b(fgc::rt::DType::F32, {s.k, s.n});
    fgc::rt::Tensor c(fgc::rt::DType::F32, {s.m, s.n});
    fgc::rt::Tensor ref(fgc::rt::DType::F32, {s.m, s.n});
    for (int64_t i = 0; i < a.numElements(); ++i)
      a.data<float>()[i] = dist(rng);
    for (int64_t i = 0; i < b.numElements(); ++i)
      b.data<float>()[i] = dist(rng);
    double flops = 2.0 * s.m * s.k * s.n;
    int r = reps ? reps : std::clamp(int(2e10 / flops), 5, 200);
    std::vector<fgc::rt::Tensor *> args = {&a, &b, &c};
    double tFgc = median(timeIt(r, [&] { fgc::rt::callPacked(fn, args); }));
    double tBlas = median(timeIt(r, [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k,
                  1.0f, a.data<float>(), s.k, b.data<float>(), s.n, 0.0f,
                  ref.data<float>(), s.n);
    }));
    // The two must agree (same kernel, same order of summation).
    double maxDiff = 0;
    for (int64_t i = 0; i < c.numElements(); ++i)
      maxDiff = std::max(maxDiff, double(std::fabs(c.data<float>()[i] -
                                                   ref.data<float>()[i])));
    double gFgc = flops / tFgc / 1e9, gBlas = flops / tBlas / 1e9;
    char label[64];
    std::snprintf(label, sizeof(label), "%ld x %ld x %ld", s.m, s.k, s.n);
    std::printf("%-18s %6d %12.1f %12.1f %8.2f%s\n", label, r, gFgc, gBlas,
                gFgc / gBlas, maxDiff > 1e-3 ? "  (results differ!)" : "");
    json << (first ? "" : ",\n") << "  {\"m\": " << s.m << ", \"k\": " << s.k
         << ", \"n\": " << s.n << ", \"reps\": " << r
         << ", \"fgc_seconds\": " << tFgc << ", \"blas_seconds\": " << tBlas
         << ", \"fgc_gflops\": " << gFgc << ", \"blas_gflops\": " << gBlas
         << ", \"ratio\": " << gFgc / gBlas << ", \"max_abs_diff\": " << maxDiff
         << "}";
    first = false;
  }
  json << "\n]}\n";
  std::printf("wrote %s\n", jsonPath.c_str());
  return 0;
}
