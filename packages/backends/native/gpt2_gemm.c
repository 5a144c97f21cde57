#define _POSIX_C_SOURCE 200809L
/*
 * The built-in sgemm: what the native backend multiplies with when OpenBLAS
 * is not installed (or `useBlas('builtin')` asks for it). Single-threaded,
 * like the OpenBLAS calls it stands in for: the backend's pool (gpt2_pool.c)
 * splits a product into blocks and runs one call per block on each thread.
 *
 * A BLIS-style packed GEMM (Van Zee & van de Geijn, "BLIS: A Framework for
 * Rapidly Instantiating BLAS Functionality", 2015): the loop nest and the
 * packing are in gpt2_gemm_kernel.h, compiled once per x86-64 level (SSE2,
 * AVX2+FMA, AVX-512) and picked when the addon loads, as HOT does for the
 * other kernels. The micro-kernel is written with GCC vector extensions, so
 * other CPUs (arm64) get the same code at their own vector width.
 *
 * Products stay exact in the sense that matters: FMA contraction is turned on
 * here only (the rest of the addon is built with -ffp-contract=off so that
 * AdamW rounds like the op chain); OpenBLAS uses FMA too.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_native.h"

#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif

enum { ROW_MAJOR = 101, COL_MAJOR = 102, NO_TRANS = 111, TRANS = 112 };

/* ------------------------------------------------------- packing buffers */

/* One growing buffer per thread (the pool's threads live as long as the pool), freed when its thread ends. */
typedef struct {
  float *data;
  size_t floats;
} gemm_buffer;

static pthread_key_t buffer_key;
static pthread_once_t buffer_once = PTHREAD_ONCE_INIT;
static int buffer_key_ok;

static void free_buffer(void *value) {
  gemm_buffer *buffer = (gemm_buffer *)value;
  free(buffer->data);
  free(buffer);
}

static void make_buffer_key(void) { buffer_key_ok = pthread_key_create(&buffer_key, free_buffer) == 0; }

/* At least `floats` floats, 64-byte aligned, for this thread; NULL when out of memory. */
static float *gemm_buffers(size_t floats) {
  pthread_once(&buffer_once, make_buffer_key);
  if (!buffer_key_ok) return NULL;
  gemm_buffer *buffer = (gemm_buffer *)pthread_getspecific(buffer_key);
  if (buffer == NULL) {
    buffer = (gemm_buffer *)calloc(1, sizeof *buffer);
    if (buffer == NULL || pthread_setspecific(buffer_key, buffer) != 0) {
      free(buffer);
      return NULL;
    }
  }
  if (buffer->floats < floats) {
    void *data = NULL;
    if (posix_memalign(&data, 64, floats * sizeof(float)) != 0) return NULL;
    free(buffer->data);
    buffer->data = (float *)data;
    buffer->floats = floats;
  }
  return buffer->data;
}

/* ---------------------------------------------- one build per x86-64 level */

/*
 * Register budgets: SSE2 and AVX2 have 16 vector registers (12 accumulators,
 * 2 of B, 1 broadcast), AVX-512 32 (24 + 2 + 1). KC × NR of B (16 KiB for
 * AVX2, 24 KiB for AVX-512's wider tile with a shorter KC) stays in a 32 KiB
 * L1; MC × KC of A (~110-150 KiB) in L2; KC × NC of B in L3. The AVX-512
 * build is the same code at another width; the development machine (Zen 3)
 * has no AVX-512, so its speed there is unmeasured.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(GPT2_NO_CLONES)
#define GEMM_LEVELS 1

#define GEMM_SUFFIX sse
#define GEMM_WIDTH 4
#define GEMM_NV 2
#define GEMM_MR 6
#define GEMM_MC 144
#define GEMM_KC 256
#define GEMM_NC 3072
#include "gpt2_gemm_kernel.h"

#pragma GCC push_options
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx2,fma")
#endif
#define GEMM_SUFFIX avx2
#define GEMM_WIDTH 8
#define GEMM_NV 2
#define GEMM_MR 6
#define GEMM_MC 144
#define GEMM_KC 256
#define GEMM_NC 3072
#include "gpt2_gemm_kernel.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC pop_options

#pragma GCC push_options
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), \
                             apply_to = function)
#else
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
#endif
#define GEMM_SUFFIX avx512
#define GEMM_WIDTH 16
#define GEMM_NV 2
#define GEMM_MR 12
#define GEMM_MC 144
#define GEMM_KC 192
#define GEMM_NC 3072
#include "gpt2_gemm_kernel.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#pragma GCC pop_options

#else
/* Other CPUs (arm64's 32 NEON registers take 16 accumulators easily), or a toolchain without target pragmas. */
#define GEMM_SUFFIX generic
#define GEMM_WIDTH 4
#define GEMM_NV 2
#define GEMM_MR 8
#define GEMM_MC 128
#define GEMM_KC 256
#define GEMM_NC 3072
#include "gpt2_gemm_kernel.h"
#endif

