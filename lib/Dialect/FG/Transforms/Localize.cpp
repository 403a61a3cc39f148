//===- Localize.cpp - The fg-localize pass --------------------------------===//

#include "fgc/Dialect/FG/Analysis/Partition.h"
#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Runtime/TrainerABI.h"
#include "fgc/Support/Philox.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGLOCALIZE
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

/// The stream of fg.random_normal sites the heads' initial values use
/// (far from any perturbation site).
constexpr uint32_t kHeadInitSite = 0x48454144; // "HEAD"

struct FGLocalizePass : fgc::fg::impl::FGLocalizeBase<FGLocalizePass> {
  using FGLocalizeBase::FGLocalizeBase;

  void runOnOperation() override {
    if (failed(run()))
      signalPassFailure();
  }
  LogicalResult run();

  /// Declares head.<b>.weight [c, k] and head.<b>.bias [k].
  std::pair<std::string, std::string> declareHead(ModuleOp module, OpBuilder &b,
                                                  unsigned index, int64_t c,
                                                  int64_t k, Type elt,
                                                  double scale);
};

std::pair<std::string, std::string>
FGLocalizePass::declareHead(ModuleOp module, OpBuilder &b, unsigned index,
                            int64_t c, int64_t k, Type elt, double scale) {
  std::string w = "head." + std::to_string(index) + ".weight";
  std::string bias = "head." + std::to_string(index) + ".bias";
  SmallVector<APFloat> values;
  const llvm::fltSemantics &sem = cast<FloatType>(elt).getFloatSemantics();
  for (int64_t i = 0; i < c * k; ++i) {
    double v = scale * fgc::support::randomNormal(static_cast<uint64_t>(seed),
                                                  index, kHeadInitSite, i);
    APFloat f(v);
    bool lost;
    f.convert(sem, APFloat::rmNearestTiesToEven, &lost);
    values.push_back(f);
  }
  auto wType = RankedTensorType::get({c, k}, elt);
  auto bType = RankedTensorType::get({k}, elt);
  ParameterOp::create(b, module.getLoc(), w,
                      DenseElementsAttr::get(wType, values));
  ParameterOp::create(b, module.getLoc(), bias,
                      DenseElementsAttr::get(bType, FloatAttr::get(elt, 0.0)));
  return {w, bias};
}

