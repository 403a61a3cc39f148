//===- JvpHelpers.h - Shared pieces of the forward-mode rules ---*- C++ -*-===//
//
// Internal to lib/Dialect/FG/IR: what the JVP rules of FGJvp.cpp and
// FGJvpLayers.cpp share (aligned and stacked tangents, reductions over
// tangent axes, the same op rebuilt on tangents). All build fg ops at the
// JvpBuilder's insertion point.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_LIB_DIALECT_FG_IR_JVPHELPERS_H
#define FGC_LIB_DIALECT_FG_IR_JVPHELPERS_H

#include "fgc/Dialect/FG/IR/FGBuilders.h"
#include "fgc/Dialect/FG/IR/JvpBuilder.h"

namespace fgc::fg::jvp {

using mlir::ArrayRef;
using mlir::LogicalResult;
using mlir::Operation;
using mlir::OperationState;
using mlir::RankedTensorType;
using mlir::SmallVector;
using mlir::SmallVectorImpl;
using mlir::StringRef;
using mlir::Type;
using mlir::Value;
using mlir::ValueRange;

/// Tangent of a broadcasting binary op's operand, aligned to the result.
inline Value alignedTangent(JvpBuilder &jb, Operation *op, unsigned i) {
  return jb.align(jb.tangent(i), rankOf(op->getOperand(i)),
                  rankOf(op->getResult(0)));
}

inline LogicalResult single(SmallVectorImpl<Value> &out, Value t) {
  out.push_back(t);
  return mlir::success();
}

/// `op` rebuilt on `operands` with its attributes, through its type
/// inference: the same linear op applied to tangents (avg_pool, conv).
template <typename OpTy>
inline Value sameOpOn(JvpBuilder &jb, OpTy op, ValueRange operands) {
  OperationState state(jb.loc, OpTy::getOperationName());
  state.addOperands(operands);
  state.addAttributes(op->getAttrs());
  SmallVector<Type> types;
  if (failed(OpTy::inferReturnTypes(
          jb.b.getContext(), jb.loc, state.operands,
          state.attributes.getDictionary(jb.b.getContext()), nullptr, {},
          types)))
    return nullptr;
  state.addTypes(types);
  return jb.b.create(state)->getResult(0);
}

/// Axes of a primal reduction as axes of the tangent (all primal axes when
/// the op's list is empty, so that the K dimension is never reduced).
inline SmallVector<int64_t> tangentAxes(JvpBuilder &jb, ArrayRef<int64_t> axes,
                                        int64_t rank) {
  SmallVector<int64_t> out;
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      out.push_back(jb.axis(d));
  else
    for (int64_t a : axes)
      out.push_back(jb.axis(a));
  return out;
}

inline Value compare(JvpBuilder &jb, StringRef predicate, Value x, Value y) {
  return CompareOp::create(jb.b, jb.loc, x, y, jb.b.getStringAttr(predicate));
}

/// matmul of a (tangent or primal) lhs with rank `rankA` primal and rhs
/// with `rankB`, both given as stored (tangents possibly with K).
inline Value matmul(JvpBuilder &jb, Value a, Value b) {
  return MatMulOp::create(jb.b, jb.loc, a, b);
}

/// Concatenates the primal (as [1, ...]) with its tangents ([K, ...] or
/// [1, ...]): the stacked operand of one matrix product for all.
inline Value stack(JvpBuilder &jb, Value primal, Value tangent) {
  SmallVector<int64_t> one = {1};
  llvm::append_range(one, typeOf(primal).getShape());
  Value p = jb.reshape(primal, one);
  Value t = jb.batched() ? tangent : jb.reshape(tangent, one);
  return ConcatOp::create(jb.b, jb.loc, ValueRange{p, t},
                          jb.b.getI64IntegerAttr(0));
}

/// Rows [from, to) of the leading dimension.
inline Value leading(JvpBuilder &jb, Value v, int64_t from, int64_t to) {
  RankedTensorType t = typeOf(v);
  SmallVector<int64_t> starts(t.getRank(), 0), ends(t.getShape()),
      steps(t.getRank(), 1);
  starts[0] = from;
  ends[0] = to;
  return SliceOp::create(jb.b, jb.loc, v, jb.b.getDenseI64ArrayAttr(starts),
                         jb.b.getDenseI64ArrayAttr(ends),
                         jb.b.getDenseI64ArrayAttr(steps));
}

} // namespace fgc::fg::jvp

#endif // FGC_LIB_DIALECT_FG_IR_JVPHELPERS_H
