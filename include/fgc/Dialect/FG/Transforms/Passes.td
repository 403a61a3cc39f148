//===- Passes.td - fg dialect passes ----------------------*- tablegen -*-===//

#ifndef FGC_DIALECT_FG_TRANSFORMS_PASSES_TD
#define FGC_DIALECT_FG_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FGFuseLayerNorm : Pass<"fg-fuse-layer-norm"> {
  let summary = "Recognise decomposed layer normalisation and replace it with fg.layer_norm";
  let description = [{
    ONNX before opset 17 has no LayerNormalization op, so exporters (PyTorch
    1.13 at opset 13 among them) write it as

      m = ReduceMean(x, axes=[-1]); d = x - m; v = ReduceMean(d ^ 2, axes=[-1])
      y = d / sqrt(v + eps)            (optionally followed by * scale + bias)

    This pass matches that chain in the `fg` dialect (fg.reduce_mean,
    fg.sub, fg.pow with exponent 2, fg.reduce_mean, fg.add of a scalar
    epsilon, fg.sqrt, fg.div) over trailing axes and replaces it with one
    `fg.layer_norm` without scale and bias; a following affine scale/shift
    stays as separate ops. Later passes (JVP rules, the local-loss heads,
    code generation) then see one op with one derivative rule instead of
    seven.

    It does not match when an intermediate value has other users (the
    pattern would then duplicate work), when the reduced axes are not the
    trailing ones, or when the exponent is not the constant 2.
  }];
}

def FGParamsToArgs : Pass<"fg-params-to-args", "::mlir::ModuleOp"> {
  let summary = "Turn fg.param reads into function arguments";
  let description = [{
    Code generation passes parameters to compiled functions as buffers
    rather than baking their values into the code: that is what lets a
    trainer update them and `fgc run --params` replace them. This pass
    appends one argument per parameter a function reads (in the order of
    the `fg.parameter` declarations), tags it with `fg.param = "<name>"`,
    marks it read-only for bufferization (`bufferization.writable = false`)
    and replaces the `fg.param` ops with it. The `fg.parameter` declarations
    stay in the module as the record of names, types and initial values.
  }];
}

def FGInitParams : Pass<"fg-init-params", "::mlir::ModuleOp"> {
  let summary = "Re-initialise the model's parameters per spec §3.3";
  let description = [{
    Replaces the value of every `fg.parameter` the way the LocalMixer
    reference initialises its networks (spec §3.3): every weight (a
    parameter used as the weight operand of a `LinearOpInterface` op: a
    matrix product, Gemm or convolution) becomes scale * N(0, 1) with
    scale = min(2/sqrt(fan_in), 0.1) (`kaiming`), min(1/sqrt(fan_in), 0.1)
    (`lecun`) or 0.1 (`constant`); a batch normalisation's scale and
    running variance become one; biases, other parameters and the
    readout's weight (the last weight `@forward` reads) become zero. The
    normal numbers come from Philox-4x32-10 (`support::randomNormal`: seed
    0, one site per parameter in declaration order, Box-Muller on the first
    two words of block i for element i), so they are the same on every
    machine and target.

    Runs on imported IR (`fgc compile --init=`), before training passes add
    the local heads. A parameter that is not floating-point is an error
    naming it.
  }];
  let options = [
    Option<"scheme", "scheme", "::fgc::fg::InitScheme",
           /*default=*/"::fgc::fg::InitScheme::Kaiming",
           "Initialisation scheme: kaiming, lecun or constant",
           [{::fgc::fg::initSchemeValues()}]>
  ];
}

def FGStripParameters : Pass<"fg-strip-parameters", "::mlir::ModuleOp"> {
  let summary = "Drop the fg.parameter declarations before code generation";
  let description = [{
    After `fg-params-to-args` no function reads a parameter any more; the
    `fg.parameter` declarations only record names, types and initial values
    (which the driver has taken by then, e.g. to embed them in a trainer).
    Code generation has no use for them, so this pass erases them before
    bufferization and the conversion to the LLVM dialect. A declaration that
    is still read by an `fg.param` op is an error naming it.
  }];
}

