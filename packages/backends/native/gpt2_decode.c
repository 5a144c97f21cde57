/*
 * Inference kernels of the native backend: one GPT-2 block over new
 * positions with a KV cache (the GPT2Block kernel contract), and matrix
 * products with a few rows (a decode step's GEMV, the last-position head).
 *
 * A decode step is memory-bound: each weight is read once per token and used
 * for a handful of multiply-adds, so what matters is streaming the weights
 * at the machine's bandwidth on every core, and doing nothing else on the
 * way. Here:
 *   - x @ W for W [K, N] (HF Conv1D layout) with few rows splits K (the rows
 *     of W) over the threads: each thread reads one contiguous block of W
 *     front to back, accumulating into its own [M, N] partial sums (in L1/L2),
 *     which are added up at the end. Splitting N instead would make every
 *     thread read short strided pieces of every row, which the hardware
 *     prefetcher follows badly (measured 2-3x slower).
 *   - x @ Wᵀ for W [N, K] (the tied head, wte [V, C]) splits N: each row of W
 *     is a contiguous dot product.
 *   - The block is one call: LayerNorm, qkv, the cache append, attention over
 *     the cache, the projection and residual, LayerNorm, the MLP with GELU and
 *     residual; bias, GELU and residual are applied as each output block is
 *     written (no extra passes). With many rows (a prompt's prefill) the
 *     products are OpenBLAS sgemm calls instead, spread over the pool.
 *
 * The KV cache is position-major, keys and values [L, B, C] (heads side by
 * side, as the qkv projection writes them): appending positions appends
 * rows, so the TypeScript side can keep the cache in one preallocated buffer
 * and hand out each longer cache as a longer view of it. The kernel only
 * writes rows L … L+T-1 of `keys`/`values`; when they are not the past's own
 * buffer it first copies the past rows.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_math.h"
#include "gpt2_napi.h"
#include "gpt2_native.h"

/* Up to this many rows a product is a GEMV (weights streamed once, all rows at a time). */
#define GEMV_MAX_ROWS 8
/* Below this many multiply-adds a product runs on the calling thread alone. */
#define PARALLEL_MACS (1 << 16)
/* K-blocks per thread in a split GEMV: more balance the load on a busy machine. */
#define GEMV_CHUNKS_PER_THREAD 4
/* Up to this many new positions attention runs as direct loops, else as sgemm per head. */
#define ATTENTION_DIRECT_MAX_T 4

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

/* What is applied to y = x @ W + bias as it is written. */
typedef enum { EPILOGUE_NONE = 0, EPILOGUE_GELU = 1, EPILOGUE_RESIDUAL = 2 } epilogue_kind;

#define GELU_A 0.7978845608028654f /* √(2/π) */
#define GELU_B 0.044715f

/* The tanh GELU as x·σ(2u), as the GELU kernel computes it (gpt2_fused.c). */
static inline float gelu_value(float x) {
  float two_u = 2.0f * GELU_A * (x + GELU_B * x * x * x);
  return x * sigmoid_approx(two_u);
}

/* y[0, n) = epilogue(acc + bias): one row. */
HOT static void finish_row(float *y, const float *acc, const float *restrict bias,
                           const float *restrict residual, int64_t n, epilogue_kind epilogue) {
  if (epilogue == EPILOGUE_GELU) {
    for (int64_t j = 0; j < n; j++) y[j] = gelu_value(acc[j] + (bias ? bias[j] : 0.0f));
  } else if (epilogue == EPILOGUE_RESIDUAL) {
    /* x + (x @ W + b), rounded as the op chain rounds it: the bias first. */
    if (bias)
      for (int64_t j = 0; j < n; j++) y[j] = residual[j] + (acc[j] + bias[j]);
    else
      for (int64_t j = 0; j < n; j++) y[j] = residual[j] + acc[j];
  } else if (bias) {
    for (int64_t j = 0; j < n; j++) y[j] = acc[j] + bias[j];
  } else if (y != acc) {
    memcpy(y, acc, (size_t)n * sizeof(float));
  }
}

/* ------------------------------------------------ x @ W, W [K, N], few rows */

typedef struct {
  const float *x; /* [M, K] */
  const float *w; /* [K, N] */
  float *partial; /* [chunks, M, N] */
  int64_t M, K, N, chunks;
} gemv_kn_job;

