//===- Vjp.cpp - The fg-vjp pass ------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Differentiation.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Runtime/TrainerABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGVJP
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

struct FGVjpPass : fgc::fg::impl::FGVjpBase<FGVjpPass> {
  using FGVjpBase::FGVjpBase;

  void runOnOperation() override {
    if (failed(run()))
      signalPassFailure();
  }

  LogicalResult run();
};

LogicalResult FGVjpPass::run() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  auto func = module.lookupSymbol<func::FuncOp>(function);
  if (!func || func.isExternal())
    return module.emitError("fg-vjp: no function named '")
           << function << "' to differentiate";
  std::string vjpName = function + "_vjp";
  if (module.lookupSymbol(vjpName))
    return module.emitError("fg-vjp: '") << vjpName << "' already exists";
  SmallVector<std::string> names(wrt.begin(), wrt.end());
  FailureOr<SmallVector<Seed>> seeds = resolveSeeds(func, names, "fg-vjp");
  if (failed(seeds))
    return failure();

  OpBuilder top(func);
  top.setInsertionPointAfter(func);
  auto vjp = cast<func::FuncOp>(top.clone(*func));
  vjp.setName(vjpName);
  Block &entry = vjp.front();
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  unsigned numPrimal = ret.getNumOperands();

  // One cotangent argument per floating-point result; a value returned
  // twice collects both.
  DenseMap<Value, Value> cot;
  OpBuilder b(ret);
  for (unsigned i = 0; i < numPrimal; ++i) {
    Value v = ret.getOperand(i);
    if (!isFloatTensor(v.getType()))
      continue;
    unsigned index = vjp.getNumArguments();
    if (failed(vjp.insertArgument(index, v.getType(), {}, vjp.getLoc())))
      return failure();
    StringAttr name = getResultName(vjp, i);
    setArgName(vjp, index,
               (name ? name.str() : "result" + std::to_string(i)) +
                   fgc::rt::abi::kCotangentSuffix);
    Value c = entry.getArgument(index);
    Value &slot = cot[v];
    slot = slot ? AddOp::create(b, ret.getLoc(), slot, c).getResult() : c;
  }

  // The values to differentiate: seeded arguments and every read of a
  // seeded parameter (their cotangents add up).
  DenseSet<Value> targets;
  llvm::StringMap<SmallVector<Value>> paramReads; // seeded parameters only
  SmallVector<Operation *> ops;
  for (const Seed &s : *seeds) {
    if (s.argIndex >= 0)
      targets.insert(entry.getArgument(s.argIndex));
    else
      paramReads[s.param];
  }
  for (Operation &op : entry.without_terminator()) {
    if (auto p = dyn_cast<ParamOp>(&op)) {
      auto it = paramReads.find(p.getName());
      if (it != paramReads.end()) {
        targets.insert(p.getResult());
        it->second.push_back(p.getResult());
      }
    }
    ops.push_back(&op);
  }
  if (failed(propagateCotangents(b, ops, targets, cot)))
    return failure();

  // Results: the primal ones, then one gradient per seed (zero where no
  // path leads from the seed to a result).
  SmallVector<Value> results(ret.getOperands());
  SmallVector<Type> types(vjp.getFunctionType().getResults());
  SmallVector<Attribute> resultAttrs;
  for (unsigned i = 0; i < numPrimal; ++i) {
    DictionaryAttr attrs = vjp.getResultAttrDict(i);
    resultAttrs.push_back(attrs ? attrs : DictionaryAttr::get(ctx));
  }
  for (const Seed &s : *seeds) {
    Value g;
    auto add = [&](Value c) {
      if (c)
        g = g ? AddOp::create(b, ret.getLoc(), g, c).getResult() : c;
    };
    if (s.argIndex >= 0)
      add(cot.lookup(entry.getArgument(s.argIndex)));
    else
      for (Value read : paramReads.lookup(s.param))
        add(cot.lookup(read));
    if (!g)
      g = splat(b, ret.getLoc(), cast<RankedTensorType>(s.type), 0.0);
    results.push_back(g);
    types.push_back(g.getType());
    resultAttrs.push_back(DictionaryAttr::get(
        ctx, {nameEntry(ctx, s.name + fgc::rt::abi::kGradSuffix)}));
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  vjp.setFunctionType(
      FunctionType::get(ctx, vjp.getFunctionType().getInputs(), types));
  vjp.setAllResultAttrs(resultAttrs);
  return success();
}

} // namespace
