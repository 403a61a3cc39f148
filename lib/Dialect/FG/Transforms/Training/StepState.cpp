//===- StepState.cpp - Helpers shared by the stages of fg-train-step ------===//

#include "StepState.h"

using namespace mlir;

namespace fgc::fg::training {

void Signature::addNamed(Type type, StringRef name) {
  add(type, FGDialect::NameAttrHelper::getNameStr(), name);
}

void Signature::addParam(Type type, StringRef param) {
  add(type, FGDialect::ParamAttrHelper::getNameStr(), param);
}

void Signature::add(Type type, StringRef key, StringRef value) {
  types.push_back(type);
  SmallVector<NamedAttribute> a = {
      NamedAttribute(StringAttr::get(ctx, key), StringAttr::get(ctx, value)),
      NamedAttribute(StringAttr::get(ctx, "bufferization.writable"),
                     BoolAttr::get(ctx, false))};
  attrs.push_back(DictionaryAttr::get(ctx, a));
}

RankedTensorType StepState::withK(RankedTensorType t) const {
  SmallVector<int64_t> shape;
  if (batched())
    shape.push_back(k);
  llvm::append_range(shape, t.getShape());
  return RankedTensorType::get(shape, t.getElementType());
}

Value StepState::meanOverK(Value v) {
  return batched() ? e.mul(e.sum(v, {0}), 1.0 / static_cast<double>(k)) : v;
}

Value StepState::scoreOf(const Located &l) {
  if (l.head < 0)
    return Value();
  Operation *loss =
      plan.local ? heads[l.head].getOperation() : readoutLoss.getOperation();
  Value t = sweep.tangent.lookup(loss->getResult(0));
  return t ? e.mul(t, 1.0 / static_cast<double>(n)) : Value();
}

namespace {

/// `op` replaced by `with` in a layer's op lists, and `from` by `to`.
void replaceIn(LinearLayer &layer, Operation *op, ArrayRef<Operation *> with,
               Value from, Value to) {
  auto *it = llvm::find(layer.chain, op);
  if (it != layer.chain.end()) {
    size_t at = it - layer.chain.begin();
    layer.chain.erase(it);
    layer.chain.insert(layer.chain.begin() + at, with.begin(), with.end());
  }
  for (Value *v : {&layer.z, &layer.skip, &layer.output})
    if (*v == from)
      *v = to;
}

} // namespace

SmallVector<Operation *> StepState::madeBefore(Operation *op,
                                               function_ref<void()> build) {
  Operation *before = op->getPrevNode();
  build();
  SmallVector<Operation *> made;
  for (Operation *o = before ? before->getNextNode() : &op->getBlock()->front();
       o != op; o = o->getNextNode())
    made.push_back(o);
  return made;
}

void StepState::replaced(Operation *op, ArrayRef<Operation *> with, Value from,
                         Value to) {
  for (LinearLayer &layer : layers)
    replaceIn(layer, op, with, from, to);
  replaceIn(readoutLayer, op, with, from, to);
  if (logits == from)
    logits = to;
}

void StepState::addGrad(const std::string &name, Value g) {
  Value &slot = grads[name];
  slot = slot ? e.add(slot, g) : g;
}

LogicalResult StepState::pullBack(ArrayRef<Operation *> through, Value root,
                                  Value rootCot) {
  DenseSet<Value> targets;
  for (Operation *op : through)
    for (Value v : op->getOperands())
      if (paramOf.count(v))
        targets.insert(v);
  DenseMap<Value, Value> cot;
  cot[root] = rootCot;
  if (failed(propagateCotangents(b, through, targets, cot, &sweep.replacedBy)))
    return failure();
  for (Value v : targets)
    if (Value c = cot.lookup(v))
      addGrad(paramOf.lookup(v), c);
  return success();
}

Located StepState::locate(Value from) {
  Located l;
  if (plan.local) {
    SmallVector<Value> inputs;
    for (LocalLossOpInterface h : heads)
      inputs.push_back(h.getInput());
    auto t = trackAxesToAny(from, inputs, &statistics);
    if (succeeded(t)) {
      l.head = t->first;
      l.labels = std::move(t->second);
    }
    return l;
  }
  FailureOr<SmallVector<AxisOrigin>> t = trackAxes(from, logits, &statistics);
  if (succeeded(t)) {
    l.head = 0;
    l.labels = *t;
  }
  return l;
}

} // namespace fgc::fg::training
