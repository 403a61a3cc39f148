//===- WeightPerturbation.cpp - FG-W and LG-FG-W --------------------------===//
//
// Spec §1.2, §2.5: each backbone parameter gets one direction v ~ N(0, 1)
// shared by the batch; the forward sweep gives the tangent J of the loss its
// layer reaches, and the estimate is (sum of J) v. With local losses split
// into channel groups, each group's slice of a parameter is scaled by its
// own group's J (found by mapping the group axis of the loss back onto the
// parameter's axes); slices shared by all groups by the sum over groups.
//
//===----------------------------------------------------------------------===//

#include "GradientEstimator.h"

#include "llvm/ADT/SmallSet.h"

using namespace mlir;

namespace fgc::fg::training {

namespace {

/// For a parameter `param` read by `user`, the axis of `user`'s result that
/// parameter axis `axis` indexes, or -1. A weight view (transpose) forwards
/// the question to the linear op that reads it.
int64_t resultAxisOf(Operation *user, Value param, int64_t axis) {
  if (auto linear = dyn_cast<LinearOpInterface>(user))
    return linear.getResultAxis(param, axis);
  if (isa<TransposeOp, ReshapeOp>(user)) {
    auto t = dyn_cast<TransposeOp>(user);
    if (!t || !user->getResult(0).hasOneUse())
      return -1;
    int64_t at = llvm::find(t.getPerm(), axis) - t.getPerm().begin();
    Operation *next = *user->getResult(0).getUsers().begin();
    return resultAxisOf(next, user->getResult(0), at);
  }
  // Broadcasting ops (bias add, affine of a norm): right-aligned.
  int64_t rank = shapeOf(param).size();
  int64_t outRank = shapeOf(user->getResult(0)).size();
  return outRank - rank + axis;
}

class WeightPerturbation : public GradientEstimator {
public:
  bool perturbs() const override { return true; }

  void declareTangents(const Plan &plan, const StepState &s,
                       ArrayRef<PerturbOp> localSites,
                       Signature &signature) const override {
    for (const Trained &t : plan.trained)
      if (t.role == Role::Backbone)
        signature.addNamed(s.withK(plan.paramType.lookup(t.name)),
                           t.name + rt::abi::kTangentSuffix);
  }

  void addDirections(StepState &s, bool explicitTangents) override {
    int64_t j = 0;
    for (const Trained &t : s.plan.trained) {
      if (t.role != Role::Backbone)
        continue;
      Value v;
      if (explicitTangents)
        v = s.body->getArgument(s.nextTangent++);
      else
        v = RandomNormalOp::create(s.b, s.loc,
                                   s.withK(s.plan.paramType.lookup(t.name)),
                                   s.seed, s.step, kWeightSiteBase + j);
      s.paramTangent[t.name] = v;
      ++j;
    }
  }

  LogicalResult addGradients(StepState &s) override {
    // Each backbone parameter, once per loss its layers reach: a parameter
    // that layers of several blocks share (tied weights, or equal values the
    // exporter stored once) moves all their losses.
    llvm::StringMap<llvm::SmallSet<int64_t, 4>> counted;
    for (auto [i, p] : llvm::enumerate(s.sites)) {
      const LinearLayer &layer = s.layers[i];
      for (Operation *user : layer.ops())
        for (Value operand : user->getOperands()) {
          std::string name = s.paramOf.lookup(operand);
          Value v = s.paramTangent.lookup(name);
          if (name.empty() || !v)
            continue;
          const Located &located = s.userLoss[user];
          if (!counted[name].insert(located.head).second)
            continue;
          const SmallVector<AxisOrigin> &labels = located.labels;
          Value j = s.scoreOf(located);
          if (!j)
            return user->emitOpError("reaches no loss: parameter '")
                   << name << "' cannot be trained";
          ArrayRef<int64_t> ps = shapeOf(operand);
          SmallVector<int64_t> vShape(shapeOf(v));
          Value update;
          int64_t jr = shapeOf(j).size() - s.kOffset();
          // total: the score summed over everything but K and the groups.
          int64_t groupAxis = -1, parts = 0;
          if (s.plan.local && shapeOf(j)[s.kOffset() + 2] > 1) {
            AxisOrigin o = labels[2];
            for (int64_t a = 0;
                 a < static_cast<int64_t>(ps.size()) && o.axis >= 0; ++a)
              if (resultAxisOf(user, operand, a) == o.axis) {
                if (o.parts == 0 && ps[a] == shapeOf(j)[s.kOffset() + 2])
                  groupAxis = a;
                else if (o.parts == shapeOf(j)[s.kOffset() + 2] &&
                         ps[a] % o.parts == 0) {
                  groupAxis = a;
                  parts = o.parts;
                }
              }
          }
          SmallVector<int64_t> all;
          for (int64_t a = s.kOffset(); a < s.kOffset() + jr; ++a)
            if (!(groupAxis >= 0 && a == s.kOffset() + 2))
              all.push_back(a);
          Value total = s.e.sum(j, all); // [K?] or [K?, G]
          int64_t g = groupAxis >= 0 ? shapeOf(j)[s.kOffset() + 2] : 1;
          if (groupAxis < 0) {
            SmallVector<int64_t> shape(vShape.size(), 1);
            if (s.batched())
              shape[0] = s.k;
            update = s.e.mul(v, s.e.reshape(total, shape));
          } else {
            SmallVector<int64_t> split, sShape;
            if (s.batched()) {
              split.push_back(s.k);
              sShape.push_back(s.k);
            }
            for (int64_t a = 0; a < static_cast<int64_t>(ps.size()); ++a) {
              if (a != groupAxis) {
                split.push_back(ps[a]);
                sShape.push_back(1);
              } else if (parts == 0) {
                split.push_back(g);
                sShape.push_back(g);
              } else {
                split.append({g, ps[a] / g});
                sShape.append({g, 1});
              }
            }
            update = s.e.reshape(
                s.e.mul(s.e.reshape(v, split), s.e.reshape(total, sShape)),
                vShape);
          }
          s.addGrad(name, s.meanOverK(update));
        }
    }
    return success();
  }
};

} // namespace

std::unique_ptr<GradientEstimator> createWeightPerturbation() {
  return std::make_unique<WeightPerturbation>();
}

} // namespace fgc::fg::training
