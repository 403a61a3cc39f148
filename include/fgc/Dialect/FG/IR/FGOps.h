//===- FGOps.h - fg dialect operations --------------------------*- C++ -*-===//

#ifndef FGC_DIALECT_FG_IR_FGOPS_H
#define FGC_DIALECT_FG_IR_FGOPS_H

#include "fgc/Dialect/FG/IR/FGAttributes.h"
#include "fgc/Dialect/FG/IR/FGDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace fgc::fg {
class JvpBuilder;
} // namespace fgc::fg

#include "fgc/Dialect/FG/IR/FGInterfaces.h.inc"

#define GET_OP_CLASSES
#include "fgc/Dialect/FG/IR/FGOps.h.inc"

namespace fgc::fg {

/// The NumPy broadcast of two shapes, or failure when a pair of aligned
/// dimensions differs and neither is 1.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// The divisor of average pooling at each output position ([O1..On],
/// row-major): the number of taps inside the input, or also inside the
/// explicit padding with `countIncludePad` (at least 1). The lowering
/// divides by it and the reverse-mode rule multiplies by its inverse.
llvm::SmallVector<double>
avgPoolDivisor(llvm::ArrayRef<int64_t> in, llvm::ArrayRef<int64_t> out,
               llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> strides,
               llvm::ArrayRef<int64_t> pads, bool countIncludePad);

/// Output size of one spatial axis of a convolution or pooling window.
/// Returns a negative value when the window does not fit.
int64_t slidingWindowOutputSize(int64_t input, int64_t kernel, int64_t stride,
                                int64_t padBegin, int64_t padEnd,
                                int64_t dilation, bool ceilMode);

/// The double nearest to the shortest decimal that round-trips `value` in
/// its own precision: attributes read from f32 data (1e-5f) print as 1e-5
/// instead of 9.99999974e-6.
double shortestDouble(const llvm::APFloat &value);

/// Spec §3.3 (the LocalMixer reference's initialisation): the scale s of a
/// weight whose initial values are s * N(0, 1), from its fan-in (e.g.
/// LinearOpInterface::getWeightFanIn, or a head's channels). "kaiming":
/// min(2 / sqrt(fanIn), 0.1); "lecun": min(1 / sqrt(fanIn), 0.1); any other
/// scheme ("constant"): 0.1.
double initScale(llvm::StringRef scheme, double fanIn);

} // namespace fgc::fg

#endif // FGC_DIALECT_FG_IR_FGOPS_H
