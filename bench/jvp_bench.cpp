//===- jvp_bench.cpp - Cost of a JVP relative to the forward pass ---------===//
//
// For each model: compiles the forward pass and its JVP (fg-jvp) with
// respect to the inputs and to all parameters, for K = 1, 4, 16 tangent
// directions, and times each in the same process (median of repetitions,
// one BLAS thread). Prints the time of each JVP relative to the primal
// forward pass of the same model and writes JSON.
//
// Usage: fgc-jvp-bench [--batch N] [--reps N] [--threads T] [--json FILE]
//                      MODEL.onnx...
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Driver/Driver.h"
#include "fgc/Pipelines/Pipelines.h"
#include "fgc/Runtime/Call.h"

#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

using namespace fgc;

namespace {

struct Timing {
  std::string wrt;
  int64_t k;
  double seconds;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Compiles `entry` of (a clone of) `module` after fg-jvp with the given
/// options (none for the primal), and returns the median call time.
bool timeEntry(mlir::ModuleOp module, const std::string &wrt, int64_t k,
               int reps, double &seconds, std::string &error) {
  mlir::OwningOpRef<mlir::ModuleOp> m(module.clone());
  std::string entry = "forward";
  if (k > 0) {
    if (mlir::failed(runJvp(*m, "forward", {wrt}, k, error)))
      return false;
    m->lookupSymbol("forward")->erase();
    entry = "forward_jvp";
  }
  std::map<std::string, rt::Tensor> params = driver::parameterTensors(*m);
  auto sig = fgc::driver::lowerToLinalg(*m, entry, error);
  if (mlir::failed(sig))
    return false;
  auto jit = driver::lowerAndJit(*m, CodegenOptions(), error);
  rt::PackedFunction fn = jit ? jit->lookup(entry, error) : nullptr;
  if (!fn)
    return false;
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<rt::Tensor> owned;
  owned.reserve(sig->args.size());
  std::vector<rt::Tensor *> args;
  for (const rt::ArgSpec &a : sig->args) {
    if (a.kind == rt::ArgSpec::Kind::Parameter) {
      args.push_back(&params.at(a.name));
      continue;
    }
    owned.emplace_back(a.dtype, a.shape);
    if (a.kind == rt::ArgSpec::Kind::Input)
      for (int64_t i = 0; i < owned.back().numElements(); ++i)
        owned.back().data<float>()[i] = dist(rng);
    args.push_back(&owned.back());
  }
  rt::callPacked(fn, args); // warm up
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    rt::callPacked(fn, args);
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  seconds = median(times);
  return true;
}

} // namespace

int main(int argc, char **argv) {
  int64_t batch = 128;
  int reps = 20, threads = 1;
  std::string jsonPath = "jvp_bench.json";
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--batch" && i + 1 < argc)
      batch = std::atoll(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (a == "--json" && i + 1 < argc)
      jsonPath = argv[++i];
    else if (a == "-h" || a == "--help") {
      std::printf("usage: fgc-jvp-bench [--batch N] [--reps N] [--threads T] "
                  "[--json FILE] MODEL.onnx...\n");
      return 0;
    } else
      models.push_back(a);
  }
  if (models.empty()) {
    std::fprintf(stderr, "fgc-jvp-bench: no model given\n");
    return 1;
  }
  rt::setNumThreads(threads);
  mlir::DialectRegistry registry;
  registerImportDialects(registry);
  fgc::getCPUTarget().registerDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ctx.printOpOnDiagnostic(false);

  std::ofstream json(jsonPath);
  json << "{\"batch\": " << batch << ", \"threads\": " << threads
       << ", \"models\": [\n";
  std::printf("JVP time relative to the forward pass, batch %ld, %d thread(s), "
              "median of %d\n",
              batch, threads, reps);
  std::printf("%-28s %8s %4s %12s %8s\n", "model", "wrt", "K", "ms", "ratio");
  for (size_t mi = 0; mi < models.size(); ++mi) {
    ImportOptions options;
    options.batchSize = batch;
    // Imported and cleaned up as fgc does (canonicalized, layer norms fused).
    mlir::OwningOpRef<mlir::ModuleOp> module =
        driver::importModel(ctx, models[mi], options, PipelineOptions());
    if (!module)
      return 1;
    std::string error;
    double primal;
    if (!timeEntry(*module, "", 0, reps, primal, error)) {
      std::fprintf(stderr, "fgc-jvp-bench: %s\n", error.c_str());
      return 1;
    }
    std::string name = models[mi].substr(models[mi].rfind('/') + 1);
    std::printf("%-28s %8s %4s %12.3f %8.2f\n", name.c_str(), "-", "-",
                primal * 1e3, 1.0);
    json << (mi ? ",\n" : "") << "  {\"model\": \"" << name
         << "\", \"forward_seconds\": " << primal << ", \"jvp\": [";
    bool first = true;
    for (const char *wrt : {"inputs", "params"})
      for (int64_t k : {1, 4, 16}) {
        double t;
        if (!timeEntry(*module, wrt, k, reps, t, error)) {
          std::fprintf(stderr, "fgc-jvp-bench: %s\n", error.c_str());
          return 1;
        }
        std::printf("%-28s %8s %4ld %12.3f %8.2f\n", name.c_str(), wrt, k,
                    t * 1e3, t / primal);
        json << (first ? "" : ", ") << "{\"wrt\": \"" << wrt
             << "\", \"k\": " << k << ", \"seconds\": " << t
             << ", \"ratio\": " << t / primal << "}";
        first = false;
      }
    json << "]}";
  }
  json << "\n]}\n";
  std::printf("wrote %s\n", jsonPath.c_str());
  return 0;
}
