//===- Blas.h - Matrix-product entry points for generated code --*- C++ -*-===//
//
// Declarations of the functions convert-linalg-to-blas calls, so that the
// JIT can bind them by address. Each computes C += A x B, or C = A x B for
// the _overwrite variants. Each memref is passed unpacked:
// (allocated, aligned, offset, sizes..., strides...).
//
//===----------------------------------------------------------------------===//

#ifndef FGC_RUNTIME_BLAS_H
#define FGC_RUNTIME_BLAS_H

#include <cstdint>

extern "C" {
#define FGC_BLAS_MAT2(T) T *, T *, int64_t, int64_t, int64_t, int64_t, int64_t
#define FGC_BLAS_MAT3(T)                                                       \
  T *, T *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t
void fgc_blas_sgemm(FGC_BLAS_MAT2(float), FGC_BLAS_MAT2(float),
                    FGC_BLAS_MAT2(float));
void fgc_blas_dgemm(FGC_BLAS_MAT2(double), FGC_BLAS_MAT2(double),
                    FGC_BLAS_MAT2(double));
void fgc_blas_sgemm_batched(FGC_BLAS_MAT3(float), FGC_BLAS_MAT3(float),
                            FGC_BLAS_MAT3(float));
void fgc_blas_dgemm_batched(FGC_BLAS_MAT3(double), FGC_BLAS_MAT3(double),
                            FGC_BLAS_MAT3(double));
/// C = A x B: C's old values are never read (its zero fill was dropped).
void fgc_blas_sgemm_overwrite(FGC_BLAS_MAT2(float), FGC_BLAS_MAT2(float),
                              FGC_BLAS_MAT2(float));
void fgc_blas_dgemm_overwrite(FGC_BLAS_MAT2(double), FGC_BLAS_MAT2(double),
                              FGC_BLAS_MAT2(double));
void fgc_blas_sgemm_batched_overwrite(FGC_BLAS_MAT3(float),
                                      FGC_BLAS_MAT3(float),
                                      FGC_BLAS_MAT3(float));
void fgc_blas_dgemm_batched_overwrite(FGC_BLAS_MAT3(double),
                                      FGC_BLAS_MAT3(double),
                                      FGC_BLAS_MAT3(double));
/// memref.copy of non-contiguous buffers (MLIR's CRunnerUtils contract).
void memrefCopy(int64_t elemSize, void *src, void *dst);
#undef FGC_BLAS_MAT2
#undef FGC_BLAS_MAT3
}

#endif // FGC_RUNTIME_BLAS_H
