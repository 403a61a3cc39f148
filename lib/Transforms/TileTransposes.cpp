//===- TileTransposes.cpp - Cache-sized tiles for transposing copies ------===//

#include "fgc/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace fgc {
#define GEN_PASS_DEF_TILETRANSPOSES
#include "fgc/Transforms/Passes.h.inc"
} // namespace fgc

using namespace mlir;

namespace {

/// The loop indexing the innermost dimension of `operand`, when that
/// dimension is indexed by a single loop.
std::optional<unsigned> innermostLoop(linalg::LinalgOp op, OpOperand &operand) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  if (map.getNumResults() == 0)
    return std::nullopt;
  auto dim = dyn_cast<AffineDimExpr>(map.getResults().back());
  if (!dim)
    return std::nullopt;
  return dim.getPosition();
}

struct TileTransposesPass : fgc::impl::TileTransposesBase<TileTransposesPass> {
  using TileTransposesBase::TileTransposesBase;

  /// The loops to tile: the output's innermost and an input's innermost,
  /// both parallel, different, and long enough.
  std::optional<std::pair<unsigned, unsigned>>
  loopsToTile(linalg::LinalgOp op) {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
        op.getNumReductionLoops() != 0)
      return std::nullopt;
    std::optional<unsigned> out = innermostLoop(op, *op.getDpsInitOperand(0));
    if (!out)
      return std::nullopt;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    auto longEnough = [&](unsigned loop) {
      return !ShapedType::isDynamic(ranges[loop]) && ranges[loop] >= minExtent;
    };
    if (!longEnough(*out))
      return std::nullopt;
    for (OpOperand *input : op.getDpsInputOperands()) {
      auto type = dyn_cast<MemRefType>(input->get().getType());
      if (!type || type.getRank() < 2)
        continue;
      std::optional<unsigned> in = innermostLoop(op, *input);
      if (in && *in != *out && longEnough(*in))
        return std::make_pair(*in, *out);
    }
    return std::nullopt;
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      std::optional<std::pair<unsigned, unsigned>> loops = loopsToTile(op);
      auto tileable = dyn_cast<TilingInterface>(op.getOperation());
      if (!loops || !tileable)
        continue;
      SmallVector<OpFoldResult> sizes(op.getNumLoops(),
                                      rewriter.getIndexAttr(0));
      sizes[loops->first] = sizes[loops->second] =
          rewriter.getIndexAttr(tileSize);
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, tileable, options);
      if (failed(tiled)) {
        op.emitOpError("could not be tiled");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
