//===- StripParameters.cpp - The fg-strip-parameters pass -----------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"

#include "llvm/ADT/StringSet.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGSTRIPPARAMETERS
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

struct FGStripParametersPass
    : fgc::fg::impl::FGStripParametersBase<FGStripParametersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringSet<> read;
    module.walk([&](ParamOp p) { read.insert(p.getName()); });
    for (auto param :
         llvm::make_early_inc_range(module.getOps<ParameterOp>())) {
      if (read.contains(param.getSymName())) {
        param.emitError("parameter '")
            << param.getSymName()
            << "' is still read by fg.param (run fg-params-to-args first)";
        return signalPassFailure();
      }
      param.erase();
    }
  }
};

} // namespace