typedef int (*gemm_level_fn)(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                             int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

static gemm_level_fn level_gemm;
static const char *level_name;

static void pick_level(void) {
#ifdef GEMM_LEVELS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")) {
    level_gemm = gemm_avx512;
    level_name = "AVX-512";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    level_gemm = gemm_avx2;
    level_name = "AVX2";
  } else {
    level_gemm = gemm_sse;
    level_name = "SSE2";
  }
#else
  level_gemm = gemm_generic;
  level_name = "generic";
#endif
}

static pthread_once_t level_once = PTHREAD_ONCE_INIT;

const char *gpt2_builtin_sgemm_level(void) {
  pthread_once(&level_once, pick_level);
  return level_name;
}

/* --------------------------------------------------------------- GEMV */

/* c[j] = beta·c[j] + alpha·Σ_p x[p]·op(B)[p][j]: one row of A (m = 1), no packing. */
static void gemv_row(int tb, int64_t n, int64_t k, float alpha, const float *x, int64_t incx, const float *b,
                     int64_t ldb, float beta, float *c) {
  if (tb) {
    for (int64_t j = 0; j < n; j++) {
      const float *col = b + j * ldb;
      float sum = 0.0f;
      for (int64_t p = 0; p < k; p++) sum += x[p * incx] * col[p];
      c[j] = (beta == 0.0f ? 0.0f : beta * c[j]) + alpha * sum;
    }
    return;
  }
  if (beta == 0.0f) memset(c, 0, (size_t)n * sizeof(float));
  else if (beta != 1.0f)
    for (int64_t j = 0; j < n; j++) c[j] *= beta;
  for (int64_t p = 0; p < k; p++) {
    const float scale = alpha * x[p * incx];
    const float *row = b + p * ldb;
    for (int64_t j = 0; j < n; j++) c[j] += scale * row[j];
  }
}

/* ------------------------------------------------------------ the entry */

static void scale_c(int64_t m, int64_t n, float beta, float *c, int64_t ldc) {
  for (int64_t i = 0; i < m; i++) {
    float *row = c + i * ldc;
    if (beta == 0.0f) memset(row, 0, (size_t)n * sizeof(float));
    else if (beta != 1.0f)
      for (int64_t j = 0; j < n; j++) row[j] *= beta;
  }
}

/*
 * cblas_sgemm's contract: C = alpha·op(A)·op(B) + beta·C. With beta 0, C is
 * only written (NaNs in it do not leak through), as in the reference BLAS.
 * Out of memory for the packing buffers (a few MiB), it falls back to
 * unpacked loops rather than fail: the signature has no way to report it.
 */
void gpt2_builtin_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  if (order == COL_MAJOR) {
    /* A column-major C is the row-major Cᵀ = op(B)ᵀ·op(A)ᵀ. */
    gpt2_builtin_sgemm(ROW_MAJOR, transB, transA, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
    return;
  }
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const int ta = transA == TRANS, tb = transB == TRANS;
  if (m == 1) {
    /* op(A) row 0 is A's row 0, or A's column 0 with stride lda. */
    gemv_row(tb, n, k, alpha, a, ta ? lda : 1, b, ldb, beta, c);
    return;
  }
  if (n == 1) {
    /* Cᵀ (1 × m) = op(B)ᵀ (1 × k) · op(A)ᵀ (k × m), C's column read with stride ldc. */
    float *column = (float *)malloc((size_t)m * sizeof(float));
    if (column != NULL) {
      for (int64_t i = 0; i < m; i++) column[i] = c[i * ldc];
      gemv_row(!ta, m, k, alpha, b, tb ? 1 : ldb, a, lda, beta, column);
      for (int64_t i = 0; i < m; i++) c[i * ldc] = column[i];
      free(column);
      return;
    }
  }
  pthread_once(&level_once, pick_level);
  if (level_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
  /* No memory for packing: the slow, allocation-free way. */
  for (int64_t i = 0; i < m; i++) gemv_row(tb, n, k, alpha, ta ? a + i : a + i * lda, ta ? lda : 1, b, ldb, beta, c + i * ldc);
}