/* partial[chunk] = x[:, k0:k1] @ W[k0:k1, :], W's rows read front to back, four at a time. */
HOT static void gemv_kn_range(void *context, int64_t begin, int64_t end) {
  const gemv_kn_job *j = (const gemv_kn_job *)context;
  const int64_t M = j->M, K = j->K, N = j->N;
  for (int64_t chunk = begin; chunk < end; chunk++) {
    int64_t k0 = K * chunk / j->chunks, k1 = K * (chunk + 1) / j->chunks;
    float *restrict acc = j->partial + chunk * M * N;
    memset(acc, 0, (size_t)(M * N) * sizeof(float));
    int64_t k = k0;
    for (; k + 4 <= k1; k += 4) {
      const float *restrict w0 = j->w + k * N;
      const float *restrict w1 = w0 + N;
      const float *restrict w2 = w1 + N;
      const float *restrict w3 = w2 + N;
      for (int64_t m = 0; m < M; m++) {
        const float *xm = j->x + m * K + k;
        const float a0 = xm[0], a1 = xm[1], a2 = xm[2], a3 = xm[3];
        float *restrict am = acc + m * N;
        for (int64_t n = 0; n < N; n++) am[n] += a0 * w0[n] + a1 * w1[n] + a2 * w2[n] + a3 * w3[n];
      }
    }
    for (; k < k1; k++) {
      const float *restrict w0 = j->w + k * N;
      for (int64_t m = 0; m < M; m++) {
        const float a0 = j->x[m * K + k];
        float *restrict am = acc + m * N;
        for (int64_t n = 0; n < N; n++) am[n] += a0 * w0[n];
      }
    }
  }
}

typedef struct {
  const float *partial, *bias, *residual;
  float *y;
  int64_t M, N, chunks;
  epilogue_kind epilogue;
} gemv_reduce_job;

/* y[m, n] = epilogue(Σ_chunk partial[chunk, m, n] + bias[n]) over [begin, end) of M·N, by rows of ≤ 256. */
HOT static void gemv_reduce_range(void *context, int64_t begin, int64_t end) {
  const gemv_reduce_job *j = (const gemv_reduce_job *)context;
  float sum[256];
  for (int64_t i = begin; i < end;) {
    int64_t m = i / j->N, n0 = i % j->N;
    int64_t n1 = n0 + 256 < j->N ? n0 + 256 : j->N;
    if (n1 - n0 > end - i) n1 = n0 + (end - i);
    int64_t width = n1 - n0;
    const float *p = j->partial + m * j->N + n0;
    memcpy(sum, p, (size_t)width * sizeof(float));
    for (int64_t c = 1; c < j->chunks; c++) {
      const float *restrict q = p + c * j->M * j->N;
      for (int64_t n = 0; n < width; n++) sum[n] += q[n];
    }
    finish_row(j->y + m * j->N + n0, sum, j->bias ? j->bias + n0 : NULL,
               j->residual ? j->residual + m * j->N + n0 : NULL, width, j->epilogue);
    i += width;
  }
}

/* Floats of scratch `gemv_kn` needs. */
static int64_t gemv_kn_scratch(int64_t M, int64_t N) {
  return (int64_t)gpt2_pool_threads() * GEMV_CHUNKS_PER_THREAD * M * N;
}

/* y [M, N] = epilogue(x [M, K] @ W [K, N] + bias), M ≤ GEMV_MAX_ROWS; scratch ≥ gemv_kn_scratch. */
static void gemv_kn(const float *x, int64_t M, int64_t K, const float *w, int64_t N, const float *bias,
                    const float *residual, epilogue_kind epilogue, float *y, float *scratch) {
  int64_t chunks = 1;
  if (M * K * N >= PARALLEL_MACS) {
    chunks = (int64_t)gpt2_pool_threads() * GEMV_CHUNKS_PER_THREAD;
    if (chunks > K / 4) chunks = K / 4 > 0 ? K / 4 : 1;
  }
  gemv_kn_job job = {x, w, scratch, M, K, N, chunks};
  gpt2_parallel_for(chunks, 1, gemv_kn_range, &job);
  gemv_reduce_job reduce = {scratch, bias, residual, y, M, N, chunks, epilogue};
  int64_t total = M * N;
  gpt2_parallel_for(total, chunks > 1 ? 4096 : total, gemv_reduce_range, &reduce);
}

/* --------------------------------------------- x @ Wᵀ, W [N, K], few rows */

