//===- FGInterfaces.td - fg dialect interfaces ------------*- tablegen -*-===//

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
    (`fgc::fg::buildVjp`) knows no op; an op without this interface on a
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

#endif // FGC_DIALECT_FG_IR_FGINTERFACES_TD
