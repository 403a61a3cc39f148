//===- Run.cpp - fgc run and fgc jvp --------------------------------------===//
//
// Both JIT-compile one function of a model (the forward pass, a training
// function, or the forward-mode derivative) and run it on tensors read from
// files, writing one .npy per output.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "fgc/Dialect/FG/IR/FGAttributes.h"
#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Differentiation.h"
#include "fgc/Runtime/TensorIO.h"
#include "fgc/Runtime/TrainerABI.h"
#include "fgc/Target/Artifact.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;

namespace fgc::driver {

namespace {

/// What `fgc run` and `fgc jvp` share: the inputs read from files, the
/// imported module and the parameter values.
struct Session {
  std::unique_ptr<MLIRContext> ctx;
  std::map<std::string, rt::Tensor> inputs;
  OwningOpRef<ModuleOp> module;
  std::map<std::string, rt::Tensor> params;
};

/// Reads the inputs (their shapes fix dynamic dimensions), imports the
/// model and collects its parameters. False after reporting an error.
bool prepare(const RunOptions &options, Session &s) {
  ImportOptions importOptions = options.import;
  importOptions.shapeFlag = "--input";
  s.ctx = makeContext(*options.pipeline.target);
  for (const auto &[name, file] : options.inputs) {
    rt::Tensor t;
    std::string why;
    if (!rt::readTensorFile(file, t, why))
      return error("--input " + name + "=" + file + ": " + why), false;
    if (s.inputs.count(name))
      return error("--input " + name + " is given twice"), false;
    if (!importOptions.inputShapes.count(name))
      importOptions.inputShapes[name] =
          llvm::SmallVector<int64_t>(t.shape().begin(), t.shape().end());
    s.inputs.emplace(name, std::move(t));
  }
  for (const std::string &name : options.foldInputs) {
    auto it = s.inputs.find(name);
    if (it == s.inputs.end())
      return error("--fold-input " + name + ": no --input gives its value"),
             false;
    importOptions.constantInputs[name] = attrFromTensor(*s.ctx, it->second);
  }
  s.module =
      importModel(*s.ctx, options.model, importOptions, options.pipeline);
  if (!s.module)
    return false;
  s.params = parameterTensors(*s.module);
  // With a training step the overrides wait for the local heads (run()).
  if (!options.training && !options.params.empty() &&
      !overrideParams(*s.ctx, options.params, s.params))
    return false;
  return true;
}

/// Compiles `entry`, runs it on the session's inputs (and `tangents` for
/// the arguments named "<x>.tangent"; zeros when not given) and writes one
/// .npy per output.
int execute(Session &s, StringRef entry, const RunOptions &options,
            std::map<std::string, rt::Tensor> *tangents = nullptr) {
  std::string why;
  if (failed(runPipeline(*s.module, options.pipeline, Phase::Linalg,
                         Phase::Linalg, why)))
    return error(options.model + ": " + why);
  FailureOr<FunctionSignature> sig = getSignature(*s.module, entry, why);
  if (failed(sig))
    return error(options.model + ": " + why);
  for (const auto &entryInput : s.inputs) {
    bool known = llvm::is_contained(options.foldInputs, entryInput.first);
    for (const rt::ArgSpec &a : sig->args)
      known |= a.kind == rt::ArgSpec::Kind::Input && a.name == entryInput.first;
    if (!known) {
      std::string names;
      for (const rt::ArgSpec &a : sig->args)
        if (a.kind == rt::ArgSpec::Kind::Input && !rt::abi::isTangent(a.name))
          names += (names.empty() ? "" : ", ") + a.name;
      return error("--input " + entryInput.first +
                   ": the model has no input '" + entryInput.first +
                   "' (inputs: " + names + ")");
    }
  }
  std::vector<rt::Tensor> owned;
  owned.reserve(sig->args.size());
  std::vector<rt::Tensor *> args;
  std::vector<size_t> outputs;
  for (const rt::ArgSpec &a : sig->args) {
    switch (a.kind) {
    case rt::ArgSpec::Kind::Input: {
      rt::Tensor *t = nullptr;
      auto it = s.inputs.find(a.name);
      if (it != s.inputs.end()) {
        t = &it->second;
      } else if ((tangents && (rt::abi::isTangent(a.name) ||
                               rt::abi::isCotangent(a.name))) ||
                 rt::abi::isOptimizerState(a.name)) {
        // Tangents, cotangents and optimizer state default to zero.
        auto tt = tangents ? tangents->find(a.name) : s.inputs.end();
        if (tangents && tt != tangents->end()) {
          t = &tt->second;
        } else {
          owned.emplace_back(a.dtype, a.shape);
          std::memset(owned.back().data(), 0, owned.back().byteSize());
          t = &owned.back();
        }
      } else {
        return error("missing --input for model input '" + a.name +
                     "' (expected " + a.typeString() + ")");
      }
      if (t->dtype() != a.dtype || t->shape() != a.shape) {
        auto strip = [&](const char *suffix) {
          return a.name.substr(0, a.name.size() - std::strlen(suffix));
        };
        std::string flag =
            rt::abi::isTangent(a.name)
                ? "--tangent " + strip(rt::abi::kTangentSuffix)
            : rt::abi::isCotangent(a.name)
                ? "--cotangent " + strip(rt::abi::kCotangentSuffix)
                : "--input " + a.name;
        return error(flag + ": expected " + a.typeString() +
                     ", the file holds " + t->typeString());
      }
      args.push_back(t);
      break;
    }
    case rt::ArgSpec::Kind::Parameter:
      args.push_back(&s.params.at(a.name));
      break;
    case rt::ArgSpec::Kind::Output:
      owned.emplace_back(a.dtype, a.shape);
      outputs.push_back(args.size());
      args.push_back(&owned.back());
      break;
    }
  }

  if (failed(runPipeline(*s.module, options.pipeline, Phase::LLVM, Phase::LLVM,
                         why)))
    return error(options.model + ": " + why);
  std::unique_ptr<JitModule> jit = options.pipeline.target->createJit(
      *s.module, options.codegen, runtimeSymbols(), why);
  if (!jit)
    return error(options.model + ": " + why);
  rt::PackedFunction fn = jit->lookup(entry, why);
  if (!fn)
    return error(why);
  rt::setNumThreads(options.threads);
  // With --steps, outputs named like an argument (updated parameters and
  // optimizer state) feed the next call, and "step" counts up.
  std::vector<std::pair<size_t, size_t>> feedback; // output arg -> input arg
  size_t stepArg = args.size();
  for (size_t i = 0; i < sig->args.size(); ++i) {
    const rt::ArgSpec &a = sig->args[i];
    if (a.kind != rt::ArgSpec::Kind::Output) {
      if (a.name == rt::abi::kStep && a.dtype == rt::DType::I64 &&
          a.shape.empty())
        stepArg = i;
      continue;
    }
    for (size_t j = 0; j < sig->args.size(); ++j)
      if (sig->args[j].kind != rt::ArgSpec::Kind::Output &&
          sig->args[j].name == a.name && sig->args[j].shape == a.shape &&
          sig->args[j].dtype == a.dtype)
        feedback.push_back({i, j});
  }
  for (int64_t step = 0; step < std::max<int64_t>(options.steps, 1); ++step) {
    rt::callPacked(fn, args);
    if (options.steps <= 0)
      break;
    llvm::outs() << "step " << step;
    for (size_t i = 0; i < sig->args.size(); ++i) {
      const rt::ArgSpec &a = sig->args[i];
      if (a.kind == rt::ArgSpec::Kind::Output && a.shape.empty() &&
          a.dtype == rt::DType::F32)
        llvm::outs() << " " << a.name << "=" << *args[i]->data<float>();
    }
    llvm::outs() << "\n";
    if (step + 1 == options.steps)
      break;
    for (auto [from, to] : feedback)
      if (size_t bytes = args[to]->byteSize())
        std::memcpy(args[to]->data(), args[from]->data(), bytes);
    if (stepArg < args.size())
      ++*args[stepArg]->data<int64_t>();
  }

  if (std::error_code ec = llvm::sys::fs::create_directories(options.outputDir))
    return error("--output-dir " + options.outputDir + ": " + ec.message());
  std::vector<std::string> written;
  size_t o = 0;
  for (const rt::ArgSpec &a : sig->args) {
    if (a.kind != rt::ArgSpec::Kind::Output)
      continue;
    llvm::SmallString<256> path(options.outputDir);
    llvm::sys::path::append(path, outputFileName(a.name));
    if (!rt::writeTensorFile(path.str().str(), *args[outputs[o++]], why)) {
      for (const std::string &w : written)
        llvm::sys::fs::remove(w);
      return error(path + ": " + why);
    }
    written.push_back(path.str().str());
  }
  return 0;
}

} // namespace

int run(const RunOptions &options) {
  Session s;
  if (!prepare(options, s))
    return 1;
  if (options.importOnly)
    return 0;
  if (options.training) {
    std::string why;
    if (failed(runPipeline(*s.module, options.pipeline, Phase::Local,
                           Phase::Train, why)))
      return error(options.model + ": " + why);
    // The local heads are new parameters.
    for (auto &[name, t] : parameterTensors(*s.module))
      s.params.emplace(name, std::move(t));
    if (!options.params.empty() &&
        !overrideParams(*s.ctx, options.params, s.params))
      return 1;
  }
  if (!s.module->lookupSymbol<func::FuncOp>(options.function))
    return error("--function=" + options.function +
                 ": no such function (forward; with --algo also "
                 "local_losses, train_step, eval_step, learning_rate)");
  return execute(s, options.function, options);
}

int jvp(const JvpOptions &options) {
  if (options.numTangents < 1)
    return error("--tangents must be at least 1, got " +
                 llvm::Twine(options.numTangents));
  Session s;
  if (!prepare(options, s))
    return 1;
  std::map<std::string, rt::Tensor> tangents;
  for (const auto &[name, file] : options.tangents) {
    rt::Tensor t;
    std::string why;
    if (!rt::readTensorFile(file, t, why))
      return error("--tangent " + name + "=" + file + ": " + why);
    tangents[rt::abi::tangentName(name)] = std::move(t);
  }
  std::string why;
  if (failed(runJvp(*s.module, rt::abi::kForward, options.wrt,
                    options.numTangents, why)))
    return error(options.model + ": " + why);
  // Only the derivative is compiled.
  if (auto primal = s.module->lookupSymbol<func::FuncOp>(rt::abi::kForward))
    primal.erase();
  std::string jvpName = std::string(rt::abi::kForward) + "_jvp";
  auto jvpFunc = s.module->lookupSymbol<func::FuncOp>(jvpName);
  std::string differentiated;
  llvm::StringSet<> seeds;
  for (unsigned i = 0; i < jvpFunc.getNumArguments(); ++i)
    if (StringAttr of = fg::getArgTangentOf(jvpFunc, i)) {
      seeds.insert(of.getValue());
      differentiated += (differentiated.empty() ? "" : ", ") + of.str();
    }
  for (const auto &entry : options.tangents)
    if (!seeds.contains(entry.first))
      return error("--tangent " + entry.first + ": '" + entry.first +
                   "' is not differentiated (--wrt gives: " +
                   (differentiated.empty() ? "nothing" : differentiated) + ")");
  return execute(s, jvpName, options, &tangents);
}

int vjp(const VjpOptions &options) {
  Session s;
  if (!prepare(options, s))
    return 1;
  auto forward = s.module->lookupSymbol<func::FuncOp>(rt::abi::kForward);
  std::string outputs;
  llvm::StringSet<> floatOutputs;
  for (unsigned i = 0; i < forward.getNumResults(); ++i) {
    StringAttr name = fg::getResultName(forward, i);
    std::string n = name ? name.str() : "result" + std::to_string(i);
    if (!fg::isFloatTensor(forward.getResultTypes()[i]))
      continue;
    floatOutputs.insert(n);
    outputs += (outputs.empty() ? "" : ", ") + n;
  }
  if (options.cotangents.empty())
    return error("fgc vjp needs --cotangent OUTPUT=FILE for at least one "
                 "output (outputs: " +
                 outputs + ")");
  std::map<std::string, rt::Tensor> cotangents;
  for (const auto &[name, file] : options.cotangents) {
    if (!floatOutputs.contains(name))
      return error("--cotangent " + name +
                   ": the model has no "
                   "floating-point output '" +
                   name + "' (outputs: " + outputs + ")");
    if (cotangents.count(rt::abi::cotangentName(name)))
      return error("--cotangent " + name + " is given twice");
    rt::Tensor t;
    std::string why;
    if (!rt::readTensorFile(file, t, why))
      return error("--cotangent " + name + "=" + file + ": " + why);
    cotangents[rt::abi::cotangentName(name)] = std::move(t);
  }
  std::string why;
  if (failed(runVjp(*s.module, rt::abi::kForward, options.wrt, why)))
    return error(options.model + ": " + why);
  forward.erase(); // only the derivative is compiled
  return execute(s, std::string(rt::abi::kForward) + "_vjp", options,
                 &cotangents);
}

} // namespace fgc::driver