typedef struct {
  const float *x, *w, *bias;
  float *y;
  int64_t M, K, N;
} gemv_nk_job;

/* y[m, n] = Σ_k x[m, k]·W[n, k] + bias[n] for rows n in [begin, end): eight lanes per dot product. */
HOT static void gemv_nk_range(void *context, int64_t begin, int64_t end) {
  const gemv_nk_job *j = (const gemv_nk_job *)context;
  const int64_t M = j->M, K = j->K, N = j->N;
  const int64_t K8 = K & ~(int64_t)7;
  for (int64_t n = begin; n < end; n++) {
    const float *restrict w = j->w + n * K;
    for (int64_t m = 0; m < M; m++) {
      const float *restrict x = j->x + m * K;
      float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int64_t k = 0; k < K8; k += 8)
        for (int i = 0; i < 8; i++) lanes[i] += w[k + i] * x[k + i];
      float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
      for (int64_t k = K8; k < K; k++) sum += w[k] * x[k];
      j->y[m * N + n] = j->bias ? sum + j->bias[n] : sum;
    }
  }
}

static void gemv_nk(const float *x, int64_t M, int64_t K, const float *w, int64_t N, const float *bias, float *y) {
  gemv_nk_job job = {x, w, bias, y, M, K, N};
  int64_t grain = M * K * N >= PARALLEL_MACS ? 16 : N;
  gpt2_parallel_for(N, grain, gemv_nk_range, &job);
}

/* ------------------------------------------------ x @ W on sgemm, many rows */

typedef struct {
  const float *x, *w, *bias, *residual;
  float *y;
  int64_t M, K, N, parts;
  int split_n;
  epilogue_kind epilogue;
} dense_job;

static void dense_range(void *context, int64_t begin, int64_t end) {
  const dense_job *j = (const dense_job *)context;
  const int64_t M = j->M, K = j->K, N = j->N;
  for (int64_t part = begin; part < end; part++) {
    int64_t r0 = 0, r1 = M, c0 = 0, c1 = N;
    if (j->split_n) {
      c0 = N * part / j->parts;
      c1 = N * (part + 1) / j->parts;
    } else {
      r0 = M * part / j->parts;
      r1 = M * (part + 1) / j->parts;
    }
    if (r1 <= r0 || c1 <= c0) continue;
    float *y = j->y + r0 * N + c0;
    gpt2_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, (int)(r1 - r0), (int)(c1 - c0), (int)K, 1.0f, j->x + r0 * K,
               (int)K, j->w + c0, (int)N, 0.0f, y, (int)N);
    for (int64_t r = r0; r < r1; r++) {
      float *row = j->y + r * N + c0;
      finish_row(row, row, j->bias ? j->bias + c0 : NULL, j->residual ? j->residual + r * N + c0 : NULL,
                 c1 - c0, j->epilogue);
    }
  }
}

/* y [M, N] = epilogue(x [M, K] @ W [K, N] + bias): GEMV for few rows, sgemm spread over the pool otherwise. */
static void dense(const float *x, int64_t M, int64_t K, const float *w, int64_t N, const float *bias,
                  const float *residual, epilogue_kind epilogue, float *y, float *scratch) {
  if (M <= GEMV_MAX_ROWS) {
    gemv_kn(x, M, K, w, N, bias, residual, epilogue, y, scratch);
    return;
  }
  int64_t threads = gpt2_pool_threads();
  int64_t parts = 1;
  int split_n = 0;
  if ((double)M * (double)K * (double)N >= (double)PARALLEL_MACS * 4 && threads > 1) {
    /* Rows when there are plenty, else column blocks (each part a full sgemm). */
    if (M >= 32 * threads) {
      parts = threads * 2 < M / 16 ? threads * 2 : M / 16;
    } else {
      split_n = 1;
      parts = threads * 2 < N / 64 ? threads * 2 : N / 64;
    }
    if (parts < 1) parts = 1;
  }
  dense_job job = {x, w, bias, residual, y, M, K, N, parts, split_n, epilogue};
  gpt2_parallel_for(parts, 1, dense_range, &job);
}

/* ----------------------------------------------------------- LayerNorm */

typedef struct {
  const float *x, *gamma, *beta;
  float *y;
  int64_t C;
  float eps;
} norm_job;

