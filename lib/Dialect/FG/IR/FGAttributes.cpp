//===- FGAttributes.cpp - fg argument and result attributes ---------------===//

#include "fgc/Dialect/FG/IR/FGAttributes.h"

using namespace mlir;

namespace fgc::fg {

namespace {
constexpr llvm::StringLiteral kName = FGDialect::NameAttrHelper::getNameStr();
constexpr llvm::StringLiteral kParam = FGDialect::ParamAttrHelper::getNameStr();
constexpr llvm::StringLiteral kTangentOf =
    FGDialect::TangentOfAttrHelper::getNameStr();

StringAttr str(FunctionOpInterface func, StringRef value) {
  return StringAttr::get(func->getContext(), value);
}
} // namespace

StringAttr getArgName(FunctionOpInterface func, unsigned index) {
  return func.getArgAttrOfType<StringAttr>(index, kName);
}

void setArgName(FunctionOpInterface func, unsigned index, StringRef name) {
  func.setArgAttr(index, kName, str(func, name));
}

StringAttr getResultName(FunctionOpInterface func, unsigned index) {
  return func.getResultAttrOfType<StringAttr>(index, kName);
}

void setResultName(FunctionOpInterface func, unsigned index, StringRef name) {
  func.setResultAttr(index, kName, str(func, name));
}

StringAttr getArgParam(FunctionOpInterface func, unsigned index) {
  return func.getArgAttrOfType<StringAttr>(index, kParam);
}

void setArgParam(FunctionOpInterface func, unsigned index, StringRef param) {
  func.setArgAttr(index, kParam, str(func, param));
}

StringAttr getArgTangentOf(FunctionOpInterface func, unsigned index) {
  return func.getArgAttrOfType<StringAttr>(index, kTangentOf);
}

void setArgTangentOf(FunctionOpInterface func, unsigned index, StringRef of) {
  func.setArgAttr(index, kTangentOf, str(func, of));
}

NamedAttribute nameEntry(MLIRContext *ctx, StringRef name) {
  return NamedAttribute(StringAttr::get(ctx, kName),
                        StringAttr::get(ctx, name));
}

} // namespace fgc::fg
