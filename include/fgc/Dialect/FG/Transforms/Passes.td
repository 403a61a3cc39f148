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

#endif // FGC_DIALECT_FG_TRANSFORMS_PASSES_TD
