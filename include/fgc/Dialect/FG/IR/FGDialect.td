//===- FGDialect.td - The fg dialect ----------------------*- tablegen -*-===//
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
}

#endif // FGC_DIALECT_FG_IR_FGDIALECT_TD
