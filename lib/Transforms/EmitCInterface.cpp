//===- EmitCInterface.cpp - The fgc-emit-c-interface pass -----------------===//

#include "fgc/Transforms/Passes.h"

namespace fgc {
#define GEN_PASS_DEF_EMITCINTERFACE
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

struct EmitCInterfacePass : fgc::impl::EmitCInterfaceBase<EmitCInterfacePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto unit = UnitAttr::get(module.getContext());
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        func->setAttr("llvm.emit_c_interface", unit);
  }
};

} // namespace
