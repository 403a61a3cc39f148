//===- EvalStep.cpp - @eval_step ------------------------------------------===//
//
// The evaluation function trainers call on test batches: @forward followed
// by the per-example cross-entropy and correctness, so that a trainer can
// count the real examples of a padded last batch.
//
//===----------------------------------------------------------------------===//

#include "Steps.h"

#include "fgc/Dialect/FG/IR/FGAttributes.h"
#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Runtime/TrainerABI.h"

using namespace mlir;

namespace fgc::fg::training {

/// 1/0 per example: whether the argmax of `logits` [N, K] is the label.
Value correctness(OpBuilder &b, Location loc, Value logits, Value labels) {
  RankedTensorType lt = typeOf(logits);
  auto type = RankedTensorType::get({lt.getDimSize(0)}, lt.getElementType());
  Value predicted = CastOp::create(
      b, loc, type, ArgMaxOp::create(b, loc, logits, b.getI64IntegerAttr(1)));
  Value truth = CastOp::create(b, loc, type, labels);
  return CompareOp::create(b, loc, predicted, truth, b.getStringAttr("eq"));
}

LogicalResult buildEvalStep(ModuleOp module, func::FuncOp forward) {
  MLIRContext *ctx = module.getContext();
  OpBuilder top(module.getBodyRegion());
  top.setInsertionPointToEnd(module.getBody());
  auto eval = cast<func::FuncOp>(top.clone(*forward));
  eval.setName(rt::abi::kEvalStep);
  Block &body = eval.front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() != 1)
    return forward.emitError("eval_step: @forward must return the logits only");
  Value logits = ret.getOperand(0);
  auto lt = typeOf(logits);
  int64_t n = lt.getDimSize(0);
  unsigned index = eval.getNumArguments();
  if (failed(eval.insertArgument(
          index, RankedTensorType::get({n}, IntegerType::get(ctx, 64)), {},
          eval.getLoc())))
    return failure();
  setArgName(eval, index, rt::abi::kLabels);
  Value labels = body.getArgument(index);
  OpBuilder b(ret);
  Location loc = ret.getLoc();
  Value ce = CrossEntropyOp::create(b, loc, logits, labels);
  // Per example, so that a trainer can count the real examples of a padded
  // last batch.
  Value correct = correctness(b, loc, logits, labels);
  SmallVector<Value> results = {ce, correct};
  func::ReturnOp::create(b, loc, results);
  ret.erase();
  SmallVector<Type> types = {results[0].getType(), results[1].getType()};
  eval.setFunctionType(
      FunctionType::get(ctx, eval.getFunctionType().getInputs(), types));
  // The result attributes of @forward's single result are replaced whole.
  auto named = [&](StringRef name) {
    return DictionaryAttr::get(ctx, {nameEntry(ctx, name)});
  };
  eval.setAllResultAttrs(
      ArrayRef<Attribute>{named(rt::abi::kLoss), named(rt::abi::kCorrect)});
  return success();
}

} // namespace fgc::fg::training
