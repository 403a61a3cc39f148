//===- FoldTransposesIntoMatmuls.cpp - Transposed operands in place -------===//

#include "fgc/Support/MatrixTranspose.h"
#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fgc {
#define GEN_PASS_DEF_FOLDTRANSPOSESINTOMATMULS
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

template <typename MatmulOp>
struct FoldTransposedOperand : OpRewritePattern<MatmulOp> {
  using OpRewritePattern<MatmulOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    for (unsigned i = 0; i < 2; ++i) {
      auto transpose =
          op.getDpsInputs()[i].template getDefiningOp<linalg::TransposeOp>();
      // Not for an operand broadcast along the batch (a map with fewer
      // results than the op's loops less the reduction): linalg has no
      // transposed broadcast.
      if (!transpose || !fgc::swapsLastTwo(transpose.getPermutation()) ||
          maps[i].getNumResults() + 1 != maps[i].getNumDims())
        continue;
      maps[i] = fgc::swapLastTwoResults(maps[i]);
      rewriter.modifyOpInPlace(op, [&] {
        op->setOperand(i, transpose.getInput());
        op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
      });
      return success();
    }
    return failure();
  }
};

struct FoldTransposesIntoMatmulsPass
    : fgc::impl::FoldTransposesIntoMatmulsBase<FoldTransposesIntoMatmulsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldTransposedOperand<linalg::MatmulOp>,
                 FoldTransposedOperand<linalg::BatchMatmulOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
