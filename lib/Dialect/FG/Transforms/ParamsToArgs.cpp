//===- ParamsToArgs.cpp - fg.param reads become function arguments -------===//

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
    // Declaration order fixes the argument order.
    llvm::StringMap<unsigned> order;
    for (auto param : module.getOps<ParameterOp>())
      order[param.getSymName()] = order.size();

    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      // Parameters this function reads, in declaration order.
      llvm::MapVector<StringRef, SmallVector<ParamOp>> reads;
      SmallVector<ParamOp> all;
      func.walk([&](ParamOp op) { all.push_back(op); });
      llvm::stable_sort(all, [&](ParamOp a, ParamOp b) {
        return order.lookup(a.getName()) < order.lookup(b.getName());
      });
      for (ParamOp op : all)
        reads[op.getName()].push_back(op);
      if (reads.empty())
        continue;

      Block &entry = func.front();
      MLIRContext *ctx = &getContext();
      for (auto &[name, ops] : reads) {
        unsigned index = func.getNumArguments();
        Type type = ops.front().getType();
        if (failed(func.insertArgument(index, type, {}, ops.front().getLoc())))
          return signalPassFailure();
        func.setArgAttr(index, "fg.param", StringAttr::get(ctx, name));
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
