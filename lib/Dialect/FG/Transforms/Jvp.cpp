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

struct FGJvpPass : fgc::fg::impl::FGJvpBase<FGJvpPass> {
  using FGJvpBase::FGJvpBase;

  void runOnOperation() override {
    if (failed(run()))
      signalPassFailure();
  }

  LogicalResult run();
};

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
  SmallVector<std::string> names(wrt.begin(), wrt.end());
  FailureOr<SmallVector<Seed>> seeds = resolveSeeds(func, names, "fg-jvp");
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
