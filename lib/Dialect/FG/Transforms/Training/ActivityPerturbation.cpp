//===- ActivityPerturbation.cpp - FG-A and LG-FG-A ------------------------===//
//
// Spec §1.3, §2.5: each perturbation point z gets a per-example direction
// u ~ N(0, 1) (fg.random_normal keyed by seed, step and site); the forward
// sweep gives the tangent J of the loss z reaches (its block's local loss,
// or the final loss for FG-A). The estimate of dL/dz is J u, with J mapped
// back onto the axes of z that every path to the loss preserves (the batch,
// and the group and patch axes of a local loss: the spatial-loss estimate
// of the spec) and summed over the others (tokens that attention mixes),
// masked by the ReLU after z; it is pulled back to the layer's weights
// through the exact VJP of the ops between the layer and z.
//
//===----------------------------------------------------------------------===//

#include "GradientEstimator.h"

using namespace mlir;

namespace fgc::fg::training {

namespace {

class ActivityPerturbation : public GradientEstimator {
public:
  bool perturbs() const override { return true; }

  void declareTangents(const Plan &plan, const StepState &s,
                       ArrayRef<PerturbOp> localSites,
                       Signature &signature) const override {
    for (PerturbOp p : localSites) {
      FailureOr<LinearLayer> layer = layerAt(p.getInput());
      signature.addNamed(s.withK(typeOf(p.getInput())),
                         (succeeded(layer)
                              ? layer->name
                              : "site" + std::to_string(p.getSite())) +
                             ".z.tangent");
    }
  }

  void addDirections(StepState &s, bool explicitTangents) override {
    Block *body = s.body;
    for (PerturbOp p : s.sites) {
      Value u;
      if (explicitTangents)
        u = body->getArgument(s.nextTangent++);
      else
        u = RandomNormalOp::create(s.b, p.getLoc(),
                                   s.withK(typeOf(p.getInput())), s.seed,
                                   s.step, p.getSite());
      s.siteTangent[p] = u;
    }
  }

  LogicalResult addGradients(StepState &s) override {
    for (auto [i, p] : llvm::enumerate(s.sites)) {
      const LinearLayer &layer = s.layers[i];
      Value z = p.getInput();
      ArrayRef<int64_t> zs = shapeOf(z);
      Value j = s.scoreOf(s.siteLoss[i]);
      if (!j)
        return p.emitOpError("reaches no loss: its layer '")
               << layer.name << "' cannot be trained";
      // J axes (after K) correspond to target axes 0..; map them to z axes.
      // An axis that merges several axes of z (the patches H x W of an NCHW
      // block output) is first split back into them, so that each maps: the
      // spatial-loss estimate of a convolution.
      SmallVector<AxisOrigin> labels;
      SmallVector<int64_t> split(shapeOf(j).take_front(s.kOffset()));
      for (int64_t a = 0, e = rankOf(j) - s.kOffset(); a < e; ++a) {
        const AxisOrigin &o = s.siteLoss[i].labels[a];
        if (o.merged.empty()) {
          labels.push_back(o);
          split.push_back(shapeOf(j)[a + s.kOffset()]);
          continue;
        }
        for (auto [axis, parts, size] : o.merged) {
          labels.push_back(AxisOrigin{axis, parts, {}});
          split.push_back(size);
        }
      }
      if (split != SmallVector<int64_t>(shapeOf(j)))
        j = s.e.reshape(j, split);
      ArrayRef<int64_t> js = shapeOf(j);
      int64_t jr = js.size() - s.kOffset();
      SmallVector<int64_t> sumAxes;
      SmallVector<std::pair<int64_t, AxisOrigin>> kept; // (J axis, origin)
      for (int64_t a = 0; a < jr; ++a) {
        int64_t dim = js[a + s.kOffset()];
        AxisOrigin o = labels[a];
        if (dim == 1)
          continue;
        if (o.axis < 0 || (o.parts == 0 && zs[o.axis] != dim) ||
            (o.parts > 0 && o.parts != dim)) {
          sumAxes.push_back(a + s.kOffset());
          continue;
        }
        kept.push_back({a + s.kOffset(), o});
      }
      if (!sumAxes.empty())
        j = s.e.sum(j, sumAxes, true);
      // Keep only the mapped axes, ordered as the z axes they map to.
      llvm::sort(
          kept, [](auto &x, auto &y) { return x.second.axis < y.second.axis; });
      SmallVector<int64_t> perm, squeezed;
      if (s.batched()) {
        perm.push_back(0);
        squeezed.push_back(s.k);
      }
      SmallVector<int64_t> jsNow(shapeOf(j));
      // First drop the size-1 axes (transpose then reshape).
      SmallVector<int64_t> order(perm);
      for (auto &[a, o] : kept)
        order.push_back(a);
      for (int64_t a = s.kOffset(); a < static_cast<int64_t>(jsNow.size()); ++a)
        if (!llvm::is_contained(order, a))
          order.push_back(a);
      j = s.e.transpose(j, order);
      for (auto &[a, o] : kept)
        squeezed.push_back(jsNow[a]);
      j = s.e.reshape(j, squeezed);
      // Expand to z's axes: whole axes keep their size, split axes become
      // (G, 1) broadcast to (G, C/G), others 1.
      SmallVector<int64_t> expanded, broadcastShape;
      if (s.batched()) {
        expanded.push_back(s.k);
        broadcastShape.push_back(s.k);
      }
      for (int64_t a = 0; a < static_cast<int64_t>(zs.size()); ++a) {
        auto it =
            llvm::find_if(kept, [&](auto &x) { return x.second.axis == a; });
        if (it == kept.end()) {
          expanded.push_back(1);
          broadcastShape.push_back(1);
        } else if (it->second.parts == 0) {
          expanded.push_back(zs[a]);
          broadcastShape.push_back(zs[a]);
        } else {
          int64_t g = it->second.parts;
          expanded.append({g, 1});
          broadcastShape.append({g, zs[a] / g});
        }
      }
      j = s.e.reshape(j, expanded);
      j = s.e.broadcast(j, broadcastShape);
      SmallVector<int64_t> merged;
      if (s.batched())
        merged.push_back(s.k);
      for (int64_t a = 0; a < static_cast<int64_t>(zs.size()); ++a) {
        auto it =
            llvm::find_if(kept, [&](auto &x) { return x.second.axis == a; });
        merged.push_back(it == kept.end() ? 1 : zs[a]);
      }
      j = s.e.reshape(j, merged);
      Value g = s.e.mul(j, s.siteTangent.lookup(p));
      g = s.meanOverK(g);
      if (auto relu = dyn_cast_or_null<ReluOp>(layer.activation)) {
        Value mask =
            CompareOp::create(s.b, s.loc, relu.getResult(),
                              s.e.scalar(typeOf(z).getElementType(), 0.0),
                              s.b.getStringAttr("gt"));
        g = s.e.mul(g, mask);
      }
      // Pull back to the layer's parameters.
      if (failed(s.pullBack(layer.ops(), z, g)))
        return failure();
    }
    return success();
  }
};

} // namespace

std::unique_ptr<GradientEstimator> createActivityPerturbation() {
  return std::make_unique<ActivityPerturbation>();
}

} // namespace fgc::fg::training
