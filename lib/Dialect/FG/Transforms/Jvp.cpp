//===- Jvp.cpp - The fg-jvp pass ------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/IR/JvpBuilder.h"
#include "fgc/Dialect/FG/Transforms/Differentiation.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Runtime/TrainerABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGJVP
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

/// A value to differentiate with respect to.
struct Seed {
  std::string name;
  Type type;
  int64_t argIndex = -1; // a function argument, or
  StringRef param;       // a parameter symbol
};

bool isFloatTensor(Type t) {
  auto tt = dyn_cast<RankedTensorType>(t);
  return tt && isa<FloatType>(tt.getElementType());
}

struct FGJvpPass : fgc::fg::impl::FGJvpBase<FGJvpPass> {
  using FGJvpBase::FGJvpBase;

  void runOnOperation() override {
    if (failed(run()))
      signalPassFailure();
  }

  LogicalResult run();
  FailureOr<SmallVector<Seed>> resolveSeeds(func::FuncOp func);
};

FailureOr<SmallVector<Seed>> FGJvpPass::resolveSeeds(func::FuncOp func) {
  SmallVector<Seed> args, params;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    StringAttr name = getArgName(func, i);
    Seed s;
    s.name = name ? name.str() : "arg" + std::to_string(i);
    s.type = func.getArgument(i).getType();
    s.argIndex = i;
    args.push_back(s);
  }
  llvm::SetVector<StringRef> paramNames;
  llvm::StringMap<Type> paramTypes;
  func.walk([&](ParamOp p) {
    paramNames.insert(p.getName());
    paramTypes[p.getName()] = p.getType();
  });
  for (StringRef p : paramNames) {
    Seed s;
    s.name = p.str();
    s.type = paramTypes[p];
    s.param = p;
    params.push_back(s);
  }

  SmallVector<std::string> wanted(wrt.begin(), wrt.end());
  if (wanted.empty())
    wanted.push_back("inputs");
  SmallVector<Seed> seeds;
  llvm::StringSet<> taken;
  auto add = [&](const Seed &s, bool explicitName) -> LogicalResult {
    if (!isFloatTensor(s.type)) {
      if (!explicitName)
        return success();
      return func.emitError("fg-jvp: cannot differentiate with respect to '")
             << s.name << "': its type " << s.type << " is not floating-point";
    }
    if (taken.insert(s.name).second)
      seeds.push_back(s);
    return success();
  };
  for (const std::string &w : wanted) {
    if (w == "inputs" || w == "params") {
      for (const Seed &s : w == "inputs" ? args : params)
        if (failed(add(s, false)))
          return failure();
      continue;
    }
    const Seed *match = nullptr;
    for (const Seed &s : args)
      if (s.name == w)
        match = &s;
    for (const Seed &s : params)
      if (!match && s.name == w)
        match = &s;
    unsigned index;
    if (!match && !StringRef(w).getAsInteger(10, index) && index < args.size())
      match = &args[index];
    if (!match) {
      std::string inputs, names;
      for (const Seed &s : args)
        inputs += (inputs.empty() ? "" : ", ") + s.name;
      for (const Seed &s : params)
        names += (names.empty() ? "" : ", ") + s.name;
      return func.emitError("fg-jvp: @")
             << func.getName() << " has no input or parameter named '" << w
             << "' (inputs: " << inputs
             << "; parameters: " << (names.empty() ? "none" : names) << ")";
    }
    if (failed(add(*match, true)))
      return failure();
  }
  return seeds;
}

LogicalResult FGJvpPass::run() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  if (tangents < 1)
    return module.emitError("fg-jvp: tangents must be at least 1, got ")
           << static_cast<int64_t>(tangents);
  auto func = module.lookupSymbol<func::FuncOp>(function);
  if (!func || func.isExternal())
    return module.emitError("fg-jvp: no function named '")
           << function << "' to differentiate";
  std::string jvpName = function + "_jvp";
  if (module.lookupSymbol(jvpName))
    return module.emitError("fg-jvp: '") << jvpName << "' already exists";
  FailureOr<SmallVector<Seed>> seeds = resolveSeeds(func);
  if (failed(seeds))
    return failure();

  OpBuilder top(func);
  top.setInsertionPointAfter(func);
  auto jvp = cast<func::FuncOp>(top.clone(*func));
  jvp.setName(jvpName);
  Block &entry = jvp.front();
  int64_t k = static_cast<int64_t>(tangents);

  // Tangent arguments, one per seed.
  OpBuilder b(ctx);
  JvpBuilder typer(b, jvp, {}, k);
  DenseMap<Value, Value> seedTangent;
  llvm::StringMap<Value> paramTangent;
  for (const Seed &s : *seeds) {
    unsigned index = jvp.getNumArguments();
    if (failed(jvp.insertArgument(index, typer.tangentType(s.type), {},
                                  jvp.getLoc())))
      return failure();
    setArgName(jvp, index, s.name + fgc::rt::abi::kTangentSuffix);
    setArgTangentOf(jvp, index, s.name);
    Value t = entry.getArgument(index);
    if (s.argIndex >= 0)
      seedTangent[entry.getArgument(s.argIndex)] = t;
    else
      paramTangent[s.param] = t;
  }

  // fg.param reads of differentiated parameters start with their tangent.
  TangentSweep sweep;
  sweep.tangent = std::move(seedTangent);
  SmallVector<Operation *> ops;
  for (Operation &op : entry.without_terminator()) {
    if (auto p = dyn_cast<ParamOp>(&op)) {
      if (Value t = paramTangent.lookup(p.getName()))
        sweep.tangent[p.getResult()] = t;
      continue;
    }
    ops.push_back(&op);
  }
  if (failed(propagateTangents(ops, k, sweep)))
    return failure();
  DenseMap<Value, Value> &tangent = sweep.tangent;

  // Results: the primal ones, then their tangents (zero where inactive).
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  SmallVector<Value> results(ret.getOperands());
  SmallVector<Type> types(jvp.getFunctionType().getResults());
  unsigned numPrimal = results.size();
  b.setInsertionPoint(ret);
  JvpBuilder zeros(b, ret, {}, k);
  SmallVector<bool> hasTangent;
  for (unsigned i = 0; i < numPrimal; ++i) {
    Value v = ret.getOperand(i);
    Value t = tangent.lookup(v);
    hasTangent.push_back(t || isFloatTensor(v.getType()));
    if (!hasTangent.back())
      continue;
    if (!t)
      t = zeros.zero(v.getType());
    results.push_back(t);
    types.push_back(t.getType());
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  eraseDead(sweep);
  SmallVector<Attribute> resultAttrs;
  for (unsigned i = 0; i < numPrimal; ++i) {
    DictionaryAttr attrs = jvp.getResultAttrDict(i);
    resultAttrs.push_back(attrs ? attrs : DictionaryAttr::get(ctx));
  }
  for (unsigned i = 0; i < numPrimal; ++i) {
    if (!hasTangent[i])
      continue;
    StringAttr name = getResultName(jvp, i);
    std::string n = name ? name.str() : "result" + std::to_string(i);
    resultAttrs.push_back(DictionaryAttr::get(
        ctx, {nameEntry(ctx, n + fgc::rt::abi::kTangentSuffix)}));
  }
  jvp.setFunctionType(
      FunctionType::get(ctx, jvp.getFunctionType().getInputs(), types));
  jvp.setAllResultAttrs(resultAttrs);
  return success();
}

} // namespace
