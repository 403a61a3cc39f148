//===- FoldTransposesIntoMatmuls.cpp - Transposed operands in place -------===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fgc {
#define GEN_PASS_DEF_FOLDTRANSPOSESINTOMATMULS
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// Whether `perm` swaps the last two dimensions and keeps the others.
bool swapsLastTwo(ArrayRef<int64_t> perm) {
  int64_t rank = perm.size();
  if (rank < 2)
    return false;
  for (int64_t d = 0; d < rank - 2; ++d)
    if (perm[d] != d)
      return false;
  return perm[rank - 2] == rank - 1 && perm[rank - 1] == rank - 2;
}

/// `map` with its last two results swapped.
AffineMap swapLastTwoResults(AffineMap map) {
  SmallVector<AffineExpr> results(map.getResults());
  std::swap(results[results.size() - 2], results.back());
  return AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                        map.getContext());
}

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
      if (!transpose || !swapsLastTwo(transpose.getPermutation()) ||
          maps[i].getNumResults() + 1 != maps[i].getNumDims())
        continue;
      maps[i] = swapLastTwoResults(maps[i]);
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
