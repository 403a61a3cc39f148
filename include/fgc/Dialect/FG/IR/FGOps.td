//===- FGOps.td - fg dialect operations --------------------*- tablegen -*-===//
//
// Every op infers its result types from its operands and attributes
// (InferTypeOpInterface); the inferred types are checked against the
// declared ones by the verifier, so inconsistent shapes or attributes are
// rejected with a message naming the mismatch.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_IR_FGOPS_TD
#define FGC_DIALECT_FG_IR_FGOPS_TD

include "fgc/Dialect/FG/IR/FGDialect.td"
include "fgc/Dialect/FG/IR/FGInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

/// Any tensor: floats carry data and derivatives, i64 indices and shapes,
/// i1 masks (ONNX bool).
def FG_Tensor : StaticShapeTensorOf<[F32, F64, I64, I1]>;
/// Tensors with arithmetic: floats and i64.
def FG_NumTensor : StaticShapeTensorOf<[F32, F64, I64]>;
def FG_FloatTensor : StaticShapeTensorOf<[F32, F64]>;
def FG_IndexTensor : StaticShapeTensorOf<[I64]>;
def FG_BoolTensor : StaticShapeTensorOf<[I1]>;

class FG_Op<string mnemonic, list<Trait> traits = []>
    : Op<FG_Dialect, mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<JvpOpInterface>])>;

/// An op whose result types follow from operands and attributes.
class FG_InferOp<string mnemonic, list<Trait> traits = []>
    : FG_Op<mnemonic, !listconcat(traits, [InferTypeOpAdaptor])>;

//===----------------------------------------------------------------------===//
// Parameters and constants
//===----------------------------------------------------------------------===//

