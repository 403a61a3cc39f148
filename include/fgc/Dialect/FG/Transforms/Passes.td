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

#endif // FGC_DIALECT_FG_TRANSFORMS_PASSES_TD
