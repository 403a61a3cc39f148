//===- Schedules.cpp - @learning_rate -------------------------------------===//
//
// The learning-rate schedules of spec §5.1 as a compiled function, so that
// the trainer evaluates exactly what the options chose without knowing the
// formulas: constant, linear decay, warm-up + cosine, staircase.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "fgc/Dialect/FG/IR/FGAttributes.h"
#include "fgc/Runtime/TrainerABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace fgc::fg::training {

/// @learning_rate(step, total, warmup, base) -> lr, the schedule of spec
/// §5.1 on rank-0 tensors.
void buildLearningRate(ModuleOp module, Schedule schedule) {
  MLIRContext *ctx = module.getContext();
  OpBuilder top(module.getBodyRegion());
  top.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();
  Type f32 = Float32Type::get(ctx), i64 = IntegerType::get(ctx, 64);
  auto ti = RankedTensorType::get({}, i64), tf = RankedTensorType::get({}, f32);
  auto func =
      func::FuncOp::create(top, loc, rt::abi::kLearningRate,
                           FunctionType::get(ctx, {ti, ti, ti, tf}, {tf}));
  const char *names[] = {rt::abi::kStep, rt::abi::kTotal, rt::abi::kWarmup,
                         rt::abi::kBase};
  for (unsigned i = 0; i < 4; ++i)
    setArgName(func, i, names[i]);
  setResultName(func, 0, rt::abi::kLr);
  FGDialect::get(ctx)->getScheduleAttrHelper().setAttr(
      func, StringAttr::get(ctx, stringifySchedule(schedule)));
  Block *body = func.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(body);
  auto get = [&](unsigned i) -> Value {
    return tensor::ExtractOp::create(b, loc, body->getArgument(i),
                                     ValueRange{});
  };
  auto c = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  auto toF = [&](Value v) -> Value {
    return arith::SIToFPOp::create(b, loc, f32, v);
  };
  Value step = toF(get(0)), total = toF(get(1)), warmup = toF(get(2));
  Value base = get(3);
  Value one = c(1.0), zero = c(0.0);
  auto maxf = [&](Value x, Value y) -> Value {
    return arith::MaximumFOp::create(b, loc, x, y);
  };
  Value lr = base;
  if (schedule == Schedule::Linear) {
    Value frac = arith::DivFOp::create(b, loc, step, maxf(total, one));
    lr = arith::MulFOp::create(
        b, loc, base, maxf(arith::SubFOp::create(b, loc, one, frac), zero));
  } else if (schedule == Schedule::Staircase) {
    auto drop = [&](double at) -> Value {
      Value past =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, step,
                                arith::MulFOp::create(b, loc, total, c(at)));
      return arith::SelectOp::create(b, loc, past, c(0.1), one);
    };
    lr = arith::MulFOp::create(
        b, loc, base, arith::MulFOp::create(b, loc, drop(0.5), drop(0.8)));
  } else if (schedule == Schedule::WarmupCosine) {
    Value warm = arith::DivFOp::create(
        b, loc, arith::MulFOp::create(b, loc, base, step), maxf(warmup, one));
    Value progress = arith::DivFOp::create(
        b, loc, arith::SubFOp::create(b, loc, step, warmup),
        maxf(arith::SubFOp::create(b, loc, total, warmup), one));
    progress = arith::MinimumFOp::create(b, loc, maxf(progress, zero), one);
    Value cosv = math::CosOp::create(
        b, loc, arith::MulFOp::create(b, loc, progress, c(3.14159265358979)));
    Value cosine = arith::MulFOp::create(
        b, loc, base,
        arith::MulFOp::create(b, loc, c(0.5),
                              arith::AddFOp::create(b, loc, one, cosv)));
    Value inWarmup =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, step, warmup);
    lr = arith::SelectOp::create(b, loc, inWarmup, warm, cosine);
  }
  Value out = tensor::FromElementsOp::create(b, loc, tf, ValueRange{lr});
  func::ReturnOp::create(b, loc, out);
}

} // namespace fgc::fg::training