def FGJvp : Pass<"fg-jvp", "::mlir::ModuleOp"> {
  let summary = "Forward-mode differentiation: build <function>_jvp";
  let description = [{
    Builds `<function>_jvp`, which takes the function's arguments followed by
    one tangent per differentiated value (an input argument or a parameter),
    and returns the function's results followed by their tangents (the
    directional derivatives along the given tangents). With `tangents=K`
    (K > 1) every tangent has a leading dimension of K directions, all
    propagated at once.

    The pass knows no op: each op's rule comes from `JvpOpInterface`
    (lib/Dialect/FG/IR/FGJvp.cpp). Values that do not depend on a
    differentiated value (constants, other arguments, results of
    `fg.stop_gradient`, integer data) have symbolic zero tangents: no zero
    tensor is materialised and ops whose operand tangents are all zero get
    no tangent code. A zero tangent is only materialised where a rule needs
    one (concatenating active and inactive values) or for a returned value
    whose tangent is zero. Where only the left operand of a matrix product
    is active, its rule computes the primal and the K tangents with one
    stacked product [x; dx] W.

    `wrt` lists what to differentiate: `inputs` (every floating-point
    argument, the default), `params` (every floating-point parameter the
    function reads), or argument names (`fg.name`), parameter names, or
    argument indices. An op without a rule, an unknown name, an integer
    value or `tangents` < 1 is an error naming it.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"forward\"",
           "The function to differentiate">,
    ListOption<"wrt", "wrt", "std::string",
               "What to differentiate with respect to: inputs, params, or "
               "names/indices">,
    Option<"tangents", "tangents", "int64_t", /*default=*/"1",
           "Number K of tangent directions (K > 1 adds a leading [K] "
           "dimension to every tangent)">
  ];
}

