//===- Elementwise.cpp - fg constants and elementwise ops -----------------===//
//
// Constants and shapes become arith.constant; elementwise ops (with NumPy
// broadcasting), comparisons and casts one linalg.generic each;
// fg.stop_gradient is the identity and fg.broadcast_to a copy.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "fgc/Dialect/FG/IR/FGOps.h"

#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace fgc;
using namespace fgc::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<fg::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct ShapeLowering : OpConversionPattern<fg::ShapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::ShapeOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, DenseElementsAttr::get(type, op.getInput().getType().getShape()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Lowers an elementwise op to a broadcasting linalg.generic whose body is
/// built by `Derived::build`.
template <typename Op, typename Derived>
struct ElementwiseLowering : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result =
        elementwise(rewriter, op.getLoc(), type.getShape(),
                    type.getElementType(), adaptor.getOperands(),
                    [&](OpBuilder &b, Location loc, ValueRange args) {
                      return Derived::build(b, loc, op, args);
                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

#define FG_ELEMENTWISE(NAME, OP, EXPR)                                         \
  struct NAME : ElementwiseLowering<OP, NAME> {                                \
    using ElementwiseLowering::ElementwiseLowering;                            \
    static Value build(OpBuilder &b, Location loc, OP op, ValueRange args) {   \
      (void)op;                                                                \
      return EXPR;                                                             \
    }                                                                          \
  };

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

FG_ELEMENTWISE(AddLowering, fg::AddOp, add(b, loc, args[0], args[1]))
FG_ELEMENTWISE(SubLowering, fg::SubOp, sub(b, loc, args[0], args[1]))
FG_ELEMENTWISE(MulLowering, fg::MulOp, mul(b, loc, args[0], args[1]))
FG_ELEMENTWISE(DivLowering, fg::DivOp, div(b, loc, args[0], args[1]))
FG_ELEMENTWISE(PowLowering, fg::PowOp,
               math::PowFOp::create(b, loc, args[0], args[1]))
bool isBool(Value v) { return v.getType().isInteger(1); }

// On i1 the order is unsigned (false < true): max is or, min is and.
FG_ELEMENTWISE(MaxLowering, fg::MaxOp,
               isFloat(args[0])
                   ? Value(arith::MaximumFOp::create(b, loc, args[0], args[1]))
               : isBool(args[0])
                   ? Value(arith::OrIOp::create(b, loc, args[0], args[1]))
                   : Value(arith::MaxSIOp::create(b, loc, args[0], args[1])))
FG_ELEMENTWISE(MinLowering, fg::MinOp,
               isFloat(args[0])
                   ? Value(arith::MinimumFOp::create(b, loc, args[0], args[1]))
               : isBool(args[0])
                   ? Value(arith::AndIOp::create(b, loc, args[0], args[1]))
                   : Value(arith::MinSIOp::create(b, loc, args[0], args[1])))
FG_ELEMENTWISE(SelectLowering, fg::SelectOp,
               arith::SelectOp::create(b, loc, args[0], args[1], args[2]))
FG_ELEMENTWISE(NegLowering, fg::NegOp,
               isFloat(args[0])
                   ? Value(arith::NegFOp::create(b, loc, args[0]))
                   : Value(arith::SubIOp::create(
                         b, loc, scalar(b, loc, args[0].getType(), 0),
                         args[0])))
FG_ELEMENTWISE(AbsLowering, fg::AbsOp,
               isFloat(args[0]) ? Value(math::AbsFOp::create(b, loc, args[0]))
                                : Value(math::AbsIOp::create(b, loc, args[0])))
FG_ELEMENTWISE(ExpLowering, fg::ExpOp, math::ExpOp::create(b, loc, args[0]))
FG_ELEMENTWISE(LogLowering, fg::LogOp, math::LogOp::create(b, loc, args[0]))
FG_ELEMENTWISE(SqrtLowering, fg::SqrtOp, math::SqrtOp::create(b, loc, args[0]))
FG_ELEMENTWISE(ErfLowering, fg::ErfOp, math::ErfOp::create(b, loc, args[0]))
FG_ELEMENTWISE(TanhLowering, fg::TanhOp, math::TanhOp::create(b, loc, args[0]))
// max(x, 0) that keeps NaN (ONNX Relu propagates it).
FG_ELEMENTWISE(ReluLowering, fg::ReluOp,
               arith::MaximumFOp::create(b, loc, args[0],
                                         scalar(b, loc, args[0].getType(),
                                                0.0)))
// 1 / (1 + exp(-x)).
FG_ELEMENTWISE(SigmoidLowering, fg::SigmoidOp,
               arith::DivFOp::create(
                   b, loc, scalar(b, loc, args[0].getType(), 1.0),
                   arith::AddFOp::create(
                       b, loc, scalar(b, loc, args[0].getType(), 1.0),
                       math::ExpOp::create(
                           b, loc, arith::NegFOp::create(b, loc, args[0])))))
// x < 0 ? alpha * x : x.
FG_ELEMENTWISE(
    LeakyReluLowering, fg::LeakyReluOp,
    arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, args[0],
                              scalar(b, loc, args[0].getType(), 0.0)),
        arith::MulFOp::create(b, loc,
                              scalar(b, loc, args[0].getType(),
                                     op.getAlpha().convertToDouble()),
                              args[0]),
        args[0]))
// The math ops; Round is ONNX Round, half to even.
FG_ELEMENTWISE(SinLowering, fg::SinOp, math::SinOp::create(b, loc, args[0]))
FG_ELEMENTWISE(CosLowering, fg::CosOp, math::CosOp::create(b, loc, args[0]))
FG_ELEMENTWISE(TanLowering, fg::TanOp, math::TanOp::create(b, loc, args[0]))
FG_ELEMENTWISE(AsinLowering, fg::AsinOp, math::AsinOp::create(b, loc, args[0]))
FG_ELEMENTWISE(AcosLowering, fg::AcosOp, math::AcosOp::create(b, loc, args[0]))
FG_ELEMENTWISE(AtanLowering, fg::AtanOp, math::AtanOp::create(b, loc, args[0]))
FG_ELEMENTWISE(SinhLowering, fg::SinhOp, math::SinhOp::create(b, loc, args[0]))
FG_ELEMENTWISE(CoshLowering, fg::CoshOp, math::CoshOp::create(b, loc, args[0]))
FG_ELEMENTWISE(AsinhLowering, fg::AsinhOp,
               math::AsinhOp::create(b, loc, args[0]))
FG_ELEMENTWISE(AcoshLowering, fg::AcoshOp,
               math::AcoshOp::create(b, loc, args[0]))
FG_ELEMENTWISE(AtanhLowering, fg::AtanhOp,
               math::AtanhOp::create(b, loc, args[0]))
FG_ELEMENTWISE(FloorLowering, fg::FloorOp,
               math::FloorOp::create(b, loc, args[0]))
FG_ELEMENTWISE(CeilLowering, fg::CeilOp, math::CeilOp::create(b, loc, args[0]))
FG_ELEMENTWISE(RoundLowering, fg::RoundOp,
               math::RoundEvenOp::create(b, loc, args[0]))
#undef FG_ELEMENTWISE

struct CompareLowering : ElementwiseLowering<fg::CompareOp, CompareLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value build(OpBuilder &b, Location loc, fg::CompareOp op,
                     ValueRange args) {
    StringRef p = op.getPredicate();
    Type elt = args[0].getType();
    Value cond;
    if (isFloat(args[0])) {
      // Ordered predicates: NaN compares false except under ne.
      auto predicate = llvm::StringSwitch<arith::CmpFPredicate>(p)
                           .Case("eq", arith::CmpFPredicate::OEQ)
                           .Case("ne", arith::CmpFPredicate::UNE)
                           .Case("lt", arith::CmpFPredicate::OLT)
                           .Case("le", arith::CmpFPredicate::OLE)
                           .Case("gt", arith::CmpFPredicate::OGT)
                           .Default(arith::CmpFPredicate::OGE);
      cond = arith::CmpFOp::create(b, loc, predicate, args[0], args[1]);
    } else {
      // i64 compares signed, i1 unsigned (false < true).
      bool u = isBool(args[0]);
      using P = arith::CmpIPredicate;
      auto predicate = llvm::StringSwitch<P>(p)
                           .Case("eq", P::eq)
                           .Case("ne", P::ne)
                           .Case("lt", u ? P::ult : P::slt)
                           .Case("le", u ? P::ule : P::sle)
                           .Case("gt", u ? P::ugt : P::sgt)
                           .Default(u ? P::uge : P::sge);
      cond = arith::CmpIOp::create(b, loc, predicate, args[0], args[1]);
    }
    if (isBool(args[0]))
      return cond;
    return arith::SelectOp::create(b, loc, cond, scalar(b, loc, elt, 1.0),
                                   scalar(b, loc, elt, 0.0));
  }
};

