//===- LiveMemory.cpp - Bytes a tensor program keeps alive ----------------===//

#include "fgc/Transforms/LiveMemory.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

#include "llvm/ADT/DenseMap.h"

using namespace mlir;

namespace fgc {

namespace {

int64_t bytesOf(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !t.hasStaticShape())
    return 0;
  unsigned bits = t.getElementTypeBitWidth();
  return t.getNumElements() * static_cast<int64_t>((bits + 7) / 8);
}

/// The value whose buffer `v` views, if any: the source of a reshape, cast
/// or slice.
Value viewedOperand(OpResult v) {
  Operation *op = v.getOwner();
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp,
          tensor::ExtractSliceOp, tensor::ReshapeOp>(op))
    return op->getOperand(0);
  return nullptr;
}

} // namespace

LiveMemory estimateLiveMemory(Block &body) {
  // Where each value is used last (the position of the top-level op that
  // holds the use).
  DenseMap<Value, int64_t> lastUseOf;
  int64_t at = 0;
  for (Operation &op : body) {
    op.walk([&](Operation *user) {
      for (Value v : user->getOperands())
        lastUseOf[v] = at;
    });
    ++at;
  }
  // Each tensor value's buffer (an index into `size`); -1: none counted.
  DenseMap<Value, int64_t> bufferOf;
  SmallVector<int64_t> size, lastUse;
  SmallVector<SmallVector<int64_t>> created;
  at = 0;
  for (Operation &op : body) {
    created.emplace_back();
    auto dps = dyn_cast<DestinationStyleOpInterface>(&op);
    for (OpResult r : op.getResults()) {
      if (!isa<RankedTensorType>(r.getType()) || isa<tensor::EmptyOp>(op) ||
          matchPattern(r, m_Constant())) {
        bufferOf[r] = -1;
        continue;
      }
      if (Value source = viewedOperand(r)) {
        auto it = bufferOf.find(source);
        bufferOf[r] = it == bufferOf.end() ? -1 : it->second;
        continue;
      }
      // In place on the init when nothing reads it afterwards and it has a
      // buffer of this body's; else (an empty tensor, an argument the
      // caller keeps, a value still needed) a new buffer.
      if (dps)
        if (OpOperand *init = dps.getTiedOpOperand(r)) {
          auto it = bufferOf.find(init->get());
          if (it != bufferOf.end() && it->second >= 0 &&
              lastUseOf.lookup(init->get()) == at) {
            bufferOf[r] = it->second;
            continue;
          }
        }
      bufferOf[r] = size.size();
      created.back().push_back(size.size());
      size.push_back(bytesOf(r.getType()));
      lastUse.push_back(at);
    }
    ++at;
  }
  // A buffer lives until the last use of any value in it; one a value of
  // which is returned is the caller's.
  for (auto [v, b] : bufferOf)
    if (b >= 0)
      if (auto it = lastUseOf.find(v); it != lastUseOf.end())
        lastUse[b] = std::max(lastUse[b], it->second);
  SmallVector<bool> escapes(size.size(), false);
  if (!body.empty() && body.back().hasTrait<OpTrait::ReturnLike>())
    for (Value v : body.back().getOperands())
      if (int64_t b = bufferOf.lookup_or(v, -1); b >= 0)
        escapes[b] = true;
  SmallVector<SmallVector<int64_t>> dies(at);
  LiveMemory m;
  for (auto [b, bytes] : llvm::enumerate(size)) {
    if (escapes[b])
      continue;
    dies[lastUse[b]].push_back(b);
    m.totalBytes += bytes;
    ++m.buffers;
  }
  int64_t live = 0;
  for (int64_t i = 0; i < at; ++i) {
    for (int64_t b : created[i])
      if (!escapes[b])
        live += size[b];
    m.peakBytes = std::max(m.peakBytes, live);
    for (int64_t b : dies[i])
      live -= size[b];
  }
  return m;
}

} // namespace fgc
