//===- FGDecompositions.cpp - Ops spelled as simpler fg ops ---------------===//
//
// The arithmetic of composite ops as fg ops, shared by their derivative
// rules and by the passes that decompose them for code generation: one
// builder per op keeps the ops identical wherever they are built, so CSE
// merges the statistics a rule recomputes with those of the decomposed op.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/IR/FGOps.h"

using namespace mlir;
using namespace fgc::fg;

LayerNormOp::Parts LayerNormOp::buildParts(OpBuilder &b) {
  Location loc = getLoc();
  Value x = getInput();
  SmallVector<int64_t> axes = getNormalizedAxes();
  Parts parts;
  // One pass over x for both statistics (fg.moments).
  auto moments = MomentsOp::create(b, loc, x, b.getDenseI64ArrayAttr(axes),
                                   b.getBoolAttr(true));
  parts.mean = moments.getMean();
  parts.centered = SubOp::create(b, loc, x, parts.mean);
  Value var = moments.getVariance();
  parts.stdDev = SqrtOp::create(
      b, loc,
      AddOp::create(b, loc, var,
                    scalar(b, loc, eltOf(x), getEpsilon().convertToDouble())));
  parts.normalized = DivOp::create(b, loc, parts.centered, parts.stdDev);
  return parts;
}