/* Per row, rounded as the LayerNorm kernel rounds (layer_norm_row, gpt2_math.h). */
HOT static void norm_range(void *context, int64_t begin, int64_t end) {
  const norm_job *j = (const norm_job *)context;
  const int64_t C = j->C;
  for (int64_t r = begin; r < end; r++) {
    const float *x = j->x + r * C;
    float *y = j->y + r * C;
    float mean;
    (void)layer_norm_row(x, j->gamma, j->beta, y, C, j->eps, &mean);
  }
}

static void layer_norm_rows(const float *x, const float *gamma, const float *beta, float *y, int64_t rows,
                            int64_t C, float eps) {
  norm_job job = {x, gamma, beta, y, C, eps};
  gpt2_parallel_for(rows, (1 << 14) / C + 1, norm_range, &job);
}

/* ----------------------------------------------------------- attention */

typedef struct {
  const float *qkv;  /* [B·T, 3C]: q, k, v side by side */
  const float *keys; /* [L + T, B, C], the new rows already written */
  const float *values;
  float *y; /* [B·T, C] */
  int64_t B, T, L, C, H, D;
  float scale;
  volatile int failed;
} attention_job;

/*
 * Direct loops for few new positions, item = (b, h): query t sees keys
 * 0 … L + t. Scores in a scratch row, softmax with the max subtracted and
 * the sum in double (as the CausalAttention kernel), then y = Σ p·v.
 */
HOT static void attention_direct_range(void *context, int64_t begin, int64_t end) {
  attention_job *j = (attention_job *)context;
  const int64_t B = j->B, T = j->T, L = j->L, C = j->C, H = j->H, D = j->D, stride = B * C;
  float *scores = (float *)malloc((size_t)(L + T) * sizeof(float));
  float *acc = (float *)malloc((size_t)D * sizeof(float));
  if (scores == NULL || acc == NULL) {
    free(scores);
    free(acc);
    j->failed = 1;
    return;
  }
  const int64_t D8 = D & ~(int64_t)7;
  for (int64_t item = begin; item < end; item++) {
    const int64_t b = item / H, h = item % H;
    const float *kbase = j->keys + b * C + h * D;
    const float *vbase = j->values + b * C + h * D;
    for (int64_t t = 0; t < T; t++) {
      const float *restrict q = j->qkv + (b * T + t) * 3 * C + h * D;
      const int64_t visible = L + t + 1;
      float max = -INFINITY;
      for (int64_t l = 0; l < visible; l++) {
        const float *restrict k = kbase + l * stride;
        float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int64_t d = 0; d < D8; d += 8)
          for (int i = 0; i < 8; i++) lanes[i] += q[d + i] * k[d + i];
        float s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for (int64_t d = D8; d < D; d++) s += q[d] * k[d];
        s *= j->scale;
        scores[l] = s;
        max = s > max ? s : max;
      }
      double sum = 0;
      for (int64_t l = 0; l < visible; l++) {
        scores[l] = exp_approx(scores[l] - max);
        sum += scores[l];
      }
      const float inverse = (float)(1.0 / sum);
      for (int64_t d = 0; d < D; d++) acc[d] = 0.0f;
      for (int64_t l = 0; l < visible; l++) {
        const float p = scores[l] * inverse;
        const float *restrict v = vbase + l * stride;
        for (int64_t d = 0; d < D; d++) acc[d] += p * v[d];
      }
      memcpy(j->y + (b * T + t) * C + h * D, acc, (size_t)D * sizeof(float));
    }
  }
  free(scores);
  free(acc);
}

/*
 * Many new positions (a prefill), item = (b, h): S = scale·q·kᵀ [T, L+T] and
 * y = P·v as two sgemm calls on the strided q, keys and values in place
 * (leading dimensions 3C and B·C: no transposes, no copies).
 */