LogicalResult FGLocalizePass::run() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  auto forward = module.lookupSymbol<func::FuncOp>(fgc::rt::abi::kForward);
  if (!forward || forward.isExternal())
    return module.emitError("fg-localize: the module has no @forward");
  if (module.lookupSymbol(fgc::rt::abi::kLocalLosses))
    return module.emitError("fg-localize: @local_losses already exists");
  if (!llvm::is_contained({"kaiming", "lecun", "constant"}, headInit))
    return module.emitError("fg-localize: unknown head-init '")
           << headInit << "' (kaiming, lecun or constant)";

  OpBuilder top(forward);
  top.setInsertionPointAfter(forward);
  auto func = cast<func::FuncOp>(top.clone(*forward));
  func.setName(fgc::rt::abi::kLocalLosses);

  PartitionOptions options;
  options.boundaries.assign(blocks.begin(), blocks.end());
  options.groups.assign(groups.begin(), groups.end());
  options.layouts.assign(layouts.begin(), layouts.end());
  options.readout = readout;
  FailureOr<Partition> partition = analyzePartition(func, options);
  if (failed(partition)) {
    func.erase();
    return failure();
  }
  Partition &p = *partition;
  Block &body = func.front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value logits = p.logits;
  auto logitsType = logits ? typeOf(logits) : RankedTensorType();
  if (!logitsType || logitsType.getRank() != 2) {
    func.erase();
    return forward.emitError(p.readout ? "the readout's" : "the model's")
           << " output must be [N, classes], got " << logitsType;
  }
  int64_t n = logitsType.getDimSize(0), k = logitsType.getDimSize(1);
  Type elt = logitsType.getElementType();

  // Labels.
  unsigned labelIndex = func.getNumArguments();
  auto labelsType = RankedTensorType::get({n}, IntegerType::get(ctx, 64));
  if (failed(func.insertArgument(labelIndex, labelsType, {}, func.getLoc())))
    return failure();
  setArgName(func, labelIndex, fgc::rt::abi::kLabels);
  Value labels = body.getArgument(labelIndex);

  OpBuilder b(ctx);
  // Perturbation points.
  for (auto [site, layer] : llvm::enumerate(p.layers)) {
    b.setInsertionPointAfterValue(layer.z);
    auto perturb = PerturbOp::create(b, layer.z.getLoc(), layer.z,
                                     b.getI64IntegerAttr(site));
    layer.z.replaceAllUsesExcept(perturb.getResult(), perturb);
    for (LocalBlock &block : p.blocks)
      if (block.output == layer.z)
        block.output = perturb.getResult();
  }

  SmallVector<Value> results;
  SmallVector<std::string> names;
  if (!global) {
    // Heads and cuts.
    OpBuilder params(module.getBodyRegion());
    params.setInsertionPoint(forward);
    for (auto [index, block] : llvm::enumerate(p.blocks)) {
      bool last = index + 1 == p.blocks.size();
      if (!modularLoss && !last)
        continue;
      Value x = block.output;
      Operation *def = x.getDefiningOp();
      b.setInsertionPointAfter(def);
      Location loc = def->getLoc();
      // Rearrange to [N, spatial..., (G,) C] and reshape to [N, P, G, C/G].
      const Layout &l = block.layout;
      SmallVector<int64_t> perm = {l.batch};
      llvm::append_range(perm, l.spatial);
      if (l.group >= 0)
        perm.push_back(l.group);
      perm.push_back(l.channel);
      Value h = transpose(b, loc, x, perm);
      int64_t g = block.groups, c = block.channels;
      h = ReshapeOp::create(
          b, loc, RankedTensorType::get({n, block.patches, g, c / g}, elt), h);
      Operation *headFirst = h == x ? nullptr : h.getDefiningOp();
      if (headFirst && headFirst->getOperand(0) != x)
        headFirst = headFirst->getOperand(0).getDefiningOp();
      if (headNorm)
        h = LayerNormOp::create(b, loc, h, ValueRange{}, b.getI64IntegerAttr(3),
                                b.getF64FloatAttr(1e-5));
      double scale = initScale(headInit, static_cast<double>(c));
      auto [wName, bName] =
          declareHead(module, params, index, c, k, elt, scale);
      Value w = ParamOp::create(b, loc, typeOf(x).clone({c, k}),
                                FlatSymbolRefAttr::get(ctx, wName));
      Value bias = ParamOp::create(b, loc, RankedTensorType::get({k}, elt),
                                   FlatSymbolRefAttr::get(ctx, bName));
      auto head = LocalXentOp::create(b, loc, h, w, bias, labels,
                                      b.getBoolAttr(spatialLoss));
      head.setBlockIndex(index);
      results.push_back(head.getResult());
      names.push_back(fgc::rt::abi::kLossPrefix + block.name);
      if (modularLoss && !last) {
        auto cut = StopGradientOp::create(b, loc, x);
        x.replaceAllUsesExcept(cut.getResult(),
                               SmallPtrSet<Operation *, 2>{cut, headFirst});
      }
    }
  }

  // The readout: behind a stop-gradient in the local algorithms. Without
  // one the loss on the model's logits is only measured (and, in the global
  // algorithms, the loss every perturbation scores).
  FGDialect *dialect = FGDialect::get(ctx);
  Location lossLoc = ret.getLoc();
  if (p.readout) {
    Operation *readoutOp = p.readout->op;
    lossLoc = readoutOp->getLoc();
    dialect->getReadoutAttrHelper().setAttr(readoutOp, UnitAttr::get(ctx));
    if (!global) {
      b.setInsertionPoint(readoutOp);
      Value in = readoutOp->getOperand(0);
      auto cut = StopGradientOp::create(b, readoutOp->getLoc(), in);
      readoutOp->setOperand(0, cut);
    }
  }
  b.setInsertionPoint(ret);
  auto ce = CrossEntropyOp::create(b, lossLoc, logits, labels);
  dialect->getReadoutAttrHelper().setAttr(ce, UnitAttr::get(ctx));
  results.push_back(ce);
  names.push_back(fgc::rt::abi::kReadoutLoss);
  results.push_back(logits);
  names.push_back(fgc::rt::abi::kLogits);
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  SmallVector<Type> types;
  SmallVector<Attribute> attrs;
  for (auto [v, name] : llvm::zip(results, names)) {
    types.push_back(v.getType());
    attrs.push_back(DictionaryAttr::get(ctx, {nameEntry(ctx, name)}));
  }
  func.setFunctionType(
      FunctionType::get(ctx, func.getFunctionType().getInputs(), types));
  func.setAllResultAttrs(attrs);
  SmallVector<Attribute> blockNames;
  for (LocalBlock &block : p.blocks)
    blockNames.push_back(
        StringAttr::get(ctx, block.name + ":" + block.layout.letters + ":G" +
                                 std::to_string(block.groups)));
  dialect->getBlocksAttrHelper().setAttr(func, ArrayAttr::get(ctx, blockNames));
  dialect->getLocalAttrHelper().setAttr(func, BoolAttr::get(ctx, !global));
  return success();
}

} // namespace
