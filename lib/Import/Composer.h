//===- Composer.h - Converters that compose several fg ops ------*- C++ -*-===//
//
// A converter whose ONNX op is a formula over other ops (an activation, a
// norm of a reduction) writes it as one: each step builds an fg op through
// the NodeContext, and the first failure (already reported) sticks, so the
// code reads as the formula instead of a ladder of checks.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_IMPORT_COMPOSER_H
#define FGC_IMPORT_COMPOSER_H

#include "NodeContext.h"

namespace fgc::onnximport {

class Composer {
public:
  explicit Composer(NodeContext &nc) : nc(nc) {}

  /// Input `i`; with `floatOnly`, it must be a floating-point tensor. The
  /// first input fixes the element type of the constants c() makes.
  mlir::Value input(int i, bool floatOnly = true) {
    mlir::FailureOr<mlir::Value> x = nc.input(i);
    if (mlir::failed(x))
      return fail();
    auto type = llvm::cast<mlir::RankedTensorType>(x->getType());
    if (floatOnly && !llvm::isa<mlir::FloatType>(type.getElementType())) {
      (void)nc.fail("input must be a floating-point tensor, got " + str(type));
      return fail();
    }
    if (!elt)
      elt = type.getElementType();
    return *x;
  }
  mlir::Value floatInput() { return input(0); }
  /// A float attribute of the node.
  double attr(llvm::StringRef name, double dflt) {
    mlir::FailureOr<double> v = nc.attrFloat(name, dflt);
    if (mlir::failed(v)) {
      fail();
      return dflt;
    }
    return *v;
  }

  /// A scalar constant of the first input's element type.
  mlir::Value c(double v) {
    if (broken)
      return {};
    auto type = mlir::RankedTensorType::get({}, elt);
    mlir::Attribute value =
        llvm::isa<mlir::FloatType>(elt)
            ? mlir::Attribute(mlir::FloatAttr::get(elt, v))
            : mlir::Attribute(mlir::IntegerAttr::get(elt, int64_t(v)));
    return nc.constant(mlir::DenseElementsAttr::get(type, value));
  }
  template <typename OpTy> mlir::Value binary(mlir::Value x, mlir::Value y) {
    if (broken || !x || !y)
      return fail();
    return check(nc.create<OpTy>({x, y}));
  }
  template <typename OpTy> mlir::Value unary(mlir::Value x) {
    if (broken || !x)
      return fail();
    return check(nc.createTyped<OpTy>(x.getType(), x));
  }
  /// A reduction over `axes` (all when empty).
  template <typename OpTy>
  mlir::Value reduce(mlir::Value x, llvm::ArrayRef<int64_t> axes,
                     bool keepdims) {
    if (broken || !x)
      return fail();
    return check(nc.create<OpTy>({x}, {nc.namedArray("axes", axes),
                                       nc.namedBool("keepdims", keepdims)}));
  }
  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape) {
    if (broken || !x)
      return fail();
    return check(nc.reshape(x, shape));
  }
  mlir::Value add(mlir::Value x, mlir::Value y) {
    return binary<fg::AddOp>(x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) {
    return binary<fg::SubOp>(x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) {
    return binary<fg::MulOp>(x, y);
  }
  mlir::Value div(mlir::Value x, mlir::Value y) {
    return binary<fg::DivOp>(x, y);
  }
  mlir::Value max(mlir::Value x, mlir::Value y) {
    return binary<fg::MaxOp>(x, y);
  }
  mlir::Value min(mlir::Value x, mlir::Value y) {
    return binary<fg::MinOp>(x, y);
  }
  mlir::Value relu(mlir::Value x) { return unary<fg::ReluOp>(x); }
  mlir::Value exp(mlir::Value x) { return unary<fg::ExpOp>(x); }
  mlir::Value log(mlir::Value x) { return unary<fg::LogOp>(x); }
  mlir::Value abs(mlir::Value x) { return unary<fg::AbsOp>(x); }
  mlir::Value neg(mlir::Value x) { return unary<fg::NegOp>(x); }
  /// `x` converted to element type `elt` (fg.cast).
  mlir::Value cast(mlir::Value x, mlir::Type elt) {
    if (broken || !x)
      return fail();
    auto type = llvm::cast<mlir::RankedTensorType>(x.getType()).clone(elt);
    return check(nc.createTyped<fg::CastOp>(type, x));
  }
  /// `cond ? x : y` elementwise (`cond` bool, operands broadcast).
  mlir::Value select(mlir::Value cond, mlir::Value x, mlir::Value y) {
    if (broken || !cond || !x || !y)
      return fail();
    return check(nc.create<fg::SelectOp>({cond, x, y}));
  }
  /// 1 where `x predicate y` holds, else 0, of x's element type (zero
  /// derivative).
  mlir::Value mask(llvm::StringRef predicate, mlir::Value x, mlir::Value y) {
    if (broken || !x || !y)
      return fail();
    return check(nc.create<fg::CompareOp>(
        {x, y}, {nc.named("predicate",
                          mlir::StringAttr::get(nc.getContext(), predicate))}));
  }

  /// Sets the node's output (or fails if any step did).
  mlir::LogicalResult finish(mlir::Value result) {
    if (broken || !result)
      return mlir::failure();
    nc.setOutput(0, result);
    return mlir::success();
  }

  NodeContext &nc;

private:
  mlir::Value fail() {
    broken = true;
    return {};
  }
  mlir::Value check(mlir::FailureOr<mlir::Value> v) {
    return mlir::failed(v) ? fail() : *v;
  }

  mlir::Type elt;
  bool broken = false;
};

} // namespace fgc::onnximport

#endif // FGC_IMPORT_COMPOSER_H
