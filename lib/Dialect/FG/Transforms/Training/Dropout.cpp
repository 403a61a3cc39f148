//===- Dropout.cpp - Dropout as it trains ---------------------------------===//
//
// fg.dropout is the identity wherever fgc evaluates a network. In
// @train_step, with dropout=train, each one drops: x * mask / (1 - ratio),
// mask = 1 where a standard normal number of its own stream (seed, step,
// site) is below the (1 - ratio) quantile, i.e. with probability
// 1 - ratio. The mask is a value like any other in the step, so the primal
// and the tangent sweeps and the pullbacks all see the same one, and a
// step replays exactly from (seed, step).
//
//===----------------------------------------------------------------------===//

#include "StepState.h"

#include <cmath>

using namespace mlir;

namespace fgc::fg::training {

namespace {

/// The p-quantile of the standard normal distribution, by bisection on
/// Phi(x) = erfc(-x / sqrt(2)) / 2 (to double precision; p in (0, 1)).
double normalQuantile(double p) {
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 200 && lo < hi; ++i) {
    double mid = 0.5 * (lo + hi);
    if (mid == lo || mid == hi)
      break;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// x * mask / (1 - ratio), built before `op`.
Value drop(StepState &s, DropoutOp op, int64_t site) {
  Emitter e{s.b, op.getLoc()};
  Value x = op.getInput();
  double keep = 1.0 - op.getRatio().convertToDouble();
  Value u = RandomNormalOp::create(s.b, op.getLoc(), typeOf(x), s.seed, s.step,
                                   kDropoutSiteBase + site);
  Value kept = CompareOp::create(s.b, op.getLoc(), u,
                                 e.scalar(eltOf(x), normalQuantile(keep)),
                                 s.b.getStringAttr("lt"));
  return e.mul(x, e.mul(kept, 1.0 / keep));
}

} // namespace

void applyDropout(StepState &s, DropoutMode mode) {
  SmallVector<Operation *> ops;
  ops.reserve(s.ops.size());
  int64_t site = 0;
  for (Operation *op : s.ops) {
    auto dropout = dyn_cast<DropoutOp>(op);
    if (!dropout) {
      ops.push_back(op);
      continue;
    }
    Value old = dropout.getResult();
    Value y = dropout.getInput();
    SmallVector<Operation *> made;
    if (mode == DropoutMode::Train) {
      OpBuilder::InsertionGuard guard(s.b);
      s.b.setInsertionPoint(dropout);
      made = s.madeBefore(dropout, [&] { y = drop(s, dropout, site++); });
      llvm::append_range(ops, made);
    }
    s.replaced(dropout, made, old, y);
    old.replaceAllUsesWith(y);
    dropout.erase();
  }
  s.ops = std::move(ops);
}

} // namespace fgc::fg::training
