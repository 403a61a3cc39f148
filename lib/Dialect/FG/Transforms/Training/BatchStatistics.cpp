//===- BatchStatistics.cpp - Batch normalisation as it trains -------------===//
//
// @local_losses computes fg.batch_norm with its running statistics, as
// inference does. In @train_step a batch normalisation whose running mean
// and variance are parameters normalises with the statistics of the batch
// instead (spec of fg.batch_norm), written as the fg ops it is made of: the
// tangent sweep then carries the JVP of the batch-statistics function and
// the reverse-mode pullbacks to the layer's weights go through the
// statistics. The statistics are recorded in the step state so that the
// activity estimate maps a loss back through them per example and
// position, as through fg.batch_norm (StepState::locate): scoring each
// direction with the whole batch's J instead multiplies the variance by the
// batch and the positions. The running statistics are state, not trained:
// updated as ONNX does and returned in place of the parameters.
//
//===----------------------------------------------------------------------===//

#include "StepState.h"

using namespace mlir;

namespace fgc::fg::training {

namespace {

/// The batch's statistics of `x` [N, C, ...] over every axis but C, kept as
/// [1, C, 1, ...]: the mean and the population variance.
struct Statistics {
  Value mean, var;
};

/// `bn` written with the statistics of its input, before it: the
/// normalised value and the statistics.
Value normaliseWithBatch(Emitter &e, BatchNormOp bn, Statistics &stats) {
  Value x = bn.getInput();
  ArrayRef<int64_t> shape = shapeOf(x);
  Type elt = eltOf(x);
  SmallVector<int64_t> axes, channel(shape.size(), 1);
  for (int64_t a = 0, r = shape.size(); a < r; ++a)
    if (a != 1)
      axes.push_back(a);
  channel[1] = shape[1];
  stats.mean = e.mean(x, axes, /*keep=*/true);
  Value centered = e.sub(x, stats.mean);
  stats.var = e.mean(e.mul(centered, centered), axes, /*keep=*/true);
  Value sigma = SqrtOp::create(
      e.b, e.loc,
      e.add(stats.var, e.scalar(elt, bn.getEpsilon().convertToDouble())));
  Value y = e.div(centered, sigma);
  return e.add(e.mul(y, e.reshape(bn.getScale(), channel)),
               e.reshape(bn.getBias(), channel));
}

/// momentum * running + (1 - momentum) * batch, as ONNX updates them.
Value updateRunning(Emitter &e, double momentum, Value running, Value batch) {
  return e.add(e.mul(running, momentum),
               e.mul(e.reshape(batch, shapeOf(running)), 1.0 - momentum));
}

} // namespace

void useBatchStatistics(StepState &s) {
  SmallVector<Operation *> ops;
  ops.reserve(s.ops.size());
  for (Operation *op : s.ops) {
    auto bn = dyn_cast<BatchNormOp>(op);
    std::string mean = bn ? s.paramOf.lookup(bn.getMean()) : std::string();
    std::string var = bn ? s.paramOf.lookup(bn.getVar()) : std::string();
    if (!bn || mean.empty() || var.empty()) {
      ops.push_back(op);
      continue;
    }
    OpBuilder::InsertionGuard guard(s.b);
    s.b.setInsertionPoint(bn);
    Emitter e{s.b, bn.getLoc()};
    Statistics stats;
    Value y;
    SmallVector<Operation *> made =
        s.madeBefore(bn, [&] { y = normaliseWithBatch(e, bn, stats); });
    llvm::append_range(ops, made);
    // The running statistics' updates are not part of the normalised value.
    double momentum = bn.getMomentum().convertToDouble();
    s.stateUpdates[mean] = updateRunning(e, momentum, bn.getMean(), stats.mean);
    s.stateUpdates[var] = updateRunning(e, momentum, bn.getVar(), stats.var);
    s.statistics.insert(stats.mean);
    s.statistics.insert(stats.var);
    Value old = bn.getResult();
    s.replaced(bn, made, old, y);
    old.replaceAllUsesWith(y);
    bn.erase();
  }
  s.ops = std::move(ops);
}

} // namespace fgc::fg::training
