//===- FGDialect.cpp - The fg dialect -------------------------------------===//

#include "fgc/Dialect/FG/IR/FGDialect.h"
#include "fgc/Dialect/FG/IR/FGOps.h"

using namespace mlir;
using namespace fgc::fg;

#include "fgc/Dialect/FG/IR/FGDialect.cpp.inc"

void FGDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "fgc/Dialect/FG/IR/FGOps.cpp.inc"
      >();
}

Operation *FGDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
