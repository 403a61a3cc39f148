//===- Passes.td - fgc transforms on upstream dialects ----*- tablegen -*-===//

#ifndef FGC_TRANSFORMS_PASSES_TD
#define FGC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseElementwise : Pass<"fgc-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse chains of elementwise linalg.generic ops into one loop nest";
  let description = [{
    Applies linalg's producer-consumer fusion of elementwise ops: a
    `linalg.generic` producer with only parallel loops is inlined into the
    `linalg.generic` that consumes it when it has no other user, so a chain
    such as add-bias -> layer-norm arithmetic -> ReLU becomes one loop nest
    that reads and writes memory once.

    Two rewrites widen what fuses, both to cut passes over memory:

    * A producer with several users is recomputed in each when that moves
      fewer bytes than writing its result and reading it back: it reads at
      most one operand element per result element (others broadcast, as a
      mean along the normalised axis) and its body is at most a few `arith`
      operations (or `math.sqrt`/`math.absf`; never a libm call or a long
      polynomial). `x - mean` of a normalisation, which its variance and its
      division both use, is then never written.
    * A `linalg.transpose` that keeps the innermost dimension in place is
      rewritten into the equivalent `linalg.generic`, which then fuses with
      its neighbours: the producer writes the permuted layout or the
      consumer reads through the permutation. A transpose that moves the
      innermost dimension stays a named copy for `fgc-tile-transposes`.

    Unlike upstream `linalg-fuse-elementwise-ops`, it never fuses into or
    generalises named ops (`linalg.matmul`, `linalg.batch_matmul`): those
    must stay recognisable for `convert-linalg-to-blas`. It also does not
    propagate reshapes, which would turn named matrix products into
    generics.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FoldTransposesIntoMatmuls
    : Pass<"fgc-fold-transposes-into-matmuls", "::mlir::func::FuncOp"> {
  let summary = "Let matrix products read transposed operands in place";
  let description = [{
    A `linalg.matmul` or `linalg.batch_matmul` operand made by a
    `linalg.transpose` that swaps the last two dimensions (and keeps the
    others) is replaced by the transpose's input, with the operand's
    indexing map transposed to match: `X^T W` reads X column-wise instead of
    a copied X^T. Weight gradients (`x^T g` of every linear layer, per group
    for grouped ones) are such products. The transpose goes when nothing
    else uses it.

    `convert-linalg-to-blas` passes such an operand to BLAS as a transposed
    view (its leading dimension the source's row stride), so the copy
    disappears from the generated code; where the product is not converted,
    its loops index the source directly.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FuseSiblingReductions
    : Pass<"fgc-fuse-sibling-reductions", "::mlir::func::FuncOp"> {
  let summary = "Compute reductions that read the same tensor in one pass";
  let description = [{
    Two `linalg.generic` reductions in one block that loop over the same
    space (equal static ranges and iterator types) and read one tensor
    through the same indexing map become one generic with both results:
    the tensor is read once, not once per reduction. A layer norm's JVP
    takes mean(dx) and mean(xhat dx) of each tangent row; fused, the
    tangent is read for both at once.

    The fused op takes the earlier op's place, so the later one must not
    depend on it: every input of the later op must be defined before the
    earlier one. An output accumulator (a `linalg.fill` of an empty tensor)
    made after it is made again before it. Runs after
    `fgc-fuse-elementwise`, whose producers are then already inside the
    reductions. The fused op is worth it only with its accumulators in
    registers (`fgc-lower-reductions`): with two accumulators in memory
    LLVM vectorises neither (LocalMixer M/8/16: 28 % slower steps).
  }];
  let statistics = [
    Statistic<"numFused", "num-fused", "Pairs of reductions fused">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ApproximateMath : Pass<"fgc-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Polynomial approximations of the math ops marked fgc.approximate";
  let description = [{
    Rewrites each `math` op that carries the unit attribute
    `fgc.approximate` (and only those) into MLIR's polynomial approximation
    of it: `arith` operations only, a few ulp from libm. A loop whose body
    calls libm cannot be vectorised; these can. The normal-number generator
    (fg.random_normal's Box-Muller `log` and `cos`) marks its ops: it runs
    over every element of every perturbed activation at every step, and
    the directions need the distribution, not libm's last bits. Because the
    rewrite happens on linalg, before any target lowering, the numbers are
    the same on every target. Other math ops (the model's own) keep libm.

    ```mlir
    %l = math.log %u {fgc.approximate} : f32
    // becomes arith ops on the bits of %u: exponent extraction, a
    // polynomial in the mantissa, no call
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def ScheduleForMemory : Pass<"fgc-schedule-for-memory", "::mlir::func::FuncOp"> {
  let summary = "Order a function body so that each value dies soon after it is made";
  let description = [{
    Bufferization gives each tensor a buffer, and deallocation frees it
    after its last use (`optimize-allocation-liveness`): how much memory a
    function needs at once then depends only on the order of its ops. A
    training step is built stage by stage (all directions, the whole
    forward sweep, every gradient, every update), so every activation of
    every block would be alive before the first update.

    This pass reorders the ops of a single-block body (regions move with
    their op): the returned values are taken shallowest first (by the
    longest chain of dependences that ends at them), and each one's
    dependences not yet placed are placed depth first, operands in order,
    before it. In a step of local losses, block b's updates, loss and
    gradient depend on block b's forward and tangents only, so the step
    runs block by block: forward, directions, tangents, local loss, update,
    and the block's activations die before the next block's are made. The
    global rules (fg-w, fg-a) need the whole forward sweep before any
    update and keep it. Ops with memory effects keep their relative order;
    nothing else constrains the order but the uses.

    With `remarks`, each function gets a remark with the estimated peak of
    its live intermediate tensors before and after
    (fgc/Transforms/LiveMemory.h; `fgc inspect` reports the same estimate
    for a training step).
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Remark the estimated peak of live tensors before and after">
  ];
}

def TileTransposes : Pass<"fgc-tile-transposes", "::mlir::func::FuncOp"> {
  let summary = "Tile the loops of copies that transpose, so both sides stay in cache";
  let description = [{
    A linalg op on buffers whose output's innermost dimension is indexed by
    one loop and an input's innermost dimension by another (a transpose,
    or an elementwise op with a transposed operand) walks one of the two
    with a large stride: lowered as it is, each element read touches a new
    cache line that is evicted before its neighbours are read (LocalMixer
    M/8/16: 14 % of a step in such copies). This pass tiles those two loops
    by `tile-size` (with `scf.forall` over the tiles, which later become
    parallel loops), so that a tile's rows of both sides stay in the L1
    cache while it is copied. Other loops stay whole; ops whose two loops
    have fewer than `min-extent` iterations stay as they are.
  }];
  let options = [
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"32",
           "Iterations of each of the two loops per tile">,
    Option<"minExtent", "min-extent", "int64_t", /*default=*/"64",
           "Tile only when both loops have at least this many iterations">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::affine::AffineDialect"];
}

def ReuseBroadcastOperands
    : Pass<"fgc-reuse-broadcast-operands", "::mlir::func::FuncOp"> {
  let summary = "Order loops so that an operand broadcast along a loop streams once";
  let description = [{
    A JVP with K tangents computes each tangent's values from the primal's:
    a `linalg.generic` over [K, batch, ...] that reads the tangents
    [K, batch, ...] and the primal activations [batch, ...]. With the
    tangent loop outermost, as the shapes give it, the whole primal input
    streams through the caches once per tangent (LocalMixer M/8/16 at
    K = 16: 16 MiB read 16 times per layer-norm pass). The same holds for
    an output: a gradient estimate that sums K products into a [batch, ...]
    accumulator with the tangent loop (a reduction) outermost reads and
    writes the whole accumulator K times.

    For a `linalg.generic` on buffers with static shapes, a loop is *moved*
    when some operand of more than `max-footprint` bytes does not depend on
    it while a loop inside it walks that operand. The moved loops go
    inwards, after the fewest of the other outer parallel loops that cut
    each such operand to a slice of at most `max-footprint` bytes (for the
    examples: after the batch loop, so one sample's activations or
    accumulators stay in cache while its K tangents are computed). The
    other loops keep their order and no loop moves outwards; reductions
    that come last stay last. The body is unchanged and each output
    element's reduction keeps its order: the same values are computed, in
    another order of elements.
  }];
  let options = [
    Option<"maxFootprint", "max-footprint", "int64_t", /*default=*/"262144",
           "Bytes of a re-read operand's slice that stay in cache (half a "
           "typical L2)">
  ];
  let statistics = [
    Statistic<"numInterchanged", "num-interchanged", "Loop nests reordered">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LowerReductions : Pass<"fgc-lower-reductions", "::mlir::func::FuncOp"> {
  let summary = "Lower reductions to loops that carry their accumulators in registers";
  let description = [{
    `convert-linalg-to-parallel-loops` lowers a reduction by loading and
    storing its output element in every iteration of the reduced loops.
    LLVM can keep such an accumulator in a register only if it proves that
    the output does not alias the inputs, which it cannot for memrefs
    passed as descriptors: the loop then goes through memory each
    iteration, invariant loads stay in it, and with two outputs it does not
    vectorise at all.

    This pass lowers each `linalg.generic` on buffers whose reduced
    dimensions all come after its parallel ones and whose outputs do not
    depend on the reduced dimensions: an `scf.parallel` over the parallel
    dimensions loads each output element once, an `scf.for` nest over the
    reduced dimensions carries them as `iter_args` through the op's body,
    and each result is stored once after it. The order of the additions is
    the op's own. Other reductions (a reduced dimension before a parallel
    one: the output is then re-read along a contiguous row, which LLVM
    vectorises as it is) and ops whose inputs share a buffer with an
    output stay for `convert-linalg-to-parallel-loops`.
  }];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Reductions lowered with loop-carried accumulators">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

def SelectParallelLoops : Pass<"fgc-select-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Keep the parallel loops worth a thread fork, one dimension each";
  let description = [{
    `convert-linalg-to-parallel-loops` makes every parallel dimension of
    every linalg op an `scf.parallel` dimension. Run on threads as is, that
    costs a fork and join per small loop nest (a training step has hundreds),
    a fork per iteration of the serial loops around a parallel loop nested
    in them, and - since OpenMP collapses a multi-dimensional loop into one
    linear index - a division per element that keeps the innermost loop
    from vectorising.

    This pass keeps, for each `scf.parallel` not nested in another loop and
    with at least `min-work` innermost iterations (static trip counts), one
    parallel dimension: the outermost with at least `min-trip` iterations
    whose outer dimensions together run at most `max-forks` times. The
    dimensions before it become serial `scf.for` loops around it, those
    after it serial loops inside it. Every other `scf.parallel` (too little
    work, nested in a loop, no suitable dimension) becomes a serial loop
    nest. Loops with reductions (results) are left alone. The iteration
    order inside each thread, and so every result, does not depend on the
    number of threads: only dimensions whose iterations write disjoint
    elements run in parallel.
  }];
  let options = [
    Option<"minWork", "min-work", "uint64_t", /*default=*/"8192",
           "Run a loop nest on threads from this many innermost iterations">,
    Option<"minTrip", "min-trip", "uint64_t", /*default=*/"16",
           "Least iterations of the parallel dimension">,
    Option<"maxForks", "max-forks", "uint64_t", /*default=*/"16",
           "Most iterations of the serial loops around a parallel loop">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def OutlineLoops : Pass<"fgc-outline-loops", "::mlir::ModuleOp"> {
  let summary = "Move each top-level loop nest of a large function into a function of its own";
  let description = [{
    A training step lowered to loops is one function with hundreds of loop
    nests one after the other (LocalMixer M/8/16: about 700). LLVM's
    analyses of such a function (scalar evolution's guard search up the
    chain of predecessors, dominator-tree updates) grow faster than its
    size: compiling it took 45 s of the 47 s of `fgc compile`. Each
    top-level `scf.for` or `scf.parallel` of a public function with at least
    `min-loops` of them becomes a private function `<name>_loop<N>` (marked
    noinline, or LLVM would inline a function called once right back),
    called where the loop was. The constants the loop reads are copied into it, so bounds,
    strides and coefficients stay constant; the buffers it reads and writes
    become arguments. The work per call is a whole loop nest, so the calls
    cost nothing measurable.

    A loop nest equal to one outlined before but for the buffers it reads
    and writes (OperationEquivalence of the two bodies, locations ignored:
    the same layer in each block of a network, a fill of the same shape)
    calls that function instead of getting its own, so LLVM compiles each
    distinct loop nest once.
  }];
  let options = [
    Option<"minLoops", "min-loops", "int64_t", /*default=*/"32",
           "Outline the loops of functions with at least this many top-level loops">
  ];
  let statistics = [
    Statistic<"numShared", "shared-loop-functions",
              "Loop nests that call an equal loop nest's function">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
}

def EmitCInterface : Pass<"fgc-emit-c-interface", "::mlir::ModuleOp"> {
  let summary = "Give every public function definition a C interface";
  let description = [{
    Marks every public, defined `func.func` with `llvm.emit_c_interface`, so
    that the conversion to the LLVM dialect adds `_mlir_ciface_<name>`, a
    wrapper taking memref descriptors by pointer. That is the one calling
    convention the runtime (`rt::callPacked`, the trainers' packed entry
    points, the JIT) uses for every compiled function, whatever its
    signature. Private and external functions are left alone.
  }];
}

def CloneSharedFills : Pass<"fgc-clone-shared-fills", "::mlir::func::FuncOp"> {
  let summary = "Give each op that accumulates into a filled tensor a fill of its own";
  let description = [{
    CSE merges equal `linalg.fill` ops, so one zero-filled tensor often
    initialises many reductions and matrix products (every sum of a
    training step starts from the same zeros of the same shape). Each of
    them writes into its init, so one-shot bufferization fills one buffer
    and then copies it for every such user: a read and a write of the whole
    buffer per user, where a fill only writes it. On the LocalMixer M/8/16
    training step these copies were most of the bytes bufferization copied.

    This pass clones a fill with several users for each user that takes it
    as a destination-passing-style init, right before that user (where
    `fgc-schedule-for-memory` wants a value made). A fill whose users are
    all inits keeps one of them.

    ```mlir
    %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    %a = linalg.reduce ins(%x : tensor<8x4xf32>) outs(%z : tensor<8xf32>) ...
    %b = linalg.reduce ins(%y : tensor<8x4xf32>) outs(%z : tensor<8xf32>) ...
    // becomes
    %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    %a = linalg.reduce ins(%x : tensor<8x4xf32>) outs(%z : tensor<8xf32>) ...
    %z1 = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    %b = linalg.reduce ins(%y : tensor<8x4xf32>) outs(%z1 : tensor<8xf32>) ...
    ```

    It runs right before bufferization, after the last CSE (which would
    merge the clones again).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ElideCopies : Pass<"fgc-elide-copies", "::mlir::func::FuncOp"> {
  let summary = "Let the op that writes a fresh buffer write where the buffer is copied to";
  let description = [{
    One-shot bufferization copies a value into place wherever it cannot
    write it there in the first place: the four rows of
    `fg.random_normal`'s generator, each computed into a buffer of its own
    and then copied into the flat result (the analysis does not see that
    the generic's outputs are disjoint slices of one buffer), or a product
    computed before the buffer that stacks it with others is allocated.
    After bufferization, this pass rewrites

    ```mlir
    %a = memref.alloc() : memref<4xf32>
    linalg.generic ... outs(%a : memref<4xf32>) { ... }
    %v = memref.subview %b[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
    memref.copy %a, %v : ...
    ```

    into a `linalg.generic` that writes `%v` (the subview hoisted above it)
    with `%a` and the copy gone, when all of these hold: `%a` is a
    `memref.alloc` whose only users are the copy (possibly through
    `memref.expand_shape`/`collapse_shape`, undone on the destination) and
    one linalg op in the same block that takes it as an init, does not read
    it (its payload ignores the init), has no reduction loop and indexes it
    by a permutation (so it writes all of it); the destination is a view of
    a `memref.alloc` whose defining ops can move above the producer; no op
    between the producer and the copy touches the destination's buffer;
    and the producer's other operands on that buffer are outputs whose
    static extents are disjoint from the destination. Copies are visited
    in order, so the sibling rows of one generator are all elided.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numElided", "elided-copies", "Copies removed">
  ];
}

def DistinctResults : Pass<"fgc-distinct-results", "::mlir::func::FuncOp"> {
  let summary = "Give each function result a tensor of its own";
  let description = [{
    A graph whose outputs compute the same value (two identical subgraphs
    that CSE merged, or one tensor listed under two names) returns one SSA
    value more than once. After bufferization each result becomes an
    out-parameter (`buffer-results-to-out-params`), which assumes that every
    returned buffer is distinct. This pass replaces each repeated operand of
    `func.return` with a `linalg.copy` of it into a fresh tensor, so every
    result is written by exactly one producer.

    ```mlir
    return %0, %0 : tensor<3xf32>, tensor<3xf32>
    // becomes
    %e = tensor.empty() : tensor<3xf32>
    %1 = linalg.copy ins(%0 : tensor<3xf32>) outs(%e : tensor<3xf32>) -> tensor<3xf32>
    return %0, %1 : tensor<3xf32>, tensor<3xf32>
    ```

    It runs right before bufferization, after the last CSE (which would
    merge the copies again).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // FGC_TRANSFORMS_PASSES_TD
