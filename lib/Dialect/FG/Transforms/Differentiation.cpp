//===- Differentiation.cpp - Forward and reverse sweeps -------------------===//

#include "fgc/Dialect/FG/Transforms/Differentiation.h"

#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/IR/JvpBuilder.h"

using namespace mlir;

namespace fgc::fg {

LogicalResult
propagateTangents(ArrayRef<Operation *> ops, int64_t k, TangentSweep &sweep,
                  function_ref<Value(OpBuilder &, Operation *, Value)> extra) {
  if (ops.empty())
    return success();
  OpBuilder b(ops.front()->getContext());
  for (Operation *op : ops) {
    SmallVector<Value> operandTangents;
    bool active = false;
    for (Value v : op->getOperands()) {
      operandTangents.push_back(sweep.tangent.lookup(v));
      active |= operandTangents.back() != nullptr;
    }
    if (!active) {
      if (extra && op->getNumResults() == 1) {
        b.setInsertionPointAfter(op);
        if (Value t = extra(b, op, nullptr))
          sweep.tangent[op->getResult(0)] = t;
      }
      continue;
    }
    auto rule = dyn_cast<JvpOpInterface>(op);
    if (!rule)
      return op->emitOpError("has no forward-mode derivative rule "
                             "(JvpOpInterface); cannot differentiate "
                             "through it");
    b.setInsertionPointAfter(op);
    JvpBuilder jb(b, op, operandTangents, k);
    SmallVector<Value> results;
    if (failed(rule.buildJvp(jb, results)))
      return failure();
    if (results.size() != op->getNumResults())
      return op->emitOpError("JVP rule returned ")
             << results.size() << " tangents for " << op->getNumResults()
             << " results";
    for (auto [result, t] : llvm::zip(op->getResults(), results)) {
      if (t) {
        RankedTensorType want = jb.tangentType(result.getType());
        if (t.getType() != want) {
          auto have = cast<RankedTensorType>(t.getType());
          auto shape = broadcastShapes(have.getShape(), want.getShape());
          if (failed(shape) || ArrayRef(*shape) != want.getShape() ||
              have.getElementType() != want.getElementType())
            return op->emitOpError("JVP rule produced a tangent of type ")
                   << have << " for a result of type " << result.getType();
          t = BroadcastToOp::create(b, op->getLoc(), want, t);
        }
      }
      if (extra && op->getNumResults() == 1)
        t = extra(b, op, t);
      if (t)
        sweep.tangent[result] = t;
    }
    for (auto [old, replacement] : jb.replacements) {
      old.replaceAllUsesWith(replacement);
      sweep.tangent[replacement] = sweep.tangent.lookup(old);
      sweep.replacedBy[old] = replacement;
      sweep.dead.push_back(op);
    }
  }
  return success();
}

void eraseDead(TangentSweep &sweep) {
  for (Operation *op : llvm::reverse(sweep.dead))
    if (op->use_empty())
      op->erase();
  sweep.dead.clear();
}

LogicalResult propagateCotangents(OpBuilder &b, ArrayRef<Operation *> ops,
                                  const DenseSet<Value> &targets,
                                  DenseMap<Value, Value> &cot,
                                  const DenseMap<Value, Value> *replacedBy) {
  auto replacement = [&](Value v) {
    return replacedBy ? replacedBy->lookup(v) : Value();
  };
  // Values on a path from a target: forward reachability within `ops`.
  DenseSet<Value> active(targets.begin(), targets.end());
  for (Operation *op : ops) {
    bool any = llvm::any_of(op->getOperands(),
                            [&](Value v) { return active.contains(v); });
    if (!any || isa<StopGradientOp>(op))
      continue;
    for (Value r : op->getResults()) {
      active.insert(r);
      if (Value n = replacement(r))
        active.insert(n);
    }
  }
  auto accumulate = [&](Value v, Value c) {
    Value &slot = cot[v];
    slot = slot ? AddOp::create(b, v.getLoc(), slot, c).getResult() : c;
  };
  for (Operation *op : llvm::reverse(ops)) {
    if (op->getNumResults() != 1 || !active.contains(op->getResult(0)))
      continue;
    Value result = op->getResult(0);
    Value c = cot.lookup(result);
    if (Value n = replacement(result))
      if (Value cn = cot.lookup(n))
        c = c ? AddOp::create(b, op->getLoc(), c, cn).getResult() : cn;
    if (!c)
      continue;
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      Value operand = op->getOperand(i);
      if (!active.contains(operand))
        continue;
      auto rule = dyn_cast<VjpOpInterface>(op);
      if (!rule)
        return op->emitOpError("has no reverse-mode derivative rule "
                               "(VjpOpInterface); cannot pull a gradient "
                               "back through it");
      FailureOr<Value> d = rule.buildVjp(b, i, c);
      if (failed(d))
        return failure();
      if (*d)
        accumulate(operand, *d);
    }
  }
  return success();
}

} // namespace fgc::fg