HOT static void attention_gemm_range(void *context, int64_t begin, int64_t end) {
  attention_job *j = (attention_job *)context;
  const int64_t B = j->B, T = j->T, L = j->L, C = j->C, H = j->H, D = j->D, Tk = L + T;
  float *s = (float *)malloc((size_t)(T * Tk) * sizeof(float));
  if (s == NULL) {
    j->failed = 1;
    return;
  }
  for (int64_t item = begin; item < end; item++) {
    const int64_t b = item / H, h = item % H;
    const float *q = j->qkv + b * T * 3 * C + h * D;
    const float *k = j->keys + b * C + h * D;
    const float *v = j->values + b * C + h * D;
    gpt2_sgemm(ROW_MAJOR, NO_TRANS, TRANS, (int)T, (int)Tk, (int)D, j->scale, q, (int)(3 * C), k, (int)(B * C),
               0.0f, s, (int)Tk);
    for (int64_t t = 0; t < T; t++) {
      float *row = s + t * Tk;
      const int64_t visible = L + t + 1;
      float max = row[0];
      for (int64_t c = 1; c < visible; c++) max = row[c] > max ? row[c] : max;
      double sum = 0;
      for (int64_t c = 0; c < visible; c++) {
        row[c] = exp_approx(row[c] - max);
        sum += row[c];
      }
      const float inverse = (float)(1.0 / sum);
      for (int64_t c = 0; c < visible; c++) row[c] *= inverse;
      for (int64_t c = visible; c < Tk; c++) row[c] = 0.0f;
    }
    gpt2_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, (int)T, (int)D, (int)Tk, 1.0f, s, (int)Tk, v, (int)(B * C), 0.0f,
               j->y + b * T * C + h * D, (int)C);
  }
  free(s);
}

/* ----------------------------------------------------------- the block */

/* The block's weights, in the order of GPT2Block's inputs (null where a bias is absent). */
enum {
  W_LN1_GAMMA,
  W_LN1_BETA,
  W_ATTN,
  W_ATTN_BIAS,
  W_ATTN_PROJ,
  W_ATTN_PROJ_BIAS,
  W_LN2_GAMMA,
  W_LN2_BETA,
  W_FC,
  W_FC_BIAS,
  W_MLP_PROJ,
  W_MLP_PROJ_BIAS,
  WEIGHT_COUNT
};

/* Floats of scratch one block call needs for M = B·T rows of width C. */
static int64_t block_scratch(int64_t M, int64_t C) {
  /* h, qkv, attention output, x1, the MLP's hidden layer: M·(C + 3C + C + C + 4C). */
  int64_t buffers = M * 10 * C;
  int64_t partial = M <= GEMV_MAX_ROWS ? gemv_kn_scratch(M, 4 * C) : 0;
  return buffers + partial;
}

typedef struct {
  const float *w[WEIGHT_COUNT];
} block_weights;

/*
 * One pre-LN block (GPT-2 §2.3) over T new positions of B sequences after L
 * cached ones: x1 = x + proj(attention(LN1(x))), y = x1 + mlp(LN2(x1)). The
 * new keys and values go to rows L … L+T-1 of keys/values.
 */
static bool run_block(const float *x, const block_weights *wt, float *keys, float *values, float *y,
                      float *scratch, int64_t B, int64_t T, int64_t L, int64_t C, int64_t H, float eps) {
  const int64_t M = B * T;
  float *h = scratch;          /* [M, C] */
  float *qkv = h + M * C;      /* [M, 3C] */
  float *att = qkv + M * 3 * C; /* [M, C] */
  float *x1 = att + M * C;     /* [M, C] */
  float *hidden = x1 + M * C;  /* [M, 4C] */
  float *partial = hidden + M * 4 * C;
  const float *const *w = wt->w;

  layer_norm_rows(x, w[W_LN1_GAMMA], w[W_LN1_BETA], h, M, C, eps);
  dense(h, M, C, w[W_ATTN], 3 * C, w[W_ATTN_BIAS], NULL, EPILOGUE_NONE, qkv, partial);
  /* Append: row (L + t, b) of the cache is position L + t of sequence b. */
  for (int64_t b = 0; b < B; b++) {
    for (int64_t t = 0; t < T; t++) {
      const float *row = qkv + (b * T + t) * 3 * C;
      memcpy(keys + ((L + t) * B + b) * C, row + C, (size_t)C * sizeof(float));
      memcpy(values + ((L + t) * B + b) * C, row + 2 * C, (size_t)C * sizeof(float));
    }
  }
  const int64_t D = C / H;
  attention_job aj = {qkv, keys, values, att, B, T, L, C, H, D, 1.0f / sqrtf((float)D), 0};
  if (T <= ATTENTION_DIRECT_MAX_T) gpt2_parallel_for(B * H, 1, attention_direct_range, &aj);
  else gpt2_parallel_for(B * H, 1, attention_gemm_range, &aj);
  if (aj.failed) return false;
  dense(att, M, C, w[W_ATTN_PROJ], C, w[W_ATTN_PROJ_BIAS], x, EPILOGUE_RESIDUAL, x1, partial);
  layer_norm_rows(x1, w[W_LN2_GAMMA], w[W_LN2_BETA], h, M, C, eps);
  dense(h, M, C, w[W_FC], 4 * C, w[W_FC_BIAS], NULL, EPILOGUE_GELU, hidden, partial);
  dense(hidden, M, 4 * C, w[W_MLP_PROJ], C, w[W_MLP_PROJ_BIAS], x1, EPILOGUE_RESIDUAL, y, partial);
  return true;
}

