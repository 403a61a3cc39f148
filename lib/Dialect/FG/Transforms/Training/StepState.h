//===- StepState.h - @train_step while fg-train-step builds it --*- C++ -*-===//
//
// fg-train-step (TrainStep.cpp) builds @train_step in stages: the signature,
// a clone of @local_losses on the arguments, the directions of every
// gradient estimator, one forward-mode tangent sweep, the estimators'
// gradients, the optimizer's updates and the metrics. StepState is what the
// stages share; the estimators (GradientEstimator.h) and optimizers
// (OptimizerRule.h) read it and add to `grads` and the body.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_STEPSTATE_H
#define FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_STEPSTATE_H

#include "fgc/Dialect/FG/Analysis/Partition.h"
#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/IR/FGOps.h"
#include "fgc/Dialect/FG/Transforms/Differentiation.h"
#include "fgc/Dialect/FG/Transforms/TrainingEnums.h"
#include "fgc/Runtime/TrainerABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace fgc::fg::training {

/// Which rule trains a parameter.
enum class Role { Backbone, Head, Readout };

struct Trained {
  std::string name;
  Role role = Role::Backbone;
  /// Used as the weight of a linear op: gets weight decay.
  bool weight = false;
};

/// What fg-train-step reads off @local_losses (by name, so that it holds in
/// any clone of it).
struct Plan {
  /// Every fg.parameter, in declaration order (model, then local heads).
  mlir::SmallVector<std::string> params;
  llvm::StringMap<mlir::RankedTensorType> paramType;
  /// The parameters some rule trains, in `params` order.
  mlir::SmallVector<Trained> trained;
  /// Local losses (lg-*) rather than the final loss alone.
  bool local = true;
};

/// Rewrites each fg.batch_norm of the clone whose running statistics are
/// parameters to normalise with the batch's statistics (BatchStatistics.cpp),
/// in `s.ops`, the layers and `s.stateUpdates`.
struct StepState;
void useBatchStatistics(StepState &s);

/// The site ids of fg.random_normal streams, apart from each other: the
/// activity-perturbation sites (one per layer) start at 0, then one per
/// backbone parameter (weight perturbation), one per dropout.
constexpr int64_t kWeightSiteBase = 1 << 20;
constexpr int64_t kDropoutSiteBase = 2 << 20;

/// Rewrites each fg.dropout of the clone, in `s.ops` and the layers: into
/// x * mask / (1 - ratio) with a seeded mask under DropoutMode::Train, into
/// its operand otherwise (Dropout.cpp).
void applyDropout(StepState &s, DropoutMode mode);

/// Assigns a role to every parameter @local_losses trains under `algo`.
mlir::FailureOr<Plan> makePlan(mlir::ModuleOp module, mlir::func::FuncOp local,
                               Algorithm algo);

/// The loss a value reaches (a local head's index, or 0 for the readout loss
/// in the global form; -1 for none) and its axes' origins there.
struct Located {
  int64_t head = -1;
  mlir::SmallVector<AxisOrigin> labels;
};

/// FGBuilders.h at one location, with arithmetic spelled short.
struct Emitter {
  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Value scalar(mlir::Type elt, double v) {
    return fgc::fg::scalar(b, loc, elt, v);
  }
  mlir::Value splat(mlir::RankedTensorType t, double v) {
    return fgc::fg::splat(b, loc, t, v);
  }
  mlir::Value add(mlir::Value x, mlir::Value y) {
    return AddOp::create(b, loc, x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) {
    return SubOp::create(b, loc, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) {
    return MulOp::create(b, loc, x, y);
  }
  mlir::Value div(mlir::Value x, mlir::Value y) {
    return DivOp::create(b, loc, x, y);
  }
  mlir::Value mul(mlir::Value x, double c) {
    return mul(x, scalar(eltOf(x), c));
  }
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape) {
    return fgc::fg::reshape(b, loc, v, shape);
  }
  mlir::Value sum(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                  bool keep = false) {
    return reduceSum(b, loc, v, axes, keep);
  }
  mlir::Value mean(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                   bool keep = false) {
    return reduceMean(b, loc, v, axes, keep);
  }
  mlir::Value transpose(mlir::Value v, llvm::ArrayRef<int64_t> perm) {
    return fgc::fg::transpose(b, loc, v, perm);
  }
  mlir::Value broadcast(mlir::Value v, llvm::ArrayRef<int64_t> shape) {
    return broadcastTo(b, loc, v, shape);
  }
};

/// The arguments of @train_step as they are declared.
struct Signature {
  mlir::MLIRContext *ctx = nullptr;
  mlir::SmallVector<mlir::Type> types;
  mlir::SmallVector<mlir::DictionaryAttr> attrs;
  /// Appends an argument called `name` (fg.name); arguments are read-only
  /// for bufferization.
  void addNamed(mlir::Type type, llvm::StringRef name);
  /// Appends the argument that carries parameter `param` (fg.param).
  void addParam(mlir::Type type, llvm::StringRef param);

private:
  void add(mlir::Type type, llvm::StringRef key, llvm::StringRef value);
};

struct StepState {
  StepState(const Plan &plan, Algorithm algo, int64_t k, mlir::OpBuilder &b,
            mlir::Location loc)
      : plan(plan), algo(algo), k(k), b(b), loc(loc), e{b, loc} {}

