//===- CancelTransposes.cpp - The fg-cancel-transposes pass ---------------===//
//
// Moves transposes through matrix products, broadcast elementwise ops and
// sums until they meet another transpose and cancel (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/Transforms/Passes.h"
#include "fgc/Support/MatrixTranspose.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fgc::fg {
#define GEN_PASS_DEF_FGCANCELTRANSPOSES
#include "fgc/Dialect/FG/Transforms/Passes.h.inc"
} // namespace fgc::fg

using namespace mlir;
using namespace fgc::fg;

namespace {

int64_t elementsOf(Value v) { return typeOf(v).getNumElements(); }

/// The transpose that makes `v` by swapping its last two axes, or null.
TransposeOp swappedFrom(Value v) {
  auto t = v.getDefiningOp<TransposeOp>();
  return t && fgc::swapsLastTwo(t.getPerm()) ? t : nullptr;
}

/// Whether the last-two-axes transpose of `mm` costs no transpose of its
/// size: (A B)^T = B^T A^T, where one operand is itself such a transpose
/// (its transpose cancels) and the other is either that too or much smaller
/// than the product (a weight: transposing it is cheap).
bool absorbsTranspose(MatMulOp mm) {
  Value a = mm.getLhs(), b = mm.getRhs();
  if (!mm->hasOneUse() || rankOf(a) < 2 || rankOf(b) < 2)
    return false;
  auto cheap = [&](Value v) {
    return swappedFrom(v) || 8 * elementsOf(v) <= elementsOf(mm);
  };
  return (swappedFrom(a) || swappedFrom(b)) && cheap(a) && cheap(b);
}

/// Whether `perm` applied to `v` is free: `v` is a transpose whose
/// permutation `perm` undoes, or a product that absorbs it.
bool transposeIsFree(Value v, ArrayRef<int64_t> perm) {
  if (auto t = v.getDefiningOp<TransposeOp>()) {
    for (auto [i, p] : llvm::enumerate(perm))
      if (t.getPerm()[p] != static_cast<int64_t>(i))
        return false;
    return true;
  }
  auto mm = v.getDefiningOp<MatMulOp>();
  return mm && fgc::swapsLastTwo(perm) && absorbsTranspose(mm);
}

/// `v` permuted by `perm`: a reshape when only size-1 axes move.
Value permute(PatternRewriter &rewriter, Location loc, Value v,
              ArrayRef<int64_t> perm) {
  ArrayRef<int64_t> shape = shapeOf(v);
  SmallVector<int64_t> permuted, moved, kept;
  for (int64_t p : perm) {
    permuted.push_back(shape[p]);
    if (shape[p] != 1)
      moved.push_back(p);
  }
  for (auto [i, d] : llvm::enumerate(shape))
    if (d != 1)
      kept.push_back(i);
  if (moved == kept)
    return reshape(rewriter, loc, v, permuted);
  return transpose(rewriter, loc, v, perm);
}

/// transpose_last2(A B) -> B^T A^T, where a transpose cancels.
struct TransposeOfMatMul : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto mm = op.getInput().getDefiningOp<MatMulOp>();
    if (!mm || !swappedFrom(op.getResult()) || !absorbsTranspose(mm))
      return failure();
    Location loc = mm.getLoc();
    Value bt = transposeLast(rewriter, loc, mm.getRhs());
    Value at = transposeLast(rewriter, loc, mm.getLhs());
    rewriter.replaceOp(op, MatMulOp::create(rewriter, loc, bt, at));
    return success();
  }
};

/// transpose(x op c) -> transpose(x) op transpose(c) for an elementwise op
/// with a broadcast operand c, when transpose(x) is free: c is small, so
/// its transpose (mostly a reshape: a bias moves along size-1 axes) is too.
template <typename BinaryOp>
struct TransposeOfBroadcast : OpRewritePattern<TransposeOp> {
  using OpRewritePattern<TransposeOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto bin = op.getInput().template getDefiningOp<BinaryOp>();
    if (!bin || !bin->hasOneUse())
      return failure();
    ArrayRef<int64_t> perm = op.getPerm();
    ArrayRef<int64_t> shape = shapeOf(bin.getResult());
    Value lhs = bin.getLhs(), rhs = bin.getRhs();
    bool lhsFull = shapeOf(lhs) == shape, rhsFull = shapeOf(rhs) == shape;
    if (lhsFull == rhsFull)
      return failure();
    Value full = lhsFull ? lhs : rhs, small = lhsFull ? rhs : lhs;
    if (!transposeIsFree(full, perm) ||
        8 * elementsOf(small) > elementsOf(bin.getResult()))
      return failure();
    Location loc = bin.getLoc();
    // Right-aligned broadcasting: pad the small operand's shape with
    // leading 1s to the result's rank, then permute it like the result.
    SmallVector<int64_t> padded(shape.size() - rankOf(small), 1);
    llvm::append_range(padded, shapeOf(small));
    Value smallT =
        permute(rewriter, loc, reshape(rewriter, loc, small, padded), perm);
    Value fullT = transpose(rewriter, loc, full, perm);
    rewriter.replaceOp(
        op, lhsFull ? BinaryOp::create(rewriter, loc, fullT, smallT)
                    : BinaryOp::create(rewriter, loc, smallT, fullT));
    return success();
  }
};