static void single_blas_thread(void) {
  if (gpt2_blas_get_threads != NULL && gpt2_blas_set_threads != NULL && gpt2_blas_get_threads() != 1)
    gpt2_blas_set_threads(1);
}

/* gpt2BlockScratch(B·T rows, C): floats of scratch gpt2Block needs. */
static napi_value js_block_scratch(napi_env env, napi_callback_info info) {
  ARGS(2, "gpt2BlockScratch");
  int64_t M = get_int(env, argv[0]), C = get_int(env, argv[1]);
  napi_value out;
  if (M < 0 || C < 1) {
    range_fail(env, "gpt2BlockScratch", "bad sizes");
    return NULL;
  }
  napi_create_double(env, (double)block_scratch(M, C), &out);
  return out;
}

/*
 * gpt2Block(x, weights[12], pastKeys | null, pastValues | null, keys, values, y, scratch,
 *           B, T, L, C, nHead, epsilon)
 * keys/values [L + T, B, C]: when they are not pastKeys/pastValues' own storage, the L
 * past rows are copied in first.
 */
static napi_value js_block(napi_env env, napi_callback_info info) {
  ARGS(14, "gpt2Block");
  const char *name = "gpt2Block";
  int64_t B = get_int(env, argv[8]), T = get_int(env, argv[9]), L = get_int(env, argv[10]);
  int64_t C = get_int(env, argv[11]), H = get_int(env, argv[12]);
  float eps = (float)get_double(env, argv[13]);
  if (B < 1 || T < 1 || L < 0 || C < 1 || H < 1 || C % H != 0 || (L + T) * B * C > INT32_MAX * 4LL) {
    range_fail(env, name, "bad sizes");
    return NULL;
  }
  const int64_t M = B * T;
  view x = {0}, pk = {0}, pv = {0}, keys = {0}, values = {0}, y = {0}, scratch = {0};
  if (!get_view(env, argv[0], napi_float32_array, name, &x) ||
      (!is_nullish(env, argv[2]) && !get_view(env, argv[2], napi_float32_array, name, &pk)) ||
      (!is_nullish(env, argv[3]) && !get_view(env, argv[3], napi_float32_array, name, &pv)) ||
      !get_view(env, argv[4], napi_float32_array, name, &keys) ||
      !get_view(env, argv[5], napi_float32_array, name, &values) ||
      !get_view(env, argv[6], napi_float32_array, name, &y) ||
      !get_view(env, argv[7], napi_float32_array, name, &scratch))
    return NULL;
  /* Sizes of the weights, null allowed for the biases and β. */
  const int64_t sizes[WEIGHT_COUNT] = {C, C, C * 3 * C, 3 * C, C * C, C, C, C, C * 4 * C, 4 * C, 4 * C * C, C};
  const bool optional[WEIGHT_COUNT] = {false, true, false, true, false, true, false, true, false, true, false, true};
  block_weights wt;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &count) != napi_ok || count != WEIGHT_COUNT) {
    fail(env, name, "weights must be an array of 12 Float32Arrays (null for an absent bias)");
    return NULL;
  }
  for (uint32_t i = 0; i < WEIGHT_COUNT; i++) {
    napi_value element;
    napi_get_element(env, argv[1], i, &element);
    if (is_nullish(env, element)) {
      if (!optional[i]) {
        fail(env, name, "a weight matrix or γ is missing");
        return NULL;
      }
      wt.w[i] = NULL;
      continue;
    }
    view v = {0};
    if (!get_view(env, element, napi_float32_array, name, &v)) return NULL;
    if ((int64_t)v.length < sizes[i]) {
      range_fail(env, name, "a weight is shorter than its shape");
      return NULL;
    }
    wt.w[i] = (const float *)v.data;
  }
  const int64_t past = L * B * C, total = (L + T) * B * C;
  if ((int64_t)x.length < M * C || (int64_t)y.length < M * C || (int64_t)keys.length < total ||
      (int64_t)values.length < total || (L > 0 && ((int64_t)pk.length < past || (int64_t)pv.length < past)) ||
      (int64_t)scratch.length < block_scratch(M, C)) {
    range_fail(env, name, "an operand is shorter than its sizes");
    return NULL;
  }
  if (M > GEMV_MAX_ROWS && gpt2_sgemm == NULL) {
    napi_throw_error(env, NULL, "gpt2 native gpt2Block: OpenBLAS is not loaded");
    return NULL;
  }
  /* A cache in a new buffer starts with a copy of the past rows; in place they are already there. */
  if (L > 0 && keys.data != pk.data) memcpy(keys.data, pk.data, (size_t)past * sizeof(float));
  if (L > 0 && values.data != pv.data) memcpy(values.data, pv.data, (size_t)past * sizeof(float));
  single_blas_thread();
  if (!run_block((const float *)x.data, &wt, (float *)keys.data, (float *)values.data, (float *)y.data,
                 (float *)scratch.data, B, T, L, C, H, eps)) {
    napi_throw_error(env, NULL, "gpt2 native gpt2Block: out of memory for the attention scores");
  }
  return NULL;
}

