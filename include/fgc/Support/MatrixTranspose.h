//===- MatrixTranspose.h - A batch of matrices transposed --------*- C++
//-*-===//
//
// The permutation that transposes the trailing [rows, columns] of a tensor
// and keeps any batch dimensions in front, and the indexing map of an
// operand read that way: fgc-fold-transposes-into-matmuls writes such maps
// on matrix products and convert-linalg-to-blas reads them back.
//
//===----------------------------------------------------------------------===//

#ifndef FGC_SUPPORT_MATRIXTRANSPOSE_H
#define FGC_SUPPORT_MATRIXTRANSPOSE_H

#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/SmallVector.h"

#include <utility>

namespace fgc {

/// The permutation of `rank` (>= 2) dimensions that swaps the last two.
inline llvm::SmallVector<int64_t> swapLastTwoPermutation(int64_t rank) {
  llvm::SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    perm.push_back(d);
  std::swap(perm[rank - 2], perm[rank - 1]);
  return perm;
}

/// Whether `perm` swaps the last two dimensions and keeps the others.
inline bool swapsLastTwo(llvm::ArrayRef<int64_t> perm) {
  return perm.size() >= 2 &&
         perm == llvm::ArrayRef(swapLastTwoPermutation(perm.size()));
}

/// `map` with its last two results swapped: the map of the same operand
/// read transposed.
inline mlir::AffineMap swapLastTwoResults(mlir::AffineMap map) {
  llvm::SmallVector<mlir::AffineExpr> results(map.getResults());
  std::swap(results[results.size() - 2], results.back());
  return mlir::AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                              map.getContext());
}

} // namespace fgc

#endif // FGC_SUPPORT_MATRIXTRANSPOSE_H