/// reduce_sum(transpose(x, perm), axes) -> the same sum over x's axes: the
/// sum reads x where it lies, and the transpose may die (a product that
/// also reads it reads it in place after fgc-fold-transposes-into-matmuls).
/// The result's remaining axes come out in x's order and are permuted
/// back, a transpose of the result's size when they change order: only
/// done for a result at most 1/8 of x, so that nothing of x's size is
/// added.
struct SumOfTranspose : OpRewritePattern<ReduceSumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceSumOp op,
                                PatternRewriter &rewriter) const override {
    auto t = op.getInput().getDefiningOp<TransposeOp>();
    if (!t || 8 * elementsOf(op.getResult()) > elementsOf(t.getResult()))
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    // Axis a of the transposed tensor is axis perm[a] of x.
    SmallVector<int64_t> axes;
    for (int64_t a : op.getAxes())
      axes.push_back(perm[a]);
    llvm::sort(axes);
    Location loc = op.getLoc();
    Value sum = reduceSum(rewriter, loc, t.getInput(), axes, true);
    // With keepdims the sum has x's rank: permute it like the transpose;
    // a rank-reducing sum then drops the reduced axes.
    Value r = permute(rewriter, loc, sum, perm);
    rewriter.replaceOp(op, reshape(rewriter, loc, r, shapeOf(op.getResult())));
    return success();
  }
};

/// matmul(transpose(collapse(X)), collapse(Y)), the sum over every leading
/// row of X[.., r, k] and Y[.., r, q] (a weight gradient), as a batched
/// product X^T Y summed over the batch, when X or Y is a transposed tensor:
/// X^T cancels, and the batched product reads a transposed Y in place. Only
/// while the batched products are no larger than X.
struct CollapsedContraction : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto lhsT = op.getLhs().getDefiningOp<TransposeOp>();
    auto lhs = lhsT ? lhsT.getInput().getDefiningOp<ReshapeOp>() : nullptr;
    auto rhs = op.getRhs().getDefiningOp<ReshapeOp>();
    // The collapsed, transposed X dies (else X^T would be made twice).
    if (!lhs || !rhs || !lhsT->hasOneUse() || !lhs->hasOneUse() ||
        rankOf(op.getLhs()) != 2 || lhsT.getPerm() != ArrayRef<int64_t>{1, 0} ||
        rankOf(op.getRhs()) != 2)
      return failure();
    Value x = lhs.getInput(), y = rhs.getInput();
    int64_t rank = rankOf(x);
    if (rank < 3 || rankOf(y) != rank ||
        shapeOf(x).drop_back() != shapeOf(y).drop_back() ||
        shapeOf(x).back() != shapeOf(lhs.getResult()).back() ||
        shapeOf(y).back() != shapeOf(rhs.getResult()).back())
      return failure();
    // Batched products [.., k, q] no larger than X [.., r, k]: q <= r.
    if ((!swappedFrom(x) && !swappedFrom(y)) || elementsOf(x) == 0 ||
        elementsOf(y) == 0 || shapeOf(y).back() > shapeOf(x)[rank - 2])
      return failure();
    Location loc = op.getLoc();
    Value batched =
        MatMulOp::create(rewriter, loc, transposeLast(rewriter, loc, x), y);
    auto axes = llvm::to_vector(llvm::seq<int64_t>(0, rank - 2));
    rewriter.replaceOp(op, reduceSum(rewriter, loc, batched, axes, false));
    return success();
  }
};

struct FGCancelTransposesPass
    : fgc::fg::impl::FGCancelTransposesBase<FGCancelTransposesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns
        .add<TransposeOfMatMul, TransposeOfBroadcast<AddOp>,
             TransposeOfBroadcast<SubOp>, TransposeOfBroadcast<MulOp>,
             TransposeOfBroadcast<DivOp>, SumOfTranspose, CollapsedContraction>(
            &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
