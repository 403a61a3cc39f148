//===- Attributes.h - Discardable attributes of fgc's transforms -*- C++ -*-===//
//
// Names of the attributes by which lowerings ask fgc's transforms on
// upstream dialects for something, kept apart from the generated pass
// declarations so that any lowering can include them.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_TRANSFORMS_ATTRIBUTES_H
#define FGC_TRANSFORMS_ATTRIBUTES_H

#include "llvm/ADT/StringRef.h"

namespace fgc {

/// The unit attribute with which a lowering asks fgc-approximate-math for a
/// polynomial approximation of a math op.
inline constexpr llvm::StringLiteral kApproximateAttr = "fgc.approximate";

} // namespace fgc

#endif // FGC_TRANSFORMS_ATTRIBUTES_H
