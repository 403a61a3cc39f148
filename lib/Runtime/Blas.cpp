//===- Blas.cpp - Matrix-product entry points for generated code ----------===//
//
// convert-linalg-to-blas turns linalg.matmul / linalg.batch_matmul into
// calls of these functions; each memref operand arrives as its unpacked
// descriptor (allocated, aligned, offset, sizes..., strides...). They
// compute C += A x B, the semantics of the linalg ops, with OpenBLAS when
// the layouts allow it (unit stride in one dimension of A and B, in the
// column dimension of C) and with plain loops otherwise.
//
// Threads come from OpenMP, the pool the generated loops run on: a large
// product is split into one block of rows or columns of C per thread, each
// computed by a single-threaded OpenBLAS call (OpenBLAS's own pthread pool
// would compete with OpenMP's for the same cores); a batch of products is
// split by matrix. The threads are the program's OpenMP threads
// (rt::setNumThreads, OMP_NUM_THREADS).
//
//===----------------------------------------------------------------------===//

#include "fgc/Runtime/Blas.h"

#include <algorithm>
#include <cblas.h>
#include <cstdint>
#include <omp.h>

extern "C" void openblas_set_num_threads(int);

namespace {

/// A strided matrix view.
template <typename T> struct Mat {
  T *data;
  int64_t rows, cols, rowStride, colStride;
  T &at(int64_t r, int64_t c) const {
    return data[r * rowStride + c * colStride];
  }
};

/// BLAS operand description of a view: row-major with leading dimension
/// `ld`, possibly transposed. False when neither stride is unit.
template <typename T>
bool blasLayout(const Mat<T> &m, CBLAS_TRANSPOSE &trans, int64_t &ld) {
  int64_t rs = m.rows == 1 ? m.cols : m.rowStride;
  int64_t cs = m.cols == 1 ? 1 : m.colStride;
  if (cs == 1 && rs >= (m.cols > 1 ? m.cols : 1)) {
    trans = CblasNoTrans;
    ld = rs;
    return true;
  }
  rs = m.rows == 1 ? 1 : m.rowStride;
  cs = m.cols == 1 ? m.rows : m.colStride;
  if (rs == 1 && cs >= (m.rows > 1 ? m.rows : 1)) {
    trans = CblasTrans;
    ld = cs;
    return true;
  }
  return false;
}

/// C = A x B + beta C; beta is 1 (accumulate) or 0 (overwrite: BLAS then
/// never reads C, which may hold anything).
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n,
          int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
          float *c, int64_t ldc, float beta) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c,
              ldc);
}

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n,
          int64_t k, const double *a, int64_t lda, const double *b, int64_t ldb,
          double *c, int64_t ldc, double beta) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c,
              ldc);
}

/// Multiply-adds below which a product runs on one thread: a fork and
/// join costs about as much as this many on one core.
constexpr int64_t kMinThreadedWork = int64_t(1) << 16;

/// Threads for `work` multiply-adds: one inside a parallel region.
int threadsFor(int64_t work) {
  // OpenBLAS's threads stay idle from the first product on.
  static const bool single = (openblas_set_num_threads(1), true);
  (void)single;
  if (work < kMinThreadedWork || omp_in_parallel())
    return 1;
  return omp_get_max_threads();
}

/// C = A x B + beta C in BLAS layouts, the rows (or columns, when C is
/// wider than tall) of C split evenly across `threads`.
template <typename T>
void threadedGemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n,
                  int64_t k, const T *a, int64_t lda, const T *b, int64_t ldb,
                  T *c, int64_t ldc, T beta, int threads) {
  if (threads <= 1) {
    gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta);
    return;
  }
  bool byRows = m >= n;
  int64_t extent = byRows ? m : n;
  // Whole register tiles per thread where the extent allows.
  int64_t align = byRows ? 8 : 16;
  int64_t chunk = (extent + threads - 1) / threads;
  chunk = std::min(extent, (chunk + align - 1) / align * align);
  int64_t chunks = (extent + chunk - 1) / chunk;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int64_t i = 0; i < chunks; ++i) {
    int64_t begin = i * chunk, size = std::min(chunk, extent - begin);
    if (byRows)
      gemm(ta, tb, size, n, k, ta == CblasNoTrans ? a + begin * lda : a + begin,
           lda, b, ldb, c + begin * ldc, ldc, beta);
    else
      gemm(ta, tb, m, size, k, a, lda,
           tb == CblasNoTrans ? b + begin : b + begin * ldb, ldb, c + begin,
           ldc, beta);
  }
}

