/*
 * Shared declarations of the gpt2 native addon: the OpenBLAS entry points
 * (found with dlopen in gpt2_blas.c), the thread pool (gpt2_pool.c) and the
 * native backend's kernels (gpt2_kernels.c).
 */
#ifndef GPT2_NATIVE_H
#define GPT2_NATIVE_H

#include <node_api.h>
#include <stdint.h>

typedef void (*gpt2_sgemm_fn)(int order, int transA, int transB, int m, int n, int k, float alpha,
                              const float *a, int lda, const float *b, int ldb, float beta,
                              float *c, int ldc);

/*
 * The sgemm the native backend's kernels call (gpt2_blas.c): OpenBLAS's, or
 * the built-in one when OpenBLAS was not found or `useBlas('builtin')` chose
 * it; never NULL once the addon is loaded. The thread setters are OpenBLAS's,
 * NULL with the built-in sgemm (single-threaded: the pool splits products).
 */
extern gpt2_sgemm_fn gpt2_sgemm;
extern void (*gpt2_blas_set_threads)(int threads);
extern int (*gpt2_blas_get_threads)(void);

/* The built-in sgemm (gpt2_gemm.c): cblas_sgemm's contract, single-threaded. */
void gpt2_builtin_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc);
/* The instruction-set level the built-in sgemm runs at ("AVX2", "AVX-512", "SSE2", "generic"). */
const char *gpt2_builtin_sgemm_level(void);

/* Work on [begin, end) of a range split over the pool's threads. */
typedef void (*gpt2_range_fn)(void *context, int64_t begin, int64_t end);

/* Threads the pool runs kernels on, the calling thread included (≥ 1). */
int gpt2_pool_threads(void);
/* Resize the pool (joins and restarts its workers); returns 0 on success. */
int gpt2_pool_resize(int threads);
/* How long idle workers spin before they sleep, in nanoseconds. */
void gpt2_pool_set_spin(int64_t nanoseconds);
/*
 * fn(context, begin, end) over [0, n), split into at most one part per
 * thread and at least `grain` items per part; the calling thread takes the
 * first part. One job at a time: a call made while another runs (from
 * another thread) runs on its caller alone.
 */
void gpt2_parallel_for(int64_t n, int64_t grain, gpt2_range_fn fn, void *context);

/* Adds the native backend's kernels to the addon's exports. */
napi_status gpt2_kernels_init(napi_env env, napi_value exports);
/* Adds the fused kernels (GELU, LayerNorm, attention, cross-entropy). */
napi_status gpt2_fused_init(napi_env env, napi_value exports);
/* Adds the inference kernels (the GPT-2 block with a KV cache, few-row products). */
napi_status gpt2_decode_init(napi_env env, napi_value exports);
/* Adds the memory placement hints (huge pages for large tensors). */
napi_status gpt2_memory_init(napi_env env, napi_value exports);

#endif
