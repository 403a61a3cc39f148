//===- LinalgToBlas.cpp - linalg matrix products as BLAS calls ------------===//

#include "fgc/Conversion/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fgc {
#define GEN_PASS_DEF_CONVERTLINALGTOBLAS
#include "fgc/Conversion/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// memref<?x..xT, strided<[?, ..], offset: ?>>: the one operand type each
/// runtime entry point takes, whatever the static shape and layout.
MemRefType dynamicStrided(MemRefType type) {
  SmallVector<int64_t> dyn(type.getRank(), ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic,
                                       dyn);
  return MemRefType::get(dyn, type.getElementType(), layout);
}

/// Declares (once) `name` taking three memrefs of `type`.
func::FuncOp declareRuntime(ModuleOp module, StringRef name, MemRefType type) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType({type, type, type}, {}));
  f.setPrivate();
  return f;
}

template <typename LinalgOp>
struct MatmulToBlas : OpRewritePattern<LinalgOp> {
  MatmulToBlas(MLIRContext *ctx, StringRef suffix)
      : OpRewritePattern<LinalgOp>(ctx), suffix(suffix) {}

  LogicalResult matchAndRewrite(LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on memrefs");
    if (op.getIndexingMapsArray() !=
        LinalgOp::getDefaultIndexingMaps(op.getContext()))
      return rewriter.notifyMatchFailure(op, "transposed or broadcast maps");
    SmallVector<Value> operands = {op.getDpsInputs()[0], op.getDpsInputs()[1],
                                   op.getDpsInits()[0]};
    Type elt = cast<MemRefType>(operands[0].getType()).getElementType();
    for (Value v : operands)
      if (cast<MemRefType>(v.getType()).getElementType() != elt)
        return rewriter.notifyMatchFailure(op, "mixed element types");
    StringRef prefix;
    if (elt.isF32())
      prefix = "fgc_blas_sgemm";
    else if (elt.isF64())
      prefix = "fgc_blas_dgemm";
    else
      return rewriter.notifyMatchFailure(op, "not f32 or f64");
    MemRefType type = dynamicStrided(cast<MemRefType>(operands[0].getType()));
    auto module = op->template getParentOfType<ModuleOp>();
    func::FuncOp callee =
        declareRuntime(module, (prefix + suffix).str(), type);
    SmallVector<Value> args;
    for (Value v : operands)
      args.push_back(memref::CastOp::create(rewriter, op.getLoc(), type, v));
    rewriter.replaceOpWithNewOp<func::CallOp>(op, callee, args);
    return success();
  }

  std::string suffix;
};

struct ConvertLinalgToBlasPass
    : fgc::impl::ConvertLinalgToBlasBase<ConvertLinalgToBlasPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatmulToBlas<linalg::MatmulOp>>(&getContext(), "");
    patterns.add<MatmulToBlas<linalg::BatchMatmulOp>>(&getContext(),
                                                      "_batched");
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
