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

#endif // FGC_DIALECT_FG_IR_FGINTERFACES_TD
