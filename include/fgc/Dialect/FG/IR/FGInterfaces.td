//===- FGInterfaces.td - fg dialect interfaces -------------*- tablegen -*-===//

#ifndef FGC_DIALECT_FG_IR_FGINTERFACES_TD
#define FGC_DIALECT_FG_IR_FGINTERFACES_TD

include "mlir/IR/OpBase.td"

def JvpOpInterface : OpInterface<"JvpOpInterface"> {
  let cppNamespace = "::fgc::fg";
  let description = [{
    The forward-mode derivative rule of an op, used by the `fg-jvp` pass
    (the way the Toy tutorial's ShapeInference interface drives shape
    inference: the pass knows nothing about individual ops).

    A rule receives, through the JvpBuilder, the tangents of the op's
    operands (null for a symbolic zero; at least one is non-null) and builds
    the tangents of its results right after the op. With K > 1 tangent
    directions every tangent carries a leading dimension of size K; rules
    that are linear in the tangent process all K at once. A rule returns a
    null tangent for a result whose tangent is zero, and may compute a
    result's primal value together with the tangents (e.g. one stacked
    matrix product) and hand it to JvpBuilder::replacePrimal.

    A fused op gets its own rule, which takes precedence over any
    decomposition: the pass never looks inside an op.
  }];
  let methods = [
    InterfaceMethod<
      "Builds the tangents of the results from the operand tangents.",
      "::llvm::LogicalResult", "buildJvp",
      (ins "::fgc::fg::JvpBuilder &":$builder,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$resultTangents)>
  ];
}

def VjpOpInterface : OpInterface<"VjpOpInterface"> {
  let cppNamespace = "::fgc::fg";
  let description = [{
    The reverse-mode derivative rule of an op (its vector-Jacobian product),
    used where training needs exact local gradients: the pull-back of an
    activity-perturbation estimate from a perturbation point to the linear
    layer's weights through the parameter-free ops between them (layer
    norm, bias add, reshapes), and the exact gradients of the local heads
    and the readout classifier. The sweep that drives it
    (`fgc::fg::propagateCotangents`, lib/Dialect/FG/Transforms/
    Differentiation.cpp) knows no op; an op without this interface on a
    path it must differentiate is an error naming the op.

    A rule receives the cotangent of the op's (single) result, with the
    result's type, and returns the cotangent of operand `index` with that
    operand's type, or null for a zero cotangent. Rules build fg ops only,
    so the code they emit is lowered like any other.
  }];
  let methods = [
    InterfaceMethod<
      "Builds the cotangent of operand `index` from the result cotangent.",
      "::mlir::FailureOr<::mlir::Value>", "buildVjp",
      (ins "::mlir::OpBuilder &":$builder, "unsigned":$index,
           "::mlir::Value":$cotangent)>
  ];
}

def LinearOpInterface : OpInterface<"LinearOpInterface"> {
  let cppNamespace = "::fgc::fg";
  let description = [{
    A linear layer's product: an op computing input x weight (+ bias) whose
    weight, when it is a parameter, is what local-loss training perturbs
    and updates (fg.matmul, fg.gemm, fg.conv). The partition analysis, the
    training passes and parameter initialisation ask this interface for the
    operands' roles and for how the weight's axes relate to the result's,
    instead of knowing each op.
  }];
  let methods = [
    InterfaceMethod<
      "The operand the layer transforms (matmul lhs, Gemm A, conv input).",
      "::mlir::OpOperand &", "getInputOperand">,
    InterfaceMethod<
      "The weight operand (matmul rhs, Gemm B, conv weight).",
      "::mlir::OpOperand &", "getWeightOperand">,
    InterfaceMethod<
      "The bias operand added to the product (Gemm C, conv bias), or null.",
      "::mlir::OpOperand *", "getBiasOperand">,
    InterfaceMethod<[{
        The axes of the weight that run over the inputs of one output: the
        fan-in of the initialisation formulas is the product of their sizes
        (matmul [.., in, out]: the second-to-last; Gemm B [in, out] or, with
        trans_b, [out, in]; conv [M, C/group, k..]: every axis but the
        first).
      }],
      "::llvm::SmallVector<int64_t>", "getWeightFanInAxes">,
    InterfaceMethod<[{
        For the weight or the bias operand `operand`, the axis of the result
        that its axis `axis` indexes (output channels, groups, broadcast
        batch dimensions), or -1 when it indexes none (a contracted axis, a
        kernel axis) or `operand` is neither the weight nor the bias.
      }],
      "int64_t", "getResultAxis",
      (ins "::mlir::Value":$operand, "int64_t":$axis)>,
    InterfaceMethod<[{
        The number of groups when the product is grouped (a matmul weight
        [G, in, out] multiplies each of G groups by its own matrix; a
        convolution with group > 1), else std::nullopt.
      }],
      "std::optional<int64_t>", "getWeightGroups">
  ];
  let extraClassDeclaration = [{
    /// The operands' values (the bias is null when there is none).
    ::mlir::Value getInput() { return getInputOperand().get(); }
    ::mlir::Value getWeight() { return getWeightOperand().get(); }
    ::mlir::Value getBias() {
      ::mlir::OpOperand *bias = getBiasOperand();
      return bias ? bias->get() : ::mlir::Value();
    }
    /// The product of the weight's sizes over getWeightFanInAxes().
    int64_t getWeightFanIn();
  }];
}

def LocalLossOpInterface : OpInterface<"LocalLossOpInterface"> {
  let cppNamespace = "::fgc::fg";
  let description = [{
    A local loss head (fg.local_xent): the loss one block of a network
    trains with under local-loss training. fg-localize attaches one to each
    block's output and numbers it with the block (`fg.block`); fg-train-step
    finds the heads through this interface, seeds their tangents, and
    trains their own parameters with the exact gradient (VjpOpInterface).

    A head has one result, the loss replicated over the copies that each
    own a part of the block output ([N, P, G] for fg.local_xent), reads the
    block output and the labels, and has a weight and a bias of its own.
  }];
  let methods = [
    InterfaceMethod<"The block output the head reads.",
      "::mlir::Value", "getInput">,
    InterfaceMethod<"The class labels [N].",
      "::mlir::Value", "getLabels">,
    InterfaceMethod<"The head's weight.",
      "::mlir::Value", "getWeight">,
    InterfaceMethod<"The head's bias.",
      "::mlir::Value", "getBias">
  ];
  let extraClassDeclaration = [{
    /// The loss (the single result) and its type.
    ::mlir::Value getResult() { return getOperation()->getResult(0); }
    ::mlir::RankedTensorType getType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getResult().getType());
    }
    /// The head's own parameters: its weight and bias.
    ::llvm::SmallVector<::mlir::Value, 2> getParameters() {
      return {getWeight(), getBias()};
    }
  }];
  let extraSharedClassDeclaration = [{
    /// The index of the block the head trains (`fg.block`), if set.
    std::optional<int64_t> getBlockIndex() {
      if (auto index = ::fgc::fg::FGDialect::get($_op->getContext())
                           ->getBlockAttrHelper()
                           .getAttr($_op.getOperation()))
        return index.getInt();
      return std::nullopt;
    }
    void setBlockIndex(int64_t index) {
      ::mlir::Builder b($_op->getContext());
      ::fgc::fg::FGDialect::get($_op->getContext())
          ->getBlockAttrHelper()
          .setAttr($_op.getOperation(), b.getI64IntegerAttr(index));
    }
  }];
}

#endif // FGC_DIALECT_FG_IR_FGINTERFACES_TD
