//===- FGToLinalg.cpp - The convert-fg-to-linalg pass ---------------------===//

#include "Lowering.h"

#include "fgc/Conversion/Passes.h"
#include "fgc/Dialect/FG/IR/FGDialect.h"

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
    ConversionTarget target(*ctx);
    target.addIllegalDialect<fgc::fg::FGDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect>();
    RewritePatternSet patterns(ctx);
    fgc::lowering::populateElementwiseAndShapePatterns(patterns);
    fgc::lowering::populateNetworkPatterns(patterns);
    fgc::lowering::populateTrainingPatterns(patterns);
    if (failed(applyFullConversion(getOperation(), target,
                                   std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