/*
 * gemv(x, w, y, M, K, N, transposeW, bias | null, scratch | null): y [M, N] = x [M, K] @ op(W) + bias,
 * W [K, N] (or [N, K] with transposeW), for M ≤ 8 rows; scratch ≥ gemvScratch(M, N) floats
 * when !transposeW.
 */
static napi_value js_gemv(napi_env env, napi_callback_info info) {
  ARGS(9, "gemv");
  const char *name = "gemv";
  view x, w, y, bias = {0}, scratch = {0};
  if (!get_view(env, argv[0], napi_float32_array, name, &x) || !get_view(env, argv[1], napi_float32_array, name, &w) ||
      !get_view(env, argv[2], napi_float32_array, name, &y))
    return NULL;
  int64_t M = get_int(env, argv[3]), K = get_int(env, argv[4]), N = get_int(env, argv[5]);
  bool transpose = get_bool(env, argv[6]);
  bool has_bias = !is_nullish(env, argv[7]), has_scratch = !is_nullish(env, argv[8]);
  if ((has_bias && !get_view(env, argv[7], napi_float32_array, name, &bias)) ||
      (has_scratch && !get_view(env, argv[8], napi_float32_array, name, &scratch)))
    return NULL;
  if (M < 1 || M > GEMV_MAX_ROWS || K < 1 || N < 1 || (int64_t)x.length < M * K || (int64_t)w.length < K * N ||
      (int64_t)y.length < M * N || (has_bias && (int64_t)bias.length < N) ||
      (!transpose && (int64_t)scratch.length < gemv_kn_scratch(M, N))) {
    range_fail(env, name, "bad sizes, or an operand is shorter than its sizes");
    return NULL;
  }
  if (transpose) gemv_nk((const float *)x.data, M, K, (const float *)w.data, N, has_bias ? bias.data : NULL, y.data);
  else
    gemv_kn((const float *)x.data, M, K, (const float *)w.data, N, has_bias ? bias.data : NULL, NULL, EPILOGUE_NONE,
            (float *)y.data, (float *)scratch.data);
  return NULL;
}

/* gemvScratch(M, N): floats of scratch gemv needs for W [K, N]. */
static napi_value js_gemv_scratch(napi_env env, napi_callback_info info) {
  ARGS(2, "gemvScratch");
  napi_value out;
  napi_create_double(env, (double)gemv_kn_scratch(get_int(env, argv[0]), get_int(env, argv[1])), &out);
  return out;
}

napi_status gpt2_decode_init(napi_env env, napi_value exports) {
  napi_value rows;
  napi_status status = napi_create_int32(env, GEMV_MAX_ROWS, &rows);
  if (status != napi_ok) return status;
  napi_property_descriptor properties[] = {
      {"gpt2Block", NULL, js_block, NULL, NULL, NULL, napi_default, NULL},
      {"gpt2BlockScratch", NULL, js_block_scratch, NULL, NULL, NULL, napi_default, NULL},
      {"gemv", NULL, js_gemv, NULL, NULL, NULL, napi_default, NULL},
      {"gemvScratch", NULL, js_gemv_scratch, NULL, NULL, NULL, napi_default, NULL},
      {"gemvMaxRows", NULL, NULL, NULL, NULL, rows, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}
