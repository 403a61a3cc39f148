//===- ParamsToArgs.cpp - fg.param reads become function arguments --------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGPARAMSTOARGS
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

struct FGParamsToArgsPass
    : fgc::fg::impl::FGParamsToArgsBase<FGParamsToArgsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      // Parameters this function reads, in declaration order (which fixes
      // the argument order), each with its reads in program order.
      llvm::StringMap<SmallVector<ParamOp>> byName;
      func.walk([&](ParamOp op) { byName[op.getName()].push_back(op); });
      llvm::MapVector<StringRef, SmallVector<ParamOp>> reads;
      for (auto param : module.getOps<ParameterOp>()) {
        auto it = byName.find(param.getSymName());
        if (it != byName.end())
          reads[it->first()] = it->second;
      }
      if (reads.empty())
        continue;

      Block &entry = func.front();
      MLIRContext *ctx = &getContext();
      for (auto &[name, ops] : reads) {
        unsigned index = func.getNumArguments();
        Type type = ops.front().getType();
        if (failed(func.insertArgument(index, type, {}, ops.front().getLoc())))
          return signalPassFailure();
        setArgParam(func, index, name);
        func.setArgAttr(index, "bufferization.writable",
                        BoolAttr::get(ctx, false));
        for (ParamOp op : ops) {
          op.replaceAllUsesWith(entry.getArgument(index));
          op.erase();
        }
      }
    }
  }
};

} // namespace