/// C += A x B, or C = A x B with `overwrite` (C's old values unread).
template <typename T>
void matmul(const Mat<T> &a, const Mat<T> &b, const Mat<T> &c, bool overwrite) {
  int64_t m = c.rows, n = c.cols, k = a.cols;
  if (m == 0 || n == 0)
    return;
  CBLAS_TRANSPOSE ta, tb, tc;
  int64_t lda, ldb, ldc;
  if (k > 0 && blasLayout(a, ta, lda) && blasLayout(b, tb, ldb) &&
      blasLayout(c, tc, ldc) && tc == CblasNoTrans) {
    threadedGemm(ta, tb, m, n, k, a.data, lda, b.data, ldb, c.data, ldc,
                 overwrite ? T(0) : T(1), threadsFor(m * n * k));
    return;
  }
  if (overwrite)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c.at(i, j) = T(0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      T x = a.at(i, p);
      for (int64_t j = 0; j < n; ++j)
        c.at(i, j) += x * b.at(p, j);
    }
}

#define FGC_MAT2(T, name)                                                      \
  T *name##Alloc, T *name##Data, int64_t name##Off, int64_t name##R,           \
      int64_t name##C, int64_t name##RS, int64_t name##CS
#define FGC_VIEW2(T, name)                                                     \
  Mat<T> { name##Data + name##Off, name##R, name##C, name##RS, name##CS }
#define FGC_MAT3(T, name)                                                      \
  T *name##Alloc, T *name##Data, int64_t name##Off, int64_t name##B,           \
      int64_t name##R, int64_t name##C, int64_t name##BS, int64_t name##RS,    \
      int64_t name##CS
#define FGC_VIEW3(T, name, batch)                                              \
  Mat<T> {                                                                     \
    name##Data + name##Off + (batch) * name##BS, name##R, name##C, name##RS,   \
        name##CS                                                               \
  }

/// Runs `product(i)` for the `batch` matrices, split by matrix across the
/// threads when there are enough of them (each product then on one thread).
template <typename F>
void batchedMatmul(int64_t batch, int64_t workEach, F product) {
  int threads = threadsFor(batch * workEach);
  bool byMatrix = threads > 1 && batch >= threads;
#pragma omp parallel for num_threads(threads) schedule(static) if (byMatrix)
  for (int64_t i = 0; i < batch; ++i)
    product(i);
}

} // namespace

extern "C" {

#define FGC_BLAS_ENTRY(name, T, overwrite)                                     \
  void name(FGC_MAT2(T, a), FGC_MAT2(T, b), FGC_MAT2(T, c)) {                  \
    matmul(FGC_VIEW2(T, a), FGC_VIEW2(T, b), FGC_VIEW2(T, c), overwrite);      \
  }
#define FGC_BLAS_BATCHED_ENTRY(name, T, overwrite)                             \
  void name(FGC_MAT3(T, a), FGC_MAT3(T, b), FGC_MAT3(T, c)) {                  \
    batchedMatmul(cB, cR * cC * aC, [&](int64_t i) {                           \
      matmul(FGC_VIEW3(T, a, i), FGC_VIEW3(T, b, i), FGC_VIEW3(T, c, i),       \
             overwrite);                                                       \
    });                                                                        \
  }

FGC_BLAS_ENTRY(fgc_blas_sgemm, float, false)
FGC_BLAS_ENTRY(fgc_blas_dgemm, double, false)
FGC_BLAS_ENTRY(fgc_blas_sgemm_overwrite, float, true)
FGC_BLAS_ENTRY(fgc_blas_dgemm_overwrite, double, true)
FGC_BLAS_BATCHED_ENTRY(fgc_blas_sgemm_batched, float, false)
FGC_BLAS_BATCHED_ENTRY(fgc_blas_dgemm_batched, double, false)
FGC_BLAS_BATCHED_ENTRY(fgc_blas_sgemm_batched_overwrite, float, true)
FGC_BLAS_BATCHED_ENTRY(fgc_blas_dgemm_batched_overwrite, double, true)

} // extern "C"
