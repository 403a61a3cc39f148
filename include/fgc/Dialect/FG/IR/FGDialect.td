//===- FGDialect.td - The fg dialect -----------------------*- tablegen -*-===//
//
// The network-level dialect of fgc: ONNX-like tensor operations on ranked,
// statically shaped tensors, with the parameters of a model held as symbols.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_DIALECT_FG_IR_FGDIALECT_TD
#define FGC_DIALECT_FG_IR_FGDIALECT_TD

include "mlir/IR/OpBase.td"

def FG_Dialect : Dialect {
  let name = "fg";
  let cppNamespace = "::fgc::fg";
  let summary = "Network-level ops for forward-gradient training";
  let description = [{
    The `fg` dialect represents the neural networks fgc trains. Imported ONNX
    graphs become a `func.func @forward` whose arguments are the graph inputs
    and whose body uses `fg` ops; the trainable parameters (ONNX initializers)
    are module-level `fg.parameter` symbols read with `fg.param`.

    All tensors are ranked and statically shaped: the batch size and every
    other dimension are fixed at import time. Element types are f32 and f64
    for data and i64 for shapes and indices.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 0;
  // Inherent attributes live in the attribute dictionary so that type
  // inference sees them while the op is still being parsed or imported.
  let usePropertiesForAttributes = 0;

  // Every `fg.*` attribute the passes attach to IR that is not an op's own:
  // the single definition of its name and type. Each gets a helper,
  // `FGDialect::get(ctx)->get<Name>AttrHelper()`, with getName(),
  // getAttr(op), setAttr(op, value), isAttrPresent(op) and removeAttr(op);
  // the static `FGDialect::<Name>AttrHelper::getNameStr()` is the name.
  // The argument and result attributes (`name`, `param`, `tangent_of`) are
  // read and written with the functions of FGAttributes.h.
  let discardableAttrs = (ins
    // Argument or result of a function: the name users see (the ONNX
    // input/output name, a parameter's optimizer state, "labels", ...).
    "::mlir::StringAttr":$name,
    // Argument: the fg.parameter it carries (fg-params-to-args,
    // @train_step).
    "::mlir::StringAttr":$param,
    // Argument of <function>_jvp: the input or parameter whose tangent it is.
    "::mlir::StringAttr":$tangent_of,
    // Op in @local_losses: the readout's linear op and its cross-entropy.
    "::mlir::UnitAttr":$readout,
    // Local loss head (LocalLossOpInterface): the index of its block.
    "::mlir::IntegerAttr":$block,
    // @local_losses: one "<block>:<layout>:G<groups>" string per block.
    "::mlir::ArrayAttr":$blocks,
    // @local_losses: true for the local form, false for the global one.
    "::mlir::BoolAttr":$local,
    // @train_step: the learning rule and the number of tangents.
    "::mlir::StringAttr":$algo,
    "::mlir::IntegerAttr":$tangents,
    // @learning_rate: the schedule it computes.
    "::mlir::StringAttr":$schedule
  );

  let extraClassDeclaration = [{
    /// The fg dialect of `ctx`, for its attribute helpers (loaded wherever
    /// there is fg IR; loads it otherwise, which must not happen inside a
    /// multi-threaded pass).
    static FGDialect *get(::mlir::MLIRContext *ctx) {
      return ctx->getOrLoadDialect<FGDialect>();
    }
  }];
}

#endif // FGC_DIALECT_FG_IR_FGDIALECT_TD
