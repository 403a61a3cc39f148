//===- OnnxArithmetic.cpp - Mod -------------------------------------------===//
//
// Mod as a composition: with fmod = 1 the remainder of truncated division,
// x - y * trunc(x / y) (C's fmod; on int64, fg.div truncates already); with
// fmod = 0 (integers only) Python's remainder, which takes the divisor's
// sign: the truncated remainder plus y where the two signs differ. The
// derivative is 1 for x and -trunc(x / y) for y, through the parts' rules.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"
#include "Converters.h"

#include "fgc/Dialect/FG/IR/FGBuilders.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::onnximport;
namespace fg = fgc::fg;
using fg::typeOf;

LogicalResult onnximport::convertMod(NodeContext &nc) {
  Composer k(nc);
  Value x = k.input(0, /*floatOnly=*/false);
  Value y = k.input(1, /*floatOnly=*/false);
  if (!x || !y)
    return failure();
  Type elt = typeOf(x).getElementType();
  if (elt != typeOf(y).getElementType() || elt.isInteger(1))
    return nc.fail("operands must be numeric of one type, got " +
                   str(typeOf(x)) + " and " + str(typeOf(y)));
  TRY(fmod, nc.attrInt("fmod", 0));
  bool isFloat = isa<FloatType>(elt);
  if (isFloat && !fmod)
    return nc.fail("floating-point operands need attribute fmod = 1");
  Value q = k.div(x, y);
  if (isFloat) {
    // trunc(q): floor for q >= 0, ceil below.
    Value below = k.cast(k.mask("lt", q, k.c(0)), nc.b.getI1Type());
    q = k.select(below, k.unary<fg::CeilOp>(q), k.unary<fg::FloorOp>(q));
  }
  Value r = k.sub(x, k.mul(y, q));
  if (!fmod) {
    // r != 0 and sign(r) != sign(y): add y.
    Value nonzero = k.mask("ne", r, k.c(0));
    Value differ =
        k.mask("ne", k.mask("lt", r, k.c(0)), k.mask("lt", y, k.c(0)));
    r = k.add(r, k.mul(k.mul(nonzero, differ), y));
  }
  return k.finish(r);
}
