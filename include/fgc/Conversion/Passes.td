//===- Passes.td - fgc lowering passes ---------------------*- tablegen -*-===//

#ifndef FGC_CONVERSION_PASSES_TD
#define FGC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertFGToLinalg : Pass<"convert-fg-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Lower fg ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every `fg` op in a function into destination-passing tensor IR:

    * elementwise ops (with NumPy broadcasting) become one `linalg.generic`
      each, whose broadcast operands use indexing maps with constant-0
      results, so `linalg-fuse-elementwise-ops` can later merge chains of
      them into one loop nest;
    * `fg.matmul` and `fg.gemm` become `linalg.matmul` or
      `linalg.batch_matmul` (after reshaping N-d operands and materialising
      broadcast batch dimensions); `fg.conv` becomes an im2col
      `linalg.generic` followed by `linalg.batch_matmul` over the groups,
      so every matrix product reaches the BLAS lowering;
    * pooling, reductions, softmax, layer and batch normalisation become
      `linalg.generic` reductions; average-pool divisors are computed at
      compile time from the (static) window geometry;
    * data movement becomes `tensor` ops (`collapse_shape`/`expand_shape`,
      `insert_slice`, `pad`) or `linalg.transpose`/`linalg.generic`.

    The pass expects parameters to be function arguments already
    (`fg-params-to-args`) and the loss ops rewritten into other fg ops
    (`fg-decompose-losses`): `fg.cross_entropy` and `fg.local_xent` make it
    fail with an error that names that pass. Any other op without a
    lowering makes it fail with the standard "failed to legalize operation
    'fg.xyz'" error.

    The patterns live in lib/Conversion/FGToLinalg, one file per op family
    (Elementwise, DataMovement, ReductionsAndNorms, LinearAndConv, Pooling,
    TrainingOps), with the builders they share in PatternUtils.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def ConvertLinalgToBlas : Pass<"convert-linalg-to-blas", "::mlir::ModuleOp"> {
  let summary = "Replace linalg.matmul/batch_matmul on memrefs by calls into BLAS";
  let description = [{
    After bufferization, rewrites `linalg.matmul` and `linalg.batch_matmul`
    on f32 or f64 memrefs (default indexing maps, A or B read transposed as
    `fgc-fold-transposes-into-matmuls` leaves them, or a batch_matmul whose
    A is one [M, K] matrix shared by every product) into
    calls of the runtime functions `fgc_blas_{s,d}gemm` and
    `fgc_blas_{s,d}gemm_batched`, which compute C += A·B with OpenBLAS
    (`cblas_?gemm`, beta = 1, so the semantics of the linalg op are kept
    exactly). Where the op's output was filled with zero right before (only
    frees of other buffers and ops without memory effects between), the fill
    goes and the `_overwrite` variant computes C = A·B (beta = 0): one pass
    less over each product's output. Operands are passed as strided memrefs with dynamic sizes, so
    one runtime entry point serves every shape; a shared A is passed as a
    view with batch stride 0 (`memref.reinterpret_cast`), so a
    convolution's weights are read in place by every sample's product
    instead of being copied once per sample; a transposed operand is passed
    as a `memref.transpose` view, which the runtime hands to BLAS as a
    transposed matrix.

    It runs after the buffer deallocation pipeline and
    `optimize-allocation-liveness`: those place each free after the last
    linalg op that reads the buffer, which they would not see through the
    views the calls take.

    Matrix products are where nearly all the time of a network goes; a
    vendor-tuned microkernel reaches 60-90 % of peak where the loops that
    `convert-linalg-to-loops` produces reach a few percent. Other linalg
    ops are left alone.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"];
}

#endif // FGC_CONVERSION_PASSES_TD
