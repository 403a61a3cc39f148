//===- Steps.h - What fg-train-step builds besides @train_step --*- C++ -*-===//

#ifndef FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_STEPS_H
#define FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_STEPS_H

#include "fgc/Dialect/FG/Transforms/TrainingEnums.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace fgc::fg::training {

/// 1/0 per example: whether the argmax of `logits` [N, K] is the label.
mlir::Value correctness(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value logits, mlir::Value labels);

/// @eval_step(model params..., inputs..., labels) -> (loss, correct), per
/// example, from @forward.
mlir::LogicalResult buildEvalStep(mlir::ModuleOp module,
                                  mlir::func::FuncOp forward);

/// @learning_rate(step, total, warmup, base) -> lr: `schedule` (spec §5.1)
/// on rank-0 tensors.
void buildLearningRate(mlir::ModuleOp module, Schedule schedule);

} // namespace fgc::fg::training

#endif // FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_STEPS_H