struct StopGradientLowering : OpConversionPattern<fg::StopGradientOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::StopGradientOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct BroadcastToLowering : OpConversionPattern<fg::BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(fg::BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       broadcastTo(rewriter, op.getLoc(), adaptor.getInput(),
                                   op.getType().getShape()));
    return success();
  }
};

struct CastLowering : ElementwiseLowering<fg::CastOp, CastLowering> {
  using ElementwiseLowering::ElementwiseLowering;
  static Value build(OpBuilder &b, Location loc, fg::CastOp op,
                     ValueRange args) {
    Value x = args[0];
    Type from = x.getType();
    Type to = cast<RankedTensorType>(op.getType()).getElementType();
    if (from == to)
      return x;
    bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
    if (to.isInteger(1))
      return fromFloat
                 ? Value(arith::CmpFOp::create(b, loc,
                                               arith::CmpFPredicate::UNE, x,
                                               scalar(b, loc, from, 0.0)))
                 : Value(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                               x, scalar(b, loc, from, 0)));
    if (from.isInteger(1))
      return toFloat ? Value(arith::UIToFPOp::create(b, loc, to, x))
                     : Value(arith::ExtUIOp::create(b, loc, to, x));
    if (fromFloat && toFloat)
      return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
                 ? Value(arith::ExtFOp::create(b, loc, to, x))
                 : Value(arith::TruncFOp::create(b, loc, to, x));
    if (fromFloat)
      return arith::FPToSIOp::create(b, loc, to, x);
    return arith::SIToFPOp::create(b, loc, to, x);
  }
};

} // namespace

void fgc::lowering::populateElementwisePatterns(RewritePatternSet &patterns) {
  patterns
      .add<ConstantLowering, ShapeLowering, AddLowering, SubLowering,
           MulLowering, DivLowering, PowLowering, MaxLowering, MinLowering,
           NegLowering, AbsLowering, ExpLowering, LogLowering, SqrtLowering,
           ErfLowering, TanhLowering, ReluLowering, SigmoidLowering,
           LeakyReluLowering, CastLowering, CompareLowering, SelectLowering,
           StopGradientLowering, BroadcastToLowering, SinLowering, CosLowering,
           TanLowering, AsinLowering, AcosLowering, AtanLowering, SinhLowering,
           CoshLowering, AsinhLowering, AcoshLowering, AtanhLowering,
           FloorLowering, CeilLowering, RoundLowering>(patterns.getContext());
}
