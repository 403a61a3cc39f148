//===- LinalgToBlas.cpp - linalg matrix products as BLAS calls ------------===//

#include "fgc/Conversion/Passes.h"
#include "fgc/Support/MatrixTranspose.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
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
  auto layout =
      StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic, dyn);
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

/// How the product reads one input operand.
struct OperandLayout {
  bool transposed = false; ///< the matrix is the operand's transpose
  bool shared = false;     ///< one [M, K] matrix for every product
};

/// The layout of input `i` of `op` from its indexing map, or nothing when
/// the map is none the runtime handles: the default, the default transposed
/// (fgc-fold-transposes-into-matmuls), and for a batch_matmul's A a matrix
/// shared by every product, map (b, m, n, k) -> (m, k).
template <typename LinalgOp>
std::optional<OperandLayout> layoutOf(LinalgOp op, unsigned i,
                                      ArrayRef<AffineMap> maps,
                                      ArrayRef<AffineMap> defaults) {
  if (maps[i] == defaults[i])
    return OperandLayout{};
  if (maps[i] == fgc::swapLastTwoResults(defaults[i]))
    return OperandLayout{/*transposed=*/true, /*shared=*/false};
  if constexpr (std::is_same_v<LinalgOp, linalg::BatchMatmulOp>) {
    MLIRContext *ctx = op.getContext();
    AffineMap lhs = AffineMap::get(
        4, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(3, ctx)}, ctx);
    if (i == 0 && maps[0] == lhs)
      return OperandLayout{/*transposed=*/false, /*shared=*/true};
  }
  return std::nullopt;
}

/// The view of `matrix` with its last two dimensions swapped: strides only,
/// which the runtime passes to BLAS as a transposed operand.
Value transposeView(OpBuilder &b, Location loc, Value matrix) {
  int64_t rank = cast<MemRefType>(matrix.getType()).getRank();
  return memref::TransposeOp::create(
      b, loc, matrix,
      AffineMapAttr::get(AffineMap::getPermutationMap(
          fgc::swapLastTwoPermutation(rank), b.getContext())));
}

/// A [M, K] memref seen as [B, M, K] with batch stride 0, B the batch of
/// `like` (dimension 0): the runtime's batched product then reads the same
/// matrix for every product, as the indexing map says, without a copy.
Value broadcastBatch(OpBuilder &b, Location loc, Value matrix, Value like) {
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, matrix);
  SmallVector<OpFoldResult> sizes = {memref::getMixedSize(b, loc, like, 0)};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(0)};
  llvm::append_range(sizes, meta.getConstifiedMixedSizes());
  llvm::append_range(strides, meta.getConstifiedMixedStrides());
  auto elt = cast<MemRefType>(matrix.getType()).getElementType();
  SmallVector<int64_t> staticSizes, staticStrides;
  SmallVector<Value> dynamic;
  dispatchIndexOpFoldResults(sizes, dynamic, staticSizes);
  dispatchIndexOpFoldResults(strides, dynamic, staticStrides);
  OpFoldResult offset = meta.getConstifiedMixedOffset();
  auto type = MemRefType::get(
      staticSizes, elt,
      StridedLayoutAttr::get(
          b.getContext(),
          getConstantIntValue(offset).value_or(ShapedType::kDynamic),
          staticStrides));
  return memref::ReinterpretCastOp::create(b, loc, type, meta.getBaseBuffer(),
                                           offset, sizes, strides);
}

/// The `linalg.fill` of zero that initialises `init` right before `op`
/// (skipping frees of other buffers and ops without memory effects), or
/// null. The product may then overwrite `init` instead of accumulating into
/// it, and the fill goes: one pass less over the product's output.
linalg::FillOp zeroFillBefore(Operation *op, Value init) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev)) {
      if (fill.getDpsInits()[0] != init)
        return nullptr;
      return matchPattern(fill.getDpsInputs()[0], m_AnyZeroFloat()) ? fill
                                                                    : nullptr;
    }
    auto dealloc = dyn_cast<memref::DeallocOp>(prev);
    if (dealloc ? dealloc.getMemref() == init : !isMemoryEffectFree(prev))
      return nullptr;
  }
  return nullptr;
}

template <typename LinalgOp> struct MatmulToBlas : OpRewritePattern<LinalgOp> {
  MatmulToBlas(MLIRContext *ctx, StringRef suffix)
      : OpRewritePattern<LinalgOp>(ctx), suffix(suffix) {}

  LogicalResult matchAndRewrite(LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on memrefs");
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<AffineMap> defaults =
        LinalgOp::getDefaultIndexingMaps(op.getContext());
    std::optional<OperandLayout> lhs = layoutOf(op, 0, maps, defaults);
    std::optional<OperandLayout> rhs = layoutOf(op, 1, maps, defaults);
    if (!lhs || !rhs || rhs->shared || maps[2] != defaults[2])
      return rewriter.notifyMatchFailure(op, "broadcast or permuted maps");
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
    // Only now that the op will be replaced: a failing pattern must leave
    // the IR as it found it.
    std::string name = (prefix + suffix).str();
    if (linalg::FillOp fill = zeroFillBefore(op, operands[2])) {
      rewriter.eraseOp(fill);
      name += "_overwrite";
    }
    if (lhs->transposed)
      operands[0] = transposeView(rewriter, op.getLoc(), operands[0]);
    if (rhs->transposed)
      operands[1] = transposeView(rewriter, op.getLoc(), operands[1]);
    if (lhs->shared)
      operands[0] =
          broadcastBatch(rewriter, op.getLoc(), operands[0], operands[1]);
    MemRefType type = dynamicStrided(cast<MemRefType>(operands[0].getType()));
    auto module = op->template getParentOfType<ModuleOp>();
    func::FuncOp callee = declareRuntime(module, name, type);
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