def FGVjp : Pass<"fg-vjp", "::mlir::ModuleOp"> {
  let summary = "Reverse-mode differentiation: build <function>_vjp";
  let description = [{
    Builds `<function>_vjp`, which takes the function's arguments followed
    by one cotangent per floating-point result (`<result>.cotangent`, the
    result's type), and returns the function's results followed by one
    gradient per differentiated value (`<name>.grad`, that value's type):
    the vector-Jacobian product uᵀJ of the cotangents u with the Jacobian
    of all results with respect to that value.

    The pass knows no op: each op's rule comes from `VjpOpInterface`
    (lib/Dialect/FG/IR/FGVjp.cpp), and the reverse sweep is the one the
    training passes use (`propagateCotangents`). Only ops on a path from a
    differentiated value to a result get reverse code; integer and boolean
    values and `fg.stop_gradient` results have no cotangent, and a value
    with no path to any result gets a zero gradient. A value returned twice
    gets the sum of both cotangents; a parameter read several times the sum
    over its reads.

    `wrt` is as for fg-jvp: `inputs` (the default), `params`, names or
    argument indices. An op without a reverse-mode rule on a differentiated
    path, an unknown name or a non-float value is an error naming it.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"forward\"",
           "The function to differentiate">,
    ListOption<"wrt", "wrt", "std::string",
               "What to differentiate with respect to: inputs, params, or "
               "names/indices">
  ];
}

def FGLocalize : Pass<"fg-localize", "::mlir::ModuleOp"> {
  let summary = "Cut @forward into local-loss blocks: heads, cuts, perturbation points";
  let description = [{
    Builds `@local_losses(inputs..., labels)` from `@forward` (which stays
    as it is, for evaluation and export): the network of spec §2 with

    * an `fg.perturb {site = i}` at each linear layer's perturbation point
      (after its bias and post-linear normalisation, before its activation
      and any residual add), numbered in program order;
    * for every block, a local head: the block output rearranged to
      [N, P, G, C/G] from its layout, layer-normalised per group
      (`head-norm`, the reference's `inter_ln`), and an `fg.local_xent`
      with a new parameter pair `head.<b>.weight` [C, K] /
      `head.<b>.bias` [K] (drawn per spec §3.3 with `head-init`);
    * an `fg.stop_gradient` on the path from each block to the next
      (`modular-loss`; without it only the last block keeps its head and
      there are no cuts) and before the readout classifier;
    * the readout's softmax cross-entropy `fg.cross_entropy`.

    It returns the replicated local losses ([N, P, G] each; [N, 1, G]
    without `spatial-loss`), the readout's per-example loss and the logits.
    With `global` (the FG-W / FG-A / readout algorithms) there are no heads
    and no cuts: only the perturbation points and the final loss.

    Blocks are found by `analyzePartition` (Partition.h) from the graph's
    structure: a unit is the layers up to the first value after them that
    cuts the graph (every path from the input to the result passes through
    it: after a residual merge and its activation, after an encoder
    sub-layer, after each layer of a plain chain); a unit that feeds a
    grouped layer directly belongs to its block. For the LocalMixer this
    gives exactly the paper's blocks. `blocks` is `auto` (units: the
    finest cut, whose estimates are the least noisy), `units`, `stages`
    (runs of units with one spatial size) or ONNX node names whose outputs
    end blocks; `layout` and
    `groups` override the inferred block layouts (the batch axis tracked
    from the input, the channel axis from the block's last layer) and
    groups (a group axis of the output, else 1). The readout is the last
    linear layer whose output reaches the result through an activation,
    global pooling and flattening at most (a final softmax is left to the
    loss), or the layer `readout` names. A model without one (its result
    is, say, a sum of two linear layers) trains its local losses only:
    every linear layer is perturbed, the last block's head sits on the
    logits, and the cross-entropy of the model's own result is measured
    (and is the loss of the global algorithms). Errors name the node or
    option at fault.
  }];
  let options = [
    ListOption<"blocks", "blocks", "std::string",
               "auto, units, stages, or ONNX node names whose outputs end blocks (default: auto)">,
    Option<"readout", "readout", "std::string", /*default=*/"\"\"",
           "ONNX node of the readout's linear layer (default: automatic)">,
    ListOption<"groups", "groups", "int64_t",
               "Channel groups per block (one value for all, or one per block)">,
    ListOption<"layouts", "layout", "std::string",
               "Block output layouts, e.g. NPGC, NPC, NCHW, NC (one for all, or one per block)">,
    Option<"global", "global", "bool", /*default=*/"false",
           "No local heads and no cuts: the final loss only">,
    Option<"spatialLoss", "spatial-loss", "bool", /*default=*/"true",
           "Replicate each local loss over patches">,
    Option<"modularLoss", "modular-loss", "bool", /*default=*/"true",
           "One loss per block with stop-gradients between blocks">,
    Option<"headNorm", "head-norm", "bool", /*default=*/"true",
           "Layer-normalise each group before its local head">,
    Option<"headInit", "head-init", "std::string", /*default=*/"\"kaiming\"",
           "Initialisation of the local heads: kaiming, lecun or constant">,
    Option<"seed", "seed", "int64_t", /*default=*/"0",
           "Seed of the local heads' initial weights">
  ];
}

def FGTrainStep : Pass<"fg-train-step", "::mlir::ModuleOp"> {
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
  let summary = "Build @train_step and @eval_step from @local_losses";
  let description = [{
    Builds

      @train_step(params..., state..., inputs..., labels, step, seed, lr
                  [, tangents...])
          -> (params..., state..., loss.block<i>..., loss.readout, correct)
      @eval_step(model params..., inputs..., labels) -> (loss, correct)
          (per example: the cross-entropy and 1/0 for a correct prediction)

    `params` are every fg.parameter in declaration order (model, then local
    heads), `state` the optimizer's buffers for each trained parameter,
    `step` and `seed` rank-0 i64, `lr` the rank-0 learning rate of this step
    (the trainer evaluates the schedule with `@learning_rate`, also built
    here). The losses are batch means; `correct` counts the readout's
    correct predictions.

    Algorithms (spec §1.2-§1.3, §2.5):
    * `lg-fg-a` / `fg-a`: activity perturbation. Each perturbation point
      gets a per-example N(0, 1) direction u (fg.random_normal keyed by
      seed, step and site); one forward-mode sweep gives the tangent J of
      each block's replicated loss (of the final loss for `fg-a`); the
      estimate J u (ReLU mask) is pulled back to the layer's weights with
      the exact VJP of the parameter-free ops in between (VjpOpInterface).
    * `lg-fg-w` / `fg-w`: weight perturbation. Each backbone parameter gets
      one direction v shared by the batch; the update of each group's slice
      is scaled by the JVP of that group's loss (the sum over the batch and
      patches), shared slices by the sum over groups.
    * `readout`: the backbone stays at its initial value.
    In every algorithm the local heads and the readout get exact gradients
    (their own VJPs), scaled by `head-lr` and `last-layer-lr`.

    Batch normalisation: an fg.batch_norm whose running mean and variance
    are parameters normalises with the batch's statistics in @train_step
    (written as the reductions and arithmetic it is made of, so that the
    tangents, the axis mapping and the pullbacks see the statistics mix the
    examples); its running statistics are not trained but returned updated
    (momentum * running + (1 - momentum) * batch). @eval_step uses them.

    Dropout: fg.dropout is the identity in both steps unless
    `dropout=train`; then each one in @train_step becomes
    x * mask / (1 - ratio) with a Bernoulli(1 - ratio) mask drawn from
    fg.random_normal (seed, step, a site of its own), shared by the primal
    and tangent sweeps and by the pullbacks.

    `tangents=K` averages K estimates from one stacked forward sweep (a
    leading [K] dimension on every tangent). With `explicit-tangents` the
    directions are arguments named `<site>.tangent` instead of drawn
    (tests compare against an independent implementation that way): one
    per perturbation point (FG-A) or backbone parameter (FG-W), after `lr`.
    The argument and result names are the trainer contract of
    fgc/Runtime/TrainerABI.h. The pass is a family of files in
    lib/Dialect/FG/Transforms/Training: one GradientEstimator per rule
    (activity, weight perturbation, exact heads and readout) and one
    OptimizerRule per optimizer.

    Optimizers: `sgd` (momentum, weight decay coupled on weights only),
    `adam` (wd added to the gradient) and `adamw` (decoupled wd); weights
    are the parameters used as the weight of a matrix product or
    convolution.
  }];
  let options = [
    Option<"algo", "algo", "::fgc::fg::Algorithm",
           /*default=*/"::fgc::fg::Algorithm::LgFgA",
           "lg-fg-a, fg-a, lg-fg-w, fg-w or readout",
           [{::fgc::fg::algorithmValues()}]>,
    Option<"tangents", "tangents", "int64_t", /*default=*/"1",
           "Number K of tangent directions averaged per step">,
    Option<"explicitTangents", "explicit-tangents", "bool", /*default=*/"false",
           "Take the tangents as arguments instead of drawing them">,
    Option<"optimizer", "optimizer", "::fgc::fg::Optimizer",
           /*default=*/"::fgc::fg::Optimizer::Sgd", "sgd, adam or adamw",
           [{::fgc::fg::optimizerValues()}]>,
    Option<"momentum", "momentum", "double", /*default=*/"0.9",
           "SGD momentum">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0",
           "Weight decay on weights (not biases)">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "Adam beta2">,
    Option<"epsilon", "epsilon", "double", /*default=*/"1e-8", "Adam epsilon">,
    Option<"headLr", "head-lr", "double", /*default=*/"1.0",
           "Learning-rate multiplier of the local heads">,
    Option<"lastLayerLr", "last-layer-lr", "double", /*default=*/"1.0",
           "Learning-rate multiplier of the readout classifier">,
    Option<"dropout", "dropout", "::fgc::fg::DropoutMode",
           /*default=*/"::fgc::fg::DropoutMode::Identity",
           "What @train_step does with fg.dropout: identity or train (a "
           "seeded mask)", [{::fgc::fg::dropoutModeValues()}]>,
    Option<"schedule", "schedule", "::fgc::fg::Schedule",
           /*default=*/"::fgc::fg::Schedule::Linear",
           "Learning-rate schedule of @learning_rate: constant, linear, "
           "warmup-cosine or staircase", [{::fgc::fg::scheduleValues()}]>
  ];
}

def FGDecomposeLosses : Pass<"fg-decompose-losses"> {
  let summary = "Rewrite the loss ops into the fg ops they are made of";
  let description = [{
    The loss ops keep their own derivative rules while the training passes
    differentiate them; code generation only needs their forward value.
    This pass rewrites each of them, in place, into plain fg ops that
    `convert-fg-to-linalg` lowers (which rejects the loss ops themselves),
    so it runs right before that conversion:

    * `fg.cross_entropy` (logits [N, K], labels [N]) becomes
      -reduce_sum(one_hot(labels) * log_softmax(logits, axis 1), axis 1);
    * `fg.local_xent` (input [N, P, G, C/G], weight [C, K], bias [K])
      becomes one pooled head per example, replicated over the copies:
      xbar = reshape(reduce_mean(input, axis 1), [N, C]), the
      cross-entropy of xbar W + b (decomposed as above), reshaped to
      [N, 1, 1] and broadcast to the result [N, P, G] (or [N, 1, G]). No
      [N, P, G, C] copy of the features is formed.

    New ops take the location of the op they replace; nothing is folded,
    so the result is exactly what the conversion used to build.
  }];
}

def FGDecomposeLayerNorm : Pass<"fg-decompose-layer-norm"> {
  let summary = "Rewrite fg.layer_norm into the fg ops its derivative rules use";
  let description = [{
    A differentiated layer normalisation appears twice: the `fg.layer_norm`
    op computes the output, and its JVP (or VJP) rule recomputes the same
    mean, standard deviation and normalised input from fg ops. This pass
    rewrites each `fg.layer_norm` into exactly those ops (the op's
    `buildParts`: reduce_mean, sub, mul, reduce_mean, add epsilon, sqrt,
    div), followed by `mul` scale and `add` bias when the op has them, so
    that CSE afterwards keeps one copy of each statistic: a training step
    then reads each normalised activation for its statistics once instead
    of twice.

    Nothing is folded: the ops are the ones the rules build. It runs on the
    differentiated functions right before `convert-fg-to-linalg`, which
    still lowers the op directly when it is not decomposed.
  }];
}

def FGCancelTransposes : Pass<"fg-cancel-transposes"> {
  let summary = "Move transposes through products, broadcasts and sums until they cancel";
  let description = [{
    A layer that mixes along another axis than the last is exported as
    transpose, matrix product, bias add, transpose back (the token-mixing
    layer of an MLP-Mixer: `(x^T W + b)^T`), and its weight gradient as a
    product of the two transposed tensors collapsed to matrices. Each
    transpose is a full pass over an activation. This pass rewrites the
    algebra so that the transposes meet and cancel:

    * `transpose(A B) -> B^T A^T` (last two axes), when one factor is itself
      such a transpose and the other is one too or at most 1/8 of the
      product's size (a weight): `(x^T W)^T = W^T x`, a product that reads
      `x` in place and shares the small `W^T` across the batch;
    * `transpose(x op c) -> transpose(x) op transpose(c)` for add, sub, mul
      and div with one full-shape operand whose transpose is free (a
      transpose it undoes, or a product as above) and a broadcast operand
      `c` at most 1/8 of the result (a bias of `[P]` becomes `[P, 1]`: a
      reshape);
    * `reduce_sum(transpose(x)) -> reduce_sum(x)` over the matching axes,
      the result's remaining axes permuted back, when the result is at
      most 1/8 of `x` (a transpose of it is then small);
    * `matmul(transpose(collapse(X)), collapse(Y))`, the sum over all rows
      of `X[.., r, k]` and `Y[.., r, q]`, as `X^T Y` batched over the
      leading axes and summed over them, when `X` or `Y` is a transposed
      tensor (`X^T` cancels; a transposed `Y` is read in place by the
      batched product), the batched products are no larger than `X`
      (`q <= r`), and the collapsed, transposed `X` has no other use.

    Products and elementwise ops are rewritten through only when their
    result has one use, so no work is duplicated. Runs on the differentiated functions before
    `convert-fg-to-linalg`; the results are equal up to float rounding
    (sums in another order).
  }];
}

#endif // FGC_DIALECT_FG_TRANSFORMS_PASSES_TD
