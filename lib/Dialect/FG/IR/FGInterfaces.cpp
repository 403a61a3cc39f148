//===- FGInterfaces.cpp - Linear layers and local losses ------------------===//
//
// LinearOpInterface for fg.matmul, fg.gemm and fg.conv (the roles of their
// operands and how a weight's axes map onto the result), and the
// initialisation scale that goes with a weight's fan-in.
//
//===----------------------------------------------------------------------===//

#include "fgc/Dialect/FG/IR/FGOps.h"

#include <cmath>
#include <numeric>

using namespace mlir;

namespace fgc::fg {

namespace {
int64_t rankOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getRank();
}
} // namespace

double initScale(StringRef scheme, double fanIn) {
  if (scheme == "kaiming")
    return std::min(2.0 / std::sqrt(fanIn), 0.1);
  if (scheme == "lecun")
    return std::min(1.0 / std::sqrt(fanIn), 0.1);
  return 0.1;
}

int64_t LinearOpInterface::getWeightFanIn() {
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(getWeight().getType()).getShape();
  int64_t fanIn = 1;
  for (int64_t axis : getWeightFanInAxes())
    fanIn *= shape[axis];
  return fanIn;
}

//===----------------------------------------------------------------------===//
// fg.matmul: x [.., M, K] x W [.., K, N]
//===----------------------------------------------------------------------===//

OpOperand &MatMulOp::getInputOperand() { return getLhsMutable(); }
OpOperand &MatMulOp::getWeightOperand() { return getRhsMutable(); }
OpOperand *MatMulOp::getBiasOperand() { return nullptr; }

SmallVector<int64_t> MatMulOp::getWeightFanInAxes() {
  int64_t rank = rankOf(getRhs());
  return {rank == 1 ? 0 : rank - 2};
}

int64_t MatMulOp::getResultAxis(Value operand, int64_t axis) {
  if (operand != getRhs())
    return -1;
  int64_t rank = rankOf(operand), outRank = rankOf(getResult());
  if (axis == rank - 1)
    return outRank - 1;
  if (axis == rank - 2)
    return -1;
  return outRank - rank + axis;
}

std::optional<int64_t> MatMulOp::getWeightGroups() {
  auto type = cast<RankedTensorType>(getRhs().getType());
  if (type.getRank() == 3)
    return type.getDimSize(0);
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// fg.gemm: alpha op(A) op(B) + beta C
//===----------------------------------------------------------------------===//

OpOperand &GemmOp::getInputOperand() { return getAMutable(); }
OpOperand &GemmOp::getWeightOperand() { return getBMutable(); }
OpOperand *GemmOp::getBiasOperand() {
  return getC() ? &getOperation()->getOpOperand(2) : nullptr;
}

SmallVector<int64_t> GemmOp::getWeightFanInAxes() {
  // B is [in, out], or [out, in] with trans_b.
  return {getTransB() ? 1 : 0};
}

int64_t GemmOp::getResultAxis(Value operand, int64_t axis) {
  if (operand == getB())
    return axis == (getTransB() ? 0 : 1) ? 1 : -1;
  if (operand == getC())
    return rankOf(getResult()) - rankOf(operand) + axis;
  return -1;
}

std::optional<int64_t> GemmOp::getWeightGroups() { return std::nullopt; }

//===----------------------------------------------------------------------===//
// fg.conv: input [N, C, D..], weight [M, C/group, k..], bias [M]
//===----------------------------------------------------------------------===//

OpOperand &ConvOp::getInputOperand() { return getInputMutable(); }
OpOperand &ConvOp::getWeightOperand() { return getWeightMutable(); }
OpOperand *ConvOp::getBiasOperand() {
  return getBias() ? &getOperation()->getOpOperand(2) : nullptr;
}

SmallVector<int64_t> ConvOp::getWeightFanInAxes() {
  SmallVector<int64_t> axes(rankOf(getWeight()) - 1);
  std::iota(axes.begin(), axes.end(), 1);
  return axes;
}

int64_t ConvOp::getResultAxis(Value operand, int64_t axis) {
  // Output channels; the kernel and input-channel axes are contracted.
  if (operand == getWeight() || operand == getBias())
    return axis == 0 ? 1 : -1;
  return -1;
}

std::optional<int64_t> ConvOp::getWeightGroups() {
  if (getGroup() > 1)
    return getGroup();
  return std::nullopt;
}

} // namespace fgc::fg
