//===- InitParams.cpp - The fg-init-params pass ---------------------------===//
//
// Spec §3.3's initialisation, as a pass over imported IR (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Runtime/TrainerABI.h"
#include "fgc/Support/Philox.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

namespace fgc::fg {
#define GEN_PASS_DEF_FGINITPARAMS
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

struct FGInitParamsPass : fgc::fg::impl::FGInitParamsBase<FGInitParamsPass> {
  using FGInitParamsBase::FGInitParamsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (scheme == InitScheme::None)
      return;
    // Weights: parameters read as the weight operand of a linear op, with
    // that op's fan-in; the readout's is the last one @forward reads.
    llvm::StringMap<double> fanIn;
    std::string readout;
    // A normalisation's scale and running variance start at one (zero
    // would silence the layer, or divide by sqrt(epsilon)).
    llvm::StringSet<> ones;
    if (auto forward =
            module.lookupSymbol<func::FuncOp>(fgc::rt::abi::kForward)) {
      forward.walk([&](LinearOpInterface linear) {
        if (auto p = linear.getWeight().getDefiningOp<ParamOp>()) {
          fanIn[p.getName()] = double(linear.getWeightFanIn());
          readout = p.getName().str();
        }
      });
      forward.walk([&](BatchNormOp bn) {
        for (Value v : {bn.getScale(), bn.getVar()})
          if (auto p = v.getDefiningOp<ParamOp>())
            ones.insert(p.getName());
      });
    }
    uint32_t site = 0;
    for (auto param : module.getOps<ParameterOp>()) {
      RankedTensorType type = param.getType();
      auto elt = dyn_cast<FloatType>(type.getElementType());
      if (!elt) {
        param.emitError("--init: parameter '")
            << param.getSymName() << "' is not floating-point";
        return signalPassFailure();
      }
      bool weight = fanIn.contains(param.getSymName()) &&
                    param.getSymName() != readout && type.getRank() >= 2;
      double scale = weight ? initScale(stringifyInitScheme(scheme),
                                        fanIn.lookup(param.getSymName()))
                            : 0.0;
      SmallVector<APFloat> values;
      values.reserve(type.getNumElements());
      for (int64_t i = 0; i < type.getNumElements(); ++i) {
        APFloat v(weight ? scale * fgc::support::randomNormal(0, 0, site, i)
                  : ones.contains(param.getSymName()) ? 1.0
                                                      : 0.0);
        bool lost;
        v.convert(elt.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
        values.push_back(v);
      }
      param.setValueAttr(DenseElementsAttr::get(type, values));
      ++site;
    }
  }
};

} // namespace