def FG_ParameterOp : Op<FG_Dialect, "parameter", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "A named trainable parameter of the model and its initial value";
  let description = [{
    Declares a parameter (an ONNX initializer) at module level. `value` is its
    initial value; its type is the parameter's type. Functions read it with
    `fg.param`. Training passes update the parameter's value, never its type.

    ```mlir
    fg.parameter @"fc1.weight" = dense<0.0> : tensor<256x784xf32>
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, ElementsAttr:$value);
  let assemblyFormat = "$sym_name `=` $value attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getValue().getType());
    }
  }];
}

def FG_ParamOp : FG_Op<"param", [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Reads a model parameter declared by fg.parameter";
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def FG_ConstantOp : FG_Op<"constant", [ConstantLike]> {
  let summary = "A constant tensor (not trained)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs FG_Tensor:$result);
  let hasCustomAssemblyFormat = 1;
  let hasFolder = 1;
  let hasVerifier = 1;
  let builders = [OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
    build($_builder, $_state, value.getType(), value);
  }]>];
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

class FG_UnaryOp<string mnemonic, Type type, list<Trait> traits = []>
    : FG_Op<mnemonic, !listconcat(traits, [SameOperandsAndResultType])> {
  let arguments = (ins type:$input);
  let results = (outs type:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def FG_NegOp : FG_UnaryOp<"neg", FG_NumTensor, [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Elementwise negation";
  let hasFolder = 1;
}

class FG_BinaryOp<string mnemonic, Type type, list<Trait> traits = []>
    : FG_InferOp<mnemonic, !listconcat(traits, [AllElementTypesMatch<["lhs", "rhs", "result"]>])> {
  let description = [{
    Elementwise with multidirectional (NumPy) broadcasting: the result shape
    is the broadcast of the operand shapes, right-aligned.
  }];
  let arguments = (ins type:$lhs, type:$rhs);
  let results = (outs type:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasFolder = 1;
}

def FG_AddOp : FG_BinaryOp<"add", FG_NumTensor, [DeclareOpInterfaceMethods<VjpOpInterface>]> { let summary = "Elementwise sum"; }
def FG_SubOp : FG_BinaryOp<"sub", FG_NumTensor, [DeclareOpInterfaceMethods<VjpOpInterface>]> { let summary = "Elementwise difference"; }
def FG_MulOp : FG_BinaryOp<"mul", FG_NumTensor, [DeclareOpInterfaceMethods<VjpOpInterface>]> { let summary = "Elementwise product"; }
def FG_DivOp : FG_BinaryOp<"div", FG_NumTensor, [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Elementwise quotient (integer division truncates)";
}
def FG_PowOp : FG_BinaryOp<"pow", FG_FloatTensor, [DeclareOpInterfaceMethods<VjpOpInterface>]> { let summary = "Elementwise lhs ^ rhs"; }
def FG_MaxOp : FG_BinaryOp<"max", FG_Tensor, [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Elementwise maximum (NaN if either operand is NaN)";
  let description = [{
    Elementwise with NumPy broadcasting; on i1, the logical or. The derivatives (JVP and VJP)
    follow the operand that is selected, the left one on ties (lhs >= rhs):
    ONNX Clip imports as max(x, lo) then min(., hi), so x keeps its
    derivative at the bounds, as in PyTorch's clamp.
  }];
}
def FG_MinOp : FG_BinaryOp<"min", FG_Tensor, [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Elementwise minimum (NaN if either operand is NaN)";
  let description = [{
    Elementwise with NumPy broadcasting; on i1, the logical and. The derivatives (JVP and VJP)
    follow the operand that is selected, the left one on ties (lhs <= rhs).
  }];
}

//===----------------------------------------------------------------------===//
// Pointwise functions with a derivative f'(x)
//===----------------------------------------------------------------------===//

/// An elementwise function f of one tensor whose derivative f'(x) is built
/// by `buildDerivative` (a tensor of the input's shape, or null where f is
/// piecewise constant or the data integer): the JVP multiplies the tangent
/// by it, the VJP the cotangent, so the two rules cannot disagree.
class FG_MathOp<string mnemonic, string fn, Type type = FG_FloatTensor>
    : FG_UnaryOp<mnemonic, type, [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Elementwise " # fn;
  let extraClassDeclaration = [{
    /// f'(x) for this op's input, or null where f has no derivative.
    ::mlir::Value buildDerivative(::mlir::OpBuilder &b, ::mlir::Location loc);
  }];
}

def FG_AbsOp : FG_MathOp<"abs", "absolute value", FG_NumTensor>;
def FG_ExpOp : FG_MathOp<"exp", "natural exponential">;
def FG_LogOp : FG_MathOp<"log", "natural logarithm">;
def FG_SqrtOp : FG_MathOp<"sqrt", "square root">;
def FG_ErfOp : FG_MathOp<"erf", "Gauss error function">;
def FG_ReluOp : FG_MathOp<"relu", "max(x, 0)">;
def FG_SigmoidOp : FG_MathOp<"sigmoid", "logistic function 1 / (1 + exp(-x))">;
def FG_TanhOp : FG_MathOp<"tanh", "hyperbolic tangent">;
def FG_LeakyReluOp : FG_MathOp<"leaky_relu", "x >= 0 ? x : alpha * x"> {
  let arguments = (ins FG_FloatTensor:$input, F64Attr:$alpha);
}
def FG_SinOp : FG_MathOp<"sin", "sine">;
def FG_CosOp : FG_MathOp<"cos", "cosine">;
def FG_TanOp : FG_MathOp<"tan", "tangent">;
def FG_AsinOp : FG_MathOp<"asin", "arcsine">;
def FG_AcosOp : FG_MathOp<"acos", "arccosine">;
def FG_AtanOp : FG_MathOp<"atan", "arctangent">;
def FG_SinhOp : FG_MathOp<"sinh", "hyperbolic sine">;
def FG_CoshOp : FG_MathOp<"cosh", "hyperbolic cosine">;
def FG_AsinhOp : FG_MathOp<"asinh", "inverse hyperbolic sine">;
def FG_AcoshOp : FG_MathOp<"acosh", "inverse hyperbolic cosine">;
def FG_AtanhOp : FG_MathOp<"atanh", "inverse hyperbolic tangent">;
def FG_FloorOp : FG_MathOp<"floor", "floor (piecewise constant: zero derivative)">;
def FG_CeilOp : FG_MathOp<"ceil", "ceiling (piecewise constant: zero derivative)">;
def FG_RoundOp : FG_MathOp<"round", "rounding half to even, as ONNX Round (piecewise constant: zero derivative)">;

//===----------------------------------------------------------------------===//
// Linear algebra and convolution
//===----------------------------------------------------------------------===//

def FG_MatMulOp : FG_InferOp<"matmul", [DeclareOpInterfaceMethods<VjpOpInterface>,
    DeclareOpInterfaceMethods<LinearOpInterface>,
    AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Matrix product with NumPy semantics";
  let description = [{
    `numpy.matmul`: 1-D operands are promoted to matrices (and the added
    dimension removed from the result), leading (batch) dimensions
    broadcast.
  }];
  let arguments = (ins FG_FloatTensor:$lhs, FG_FloatTensor:$rhs);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def FG_GemmOp : FG_InferOp<"gemm", [DeclareOpInterfaceMethods<VjpOpInterface>,
    DeclareOpInterfaceMethods<LinearOpInterface>,
    AllElementTypesMatch<["a", "b", "result"]>]> {
  let summary = "alpha * op(A) * op(B) + beta * C, ONNX Gemm";
  let description = [{
    `op(X)` is X or its transpose (`trans_a`, `trans_b`). A and B are
    matrices; the optional C is unidirectionally broadcastable to [M, N].
  }];
  let arguments = (ins FG_FloatTensor:$a, FG_FloatTensor:$b,
                   Optional<FG_FloatTensor>:$c,
                   DefaultValuedAttr<F64Attr, "1.0">:$alpha,
                   DefaultValuedAttr<F64Attr, "1.0">:$beta,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_b);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)
  }];
}

def FG_ConvOp : FG_InferOp<"conv", [DeclareOpInterfaceMethods<VjpOpInterface>,
    DeclareOpInterfaceMethods<LinearOpInterface>,
    AllElementTypesMatch<["input", "weight", "result"]>]> {
  let summary = "N-d grouped convolution (cross-correlation), ONNX Conv";
  let description = [{
    input [N, C, D1..Dn], weight [M, C/group, k1..kn], optional bias [M];
    `pads` is [begin_1..begin_n, end_1..end_n] (auto_pad is resolved by the
    importer). n is 1, 2 or 3.
  }];
  let arguments = (ins FG_FloatTensor:$input, FG_FloatTensor:$weight,
                   Optional<FG_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations,
                   DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

class FG_PoolOp<string mnemonic> : FG_InferOp<mnemonic, [DeclareOpInterfaceMethods<VjpOpInterface>, SameOperandsElementType,
                                                        AllElementTypesMatch<["input", "result"]>]> {
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def FG_MaxPoolOp : FG_PoolOp<"max_pool"> {
  let summary = "N-d max pooling over [N, C, D1..Dn], ONNX MaxPool";
  let arguments = (ins FG_FloatTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode);
}

def FG_AvgPoolOp : FG_PoolOp<"avg_pool"> {
  let summary = "N-d average pooling over [N, C, D1..Dn], ONNX AveragePool";
  let description = [{
    With `count_include_pad` the divisor is the full kernel size, else the
    number of input elements inside the window.
  }];
  let arguments = (ins FG_FloatTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                   DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
}

//===----------------------------------------------------------------------===//
// Normalisation and softmax
//===----------------------------------------------------------------------===//

def FG_SoftmaxOp : FG_InferOp<"softmax", [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Softmax along one axis";
  let arguments = (ins FG_FloatTensor:$input, I64Attr:$axis);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def FG_LogSoftmaxOp : FG_InferOp<"log_softmax", [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Log of the softmax along one axis";
  let arguments = (ins FG_FloatTensor:$input, I64Attr:$axis);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def FG_LayerNormOp : FG_InferOp<"layer_norm", [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Layer normalisation over the axes [axis, rank)";
  let description = [{
    y = (x - mean) / sqrt(var + epsilon) * scale + bias, with mean and the
    (biased) variance over the trailing axes from `axis`. The optional
    `affine` operands are [] (the parameter-free form the LocalMixer uses),
    [scale] or [scale, bias]; each broadcasts to the normalised shape.
  }];
  let arguments = (ins FG_FloatTensor:$input, Variadic<FG_FloatTensor>:$affine,
                   I64Attr:$axis,
                   DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`affine` `(` $affine^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The scale operand, or null for the parameter-free form.
    ::mlir::Value getScale() {
      return getAffine().empty() ? ::mlir::Value() : getAffine()[0];
    }
    /// The bias operand, or null.
    ::mlir::Value getBias() {
      return getAffine().size() < 2 ? ::mlir::Value() : getAffine()[1];
    }
    /// The normalised axes: [axis, rank).
    ::llvm::SmallVector<int64_t> getNormalizedAxes() {
      return ::llvm::to_vector(::llvm::seq<int64_t>(
          getAxis(),
          ::llvm::cast<::mlir::RankedTensorType>(getInput().getType())
              .getRank()));
    }
    /// The op's arithmetic as fg ops, before the affine part.
    struct Parts {
      ::mlir::Value mean;       ///< mean over the normalised axes (kept)
      ::mlir::Value centered;   ///< input - mean
      ::mlir::Value stdDev;     ///< sqrt(mean(centered^2) + epsilon)
      ::mlir::Value normalized; ///< centered / stdDev
    };
    /// Builds Parts at `b`'s insertion point. The differentiation rules and
    /// fg-decompose-layer-norm all build them here, in one fixed order, so
    /// that where a rule recomputes the statistics of a decomposed op the
    /// ops are identical and CSE keeps one of each.
    Parts buildParts(::mlir::OpBuilder &b);
  }];
}

def FG_BatchNormOp : FG_InferOp<"batch_norm", [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Batch normalisation over [N, C, ...] with running statistics";
  let description = [{
    y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c], with the
    running statistics given as operands of shape [C]: the inference form,
    which `@forward` and `@eval_step` compute. Where `mean` and `var` are
    parameters, `fg-train-step` computes the op with the statistics of the
    batch instead and updates the running statistics as ONNX does:
    running = momentum * running + (1 - momentum) * batch statistic (the
    population variance).
  }];
  let arguments = (ins FG_FloatTensor:$input, FG_FloatTensor:$scale,
                   FG_FloatTensor:$bias, FG_FloatTensor:$mean, FG_FloatTensor:$var,
                   DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon,
                   DefaultValuedAttr<F64Attr, "0.9">:$momentum);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $var attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class FG_ReduceOp<string mnemonic, Type type>
    : FG_InferOp<mnemonic, [DeclareOpInterfaceMethods<VjpOpInterface>, AllElementTypesMatch<["input", "result"]>]> {
  let description = [{
    Reduces over `axes` (non-negative, strictly increasing; empty means all
    axes). With `keepdims` the reduced axes stay with size 1.
  }];
  let arguments = (ins type:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs type:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def FG_ReduceMeanOp : FG_ReduceOp<"reduce_mean", FG_FloatTensor> {
  let summary = "Mean over axes";
}
def FG_ReduceSumOp : FG_ReduceOp<"reduce_sum", FG_NumTensor> {
  let summary = "Sum over axes";
}
def FG_ReduceMaxOp : FG_ReduceOp<"reduce_max", FG_NumTensor> {
  let summary = "Maximum over axes";
}

def FG_MomentsOp : FG_InferOp<"moments", [AllElementTypesMatch<["input", "mean", "variance"]>]> {
  let summary = "Mean and biased variance over axes, in one pass";
  let description = [{
    `mean` = mean(x) and `variance` = mean((x - mean)^2) over `axes`
    (non-negative, strictly increasing; empty means all axes; with
    `keepdims` the reduced axes stay with size 1), as a layer norm needs
    them. It is what `fg.layer_norm`'s statistics are made of once the op
    is decomposed (`LayerNormOp::buildParts`): the lowering reads the
    input once, summing x and x^2 in f64 and taking
    variance = max(E[x^2] - mean^2, 0) in f64 before rounding to the
    element type, where two `fg.reduce_mean` would read it twice (the
    second pass needs the mean). In f64 the difference loses nothing
    measurable for f32 data unless |mean| / stddev exceeds ~1e5.

    ```mlir
    %m, %v = fg.moments %x {axes = array<i64: 2>}
        : tensor<128x64x512xf32> -> tensor<128x64x1xf32>, tensor<128x64x1xf32>
    ```
  }];
  let arguments = (ins FG_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs FG_FloatTensor:$mean, FG_FloatTensor:$variance);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($mean) `,` type($variance)";
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def FG_ReshapeOp : FG_Op<"reshape", [DeclareOpInterfaceMethods<VjpOpInterface>, AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Reinterprets a tensor with another static shape";
  let description = [{
    The element count is preserved; elements keep their row-major order.
    ONNX Reshape, Flatten, Squeeze and Unsqueeze all become this op.
  }];
  let arguments = (ins FG_Tensor:$input);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def FG_TransposeOp : FG_InferOp<"transpose", [DeclareOpInterfaceMethods<VjpOpInterface>, AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Permutes dimensions: result dim i is input dim perm[i]";
  let arguments = (ins FG_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def FG_ConcatOp : FG_InferOp<"concat", [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Concatenates tensors along one axis";
  let arguments = (ins Variadic<FG_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasFolder = 1;
}

def FG_SliceOp : FG_InferOp<"slice", [DeclareOpInterfaceMethods<VjpOpInterface>, AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Strided slice with one (start, end, step) per dimension";
  let description = [{
    For each dimension d, takes indices start[d], start[d] + step[d], ...
    while before end[d] (after for a negative step). Starts and ends are
    already clamped as ONNX Slice specifies; an end of -1 with a negative
    step means "through index 0".
  }];
  let arguments = (ins FG_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def FG_GatherOp : FG_InferOp<"gather", [DeclareOpInterfaceMethods<VjpOpInterface>, AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Gathers slices along an axis at integer indices, ONNX Gather";
  let description = [{
    result shape = input.shape[:axis] + indices.shape + input.shape[axis+1:].
    Negative indices count from the end of the axis.
  }];
  let arguments = (ins FG_Tensor:$input, FG_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def FG_ShapeOp : FG_InferOp<"shape"> {
  let summary = "The shape of a tensor as a 1-D i64 tensor (always folds)";
  let arguments = (ins FG_Tensor:$input);
  let results = (outs FG_IndexTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def FG_CastOp : FG_Op<"cast", [DeclareOpInterfaceMethods<VjpOpInterface>, SameOperandsAndResultShape]> {
  let summary = "Converts elements between f32, f64, i64 and i1";
  let description = [{
    Float to integer truncates toward zero; integer to float rounds to
    nearest; to i1 is "not zero"; i1 converts to 0 or 1.
  }];
  let arguments = (ins FG_Tensor:$input);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Ops for differentiation
//===----------------------------------------------------------------------===//

def FG_StopGradientOp : FG_Op<"stop_gradient", [DeclareOpInterfaceMethods<VjpOpInterface>, SameOperandsAndResultType]> {
  let summary = "Identity on values; cuts tangents (and gradients)";
  let description = [{
    Returns its operand unchanged; its result has a zero tangent whatever
    the operand's. Local-loss training cuts the network into blocks with
    it.
  }];
  let arguments = (ins FG_Tensor:$input);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def FG_BroadcastToOp : FG_Op<"broadcast_to", [DeclareOpInterfaceMethods<VjpOpInterface>, AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Broadcasts a tensor to a larger shape (NumPy rules)";
  let arguments = (ins FG_Tensor:$input);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def FG_CompareOp : FG_InferOp<"compare", [DeclareOpInterfaceMethods<VjpOpInterface>, AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Elementwise comparison as 1 / 0 of the operands' type";
  let description = [{
    `predicate` is one of eq, ne, lt, le, gt, ge; operands broadcast. On
    floats the result is a 1.0 / 0.0 mask that derivative rules multiply
    with (ReLU, max); on i1 the comparison is unsigned (false < true), so
    `ne` is the logical xor. ONNX comparisons are this op followed by a
    cast to i1. Piecewise constant, so its tangent is zero.
  }];
  let arguments = (ins FG_Tensor:$lhs, FG_Tensor:$rhs, StrAttr:$predicate);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasFolder = 1;
}

def FG_SelectOp : FG_InferOp<"select", [DeclareOpInterfaceMethods<VjpOpInterface>,
    AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Elementwise cond ? lhs : rhs (ONNX Where)";
  let description = [{
    The three operands broadcast (NumPy rules). The derivatives follow the
    selected operand; the condition is piecewise constant.

    ```mlir
    %r = fg.select %c, %x, %y : tensor<4xi1>, tensor<4xf32>, tensor<f32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins FG_BoolTensor:$cond, FG_Tensor:$lhs, FG_Tensor:$rhs);
  let results = (outs FG_Tensor:$result);
  let assemblyFormat = [{
    $cond `,` $lhs `,` $rhs attr-dict `:` type($cond) `,` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasFolder = 1;
}

def FG_MaxPoolJvpOp : FG_InferOp<"max_pool_jvp", [DeclareOpInterfaceMethods<VjpOpInterface>, AllElementTypesMatch<["input", "tangent", "result"]>]> {
  let summary = "The tangent of max pooling: each window's tangent at its argmax";
  let description = [{
    For every window of `input` (attributes as fg.max_pool), the value of
    `tangent` at the first position where `input` attains the window's
    maximum (padding never wins). `tangent` has the shape of `input`, or an
    extra leading dimension of K tangent directions, which the result
    keeps. Linear in `tangent`.
  }];
  let arguments = (ins FG_FloatTensor:$input, FG_FloatTensor:$tangent,
                   DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $tangent attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Local-loss training
//===----------------------------------------------------------------------===//

def FG_PerturbOp : FG_Op<"perturb", [SameOperandsAndResultType,
                                     DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "A perturbation point of activity perturbation";
  let description = [{
    Returns its operand unchanged. It marks where activity perturbation
    (FG-A) adds its random direction: a linear layer's output after its
    post-linear normalisation and before its activation (and before a
    residual add). `fg-localize` inserts one per linear layer and numbers
    them with `site`; `fg-train-step` seeds the forward-mode derivative at
    each site with that site's tangent. Its own derivative is the identity.
  }];
  let arguments = (ins FG_FloatTensor:$input, I64Attr:$site);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def FG_DropoutOp : FG_Op<"dropout", [SameOperandsAndResultType,
                                     DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Dropout: the identity, or a random mask in a training step";
  let description = [{
    Returns its operand unchanged, and so do its derivatives: fgc evaluates
    every network without dropout and, by default, trains it without (a
    mask is noise on top of the forward gradient's own). The op keeps the
    ONNX Dropout's `ratio` (the probability of dropping an element, in
    [0, 1)) so that `fg-train-step{dropout=train}` can rewrite it in
    `@train_step` into x * mask / (1 - ratio), with mask[i] = 1 where the
    normal number of fg.random_normal (seed, step, a site of its own) is
    below the (1 - ratio) quantile: a different mask at every step, the
    same one in the primal and the tangent sweeps, replayable exactly.
  }];
  let arguments = (ins FG_FloatTensor:$input, F64Attr:$ratio);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def FG_OneHotOp : FG_Op<"one_hot"> {
  let summary = "One-hot rows of class indices";
  let description = [{
    result[n..., k] = 1 if labels[n...] == k else 0, for k in [0, K) where K
    is the result's last dimension. Out-of-range labels give a zero row.
  }];
  let arguments = (ins FG_IndexTensor:$labels);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = "$labels attr-dict `:` type($labels) `->` type($result)";
  let hasVerifier = 1;
}

def FG_ArgMaxOp : FG_InferOp<"argmax"> {
  let summary = "Index of the first maximum along one axis";
  let description = [{
    The axis is removed from the result. Used for the readout's accuracy;
    piecewise constant, so it has no tangent.
  }];
  let arguments = (ins FG_FloatTensor:$input, I64Attr:$axis);
  let results = (outs FG_IndexTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def FG_CrossEntropyOp : FG_InferOp<"cross_entropy", [DeclareOpInterfaceMethods<VjpOpInterface>]> {
  let summary = "Softmax cross-entropy of logits [N, K] against class labels [N]";
  let description = [{
    result[n] = logsumexp(logits[n, :]) - logits[n, labels[n]], one value
    per example (not averaged). Derivative rules use
    delta = softmax(logits) - onehot(labels): the tangent is
    sum_k delta[n, k] dlogits[n, k] and the cotangent of the logits is
    delta * cotangent[n].
  }];
  let arguments = (ins FG_FloatTensor:$logits, FG_IndexTensor:$labels);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// softmax(logits) - onehot(labels) [N, K], built at the builder's
    /// insertion point: the one term the JVP and VJP rules share.
    static ::mlir::Value buildDelta(::mlir::OpBuilder &b, ::mlir::Location loc,
                                    ::mlir::Value logits, ::mlir::Value labels);
  }];
}

def FG_LocalXentOp : FG_InferOp<"local_xent", [DeclareOpInterfaceMethods<VjpOpInterface>,
    LocalLossOpInterface]> {
  let summary = "Replicated local loss: mean-pool, shared linear head, softmax cross-entropy";
  let description = [{
    The fused local head of "Scaling Forward Gradient With Local Losses"
    (spec §2.2, §4.1). `input` is a block output in the layout
    [N, P, G, C/G] (batch, patches, channel groups, channels per group),
    `weight` [G*C/G, K] and `bias` [K] are one linear head shared by all
    groups, `labels` [N] the classes. Forward: xbar = mean over P, flattened
    group-major to [N, C]; l[n] = cross_entropy(xbar W + b, labels)[n],
    replicated to [N, P, G] (to [N, 1, G] without `spatial`).

    Copy (p, g) owns only the activations at patch p, group g (every other
    patch and group is behind a stop-gradient, Eqs. 4-5), so with
    delta = softmax(logits) - onehot and W_g the g-th row block of W the
    tangent is

      dl[n,p,g] = (1/P) sum_c dx[n,p,g,c] (W_g delta_n)[c]
                  + (xbar_n dW + db) . delta_n

    costing O(N P C + N C K): no [N, P, G, C] copy of the features and no
    per-copy logits are ever formed. Without `spatial` the first term is
    summed over p. The cotangent rule is the exact VJP of the same
    replicated construction.
  }];
  let arguments = (ins FG_FloatTensor:$input, FG_FloatTensor:$weight,
                   FG_FloatTensor:$bias, FG_IndexTensor:$labels,
                   DefaultValuedAttr<BoolAttr, "true">:$spatial);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $labels attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The head's forward terms both derivative rules need, built at the
    /// builder's insertion point: the pooled features xbar [N, G*C/G] and
    /// delta = softmax(xbar W + b) - onehot(labels) [N, K].
    std::pair<::mlir::Value, ::mlir::Value> buildHead(::mlir::OpBuilder &b);
  }];
}

def FG_RandomNormalOp : FG_Op<"random_normal"> {
  let summary = "Standard normal numbers from a counter-based generator";
  let description = [{
    The result's n elements are standard normal numbers drawn with
    Philox-4x32-10 (Salmon et al., SC'11), four per block: with Q =
    ceil(n / 4) blocks, element i (row-major) is number i div Q of block
    b = i mod Q. Block b is Philox on the counter (b mod 2^32, b div 2^32,
    step, site) with the key (seed mod 2^32, seed div 2^32); its 32-bit
    outputs w0..w3 give, with u1 = (floor(w0 / 2^8) + 1) / 2^24 and
    u2 = floor(w1 / 2^8) / 2^24, the numbers sqrt(-2 ln u1) cos(2 pi u2) and sqrt(-2 ln u1)
    sin(2 pi u2) (Box-Muller), then the same on (w2, w3). `seed` and `step`
    are rank-0 i64 tensors. The numbers depend only on (seed, step, site,
    n, i), so they are the same on every target and in every order of
    evaluation, and a training step can be replayed exactly.
  }];
  let arguments = (ins FG_IndexTensor:$seed, FG_IndexTensor:$step,
                   I64Attr:$site);
  let results = (outs FG_FloatTensor:$result);
  let assemblyFormat = "$seed `,` $step attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // FGC_DIALECT_FG_IR_FGOPS_TD
