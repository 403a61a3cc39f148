//===- FGToLinalg.cpp - The convert-fg-to-linalg pass ---------------------===//

#include "PatternUtils.h"

#include "fgc/Conversion/Passes.h"
#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/Transforms/DialectConversion.h"

namespace fgc {
#define GEN_PASS_DEF_CONVERTFGTOLINALG
#include "fgc/Conversion/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

struct ConvertFGToLinalgPass
    : fgc::impl::ConvertFGToLinalgBase<ConvertFGToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // The loss ops have no lowering of their own: fg-decompose-losses
    // rewrites them into fg ops first.
    WalkResult losses = getOperation()->walk([](Operation *op) {
      if (!isa<fgc::fg::CrossEntropyOp, fgc::fg::LocalXentOp>(op))
        return WalkResult::advance();
      op->emitOpError("has no lowering to linalg: run fg-decompose-losses "
                      "before convert-fg-to-linalg");
      return WalkResult::interrupt();
    });
    if (losses.wasInterrupted())
      return signalPassFailure();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<fgc::fg::FGDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect>();
    RewritePatternSet patterns(ctx);
    fgc::lowering::populateElementwisePatterns(patterns);
    fgc::lowering::populateDataMovementPatterns(patterns);
    fgc::lowering::populateReductionAndNormPatterns(patterns);
    fgc::lowering::populateLinearAndConvPatterns(patterns);
    fgc::lowering::populatePoolingPatterns(patterns);
    fgc::lowering::populateTrainingOpPatterns(patterns);
    if (failed(
            applyFullConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