  const Plan &plan;
  Algorithm algo;
  /// Tangent directions per step; with K > 1 every tangent has a leading
  /// [K] dimension.
  int64_t k;
  mlir::OpBuilder &b;
  mlir::Location loc;
  Emitter e;

  mlir::Block *body = nullptr;
  /// Parameters as arguments of @train_step, both ways.
  llvm::StringMap<mlir::Value> paramArg;
  llvm::DenseMap<mlir::Value, std::string> paramOf;
  /// The clone of @local_losses, in program order.
  mlir::SmallVector<mlir::Operation *> ops;
  mlir::Value step, seed, lr;
  /// Explicit tangent arguments not yet taken (explicit-tangents).
  unsigned nextTangent = 0;

  /// Perturbation points in site order, and the linear layer each follows.
  mlir::SmallVector<PerturbOp> sites;
  std::vector<LinearLayer> layers;
  mlir::SmallVector<LocalLossOpInterface> heads;
  CrossEntropyOp readoutLoss;
  /// The readout classifier (its `op` is null in a model without one).
  LinearLayer readoutLayer;
  mlir::Value logits;
  /// The batch size.
  int64_t n = 0;
  /// The loss each site reaches, and each layer op (and its chain).
  mlir::SmallVector<Located> siteLoss;
  llvm::DenseMap<mlir::Operation *, Located> userLoss;

  /// Directions: at perturbation points (FG-A) and of parameters (FG-W).
  llvm::DenseMap<mlir::Operation *, mlir::Value> siteTangent;
  llvm::StringMap<mlir::Value> paramTangent;
  TangentSweep sweep;

  /// The gradient of each trained parameter, summed over estimators.
  llvm::StringMap<mlir::Value> grads;
  /// The new value of each parameter that is state rather than trained (a
  /// batch normalisation's running statistics).
  llvm::StringMap<mlir::Value> stateUpdates;
  /// The batch statistics of the normalisations that train with them: the
  /// loss maps back through them per example and position (locate).
  StatisticsSet statistics;

  bool batched() const { return k > 1; }
  /// Where the example axes of a tangent start (after the [K] axis).
  int64_t kOffset() const { return batched() ? 1 : 0; }
  /// `t` with the leading [K] dimension when K > 1.
  mlir::RankedTensorType withK(mlir::RankedTensorType t) const;
  /// The mean over the K directions of an estimate with a leading [K].
  mlir::Value meanOverK(mlir::Value v);
  /// Which loss `from` reaches and how its axes map there: the first local
  /// head with a path from it, or the readout's logits in the global form.
  Located locate(mlir::Value from);
  /// The per-example tangent J of the loss `l` reaches (null if none).
  mlir::Value scoreOf(const Located &l);
  /// Runs `build`, which inserts ops right before `op`, and returns the ops
  /// it made there, in program order.
  mlir::SmallVector<mlir::Operation *>
  madeBefore(mlir::Operation *op, llvm::function_ref<void()> build);
  /// Records in the layers and the logits that `op` (one result, `from`)
  /// became the ops `with` (result `to`); the caller updates `ops`.
  void replaced(mlir::Operation *op, llvm::ArrayRef<mlir::Operation *> with,
                mlir::Value from, mlir::Value to);
  /// Adds `g` to the gradient of parameter `name`.
  void addGrad(const std::string &name, mlir::Value g);
  /// Pulls the cotangent `rootCot` of `root` back through `ops` to the
  /// parameters they read, and adds the results to their gradients.
  mlir::LogicalResult pullBack(llvm::ArrayRef<mlir::Operation *> ops,
                               mlir::Value root, mlir::Value rootCot);
};

} // namespace fgc::fg::training

#endif // FGC_LIB_DIALECT_FG_TRANSFORMS_TRAINING_STEPSTATE_H
