/*
 * Fused kernels of the native backend, for @gpt2/backends' kernel contracts
 * (kernels/contracts): GELU, LayerNorm, causal attention and softmax
 * cross-entropy, forward and backward. Each is one pass (or one pass per
 * row) where the op chains take five to fifteen, and the attention and
 * cross-entropy kernels keep a row log-sum-exp instead of the [T, T] or
 * [N, V] probabilities, which their gradients rebuild.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_math.h"
#include "gpt2_napi.h"
#include "gpt2_native.h"

#define PARALLEL_ELEMENTS (1 << 15)

/* ------------------------------------------------------------------ GELU */

#define GELU_A 0.7978845608028654f /* √(2/π) */
#define GELU_B 0.044715f

typedef struct {
  const float *x, *dy;
  float *out;
} gelu_job;

/* y = x·σ(2u), u = √(2/π)(x + 0.044715x³): the tanh form, 0.5(1 + tanh u) = σ(2u). */
HOT static void gelu_range(void *context, int64_t begin, int64_t end) {
  const gelu_job *j = (const gelu_job *)context;
  for (int64_t i = begin; i < end; i++) {
    float x = j->x[i];
    float two_u = 2.0f * GELU_A * (x + GELU_B * x * x * x);
    j->out[i] = x * sigmoid_approx(two_u);
  }
}

/* dx = dy·(s + x·s(1 − s)·2u'), s = σ(2u), 2u' = 2√(2/π)(1 + 3·0.044715x²). */
HOT static void gelu_grad_range(void *context, int64_t begin, int64_t end) {
  const gelu_job *j = (const gelu_job *)context;
  for (int64_t i = begin; i < end; i++) {
    float x = j->x[i];
    float x2 = x * x;
    float s = sigmoid_approx(2.0f * GELU_A * (x + GELU_B * x2 * x));
    float two_du = 2.0f * GELU_A * (1.0f + 3.0f * GELU_B * x2);
    j->out[i] = j->dy[i] * (s + x * s * (1.0f - s) * two_du);
  }
}

/* ------------------------------------------------------------- LayerNorm */

typedef struct {
  const float *x, *gamma, *beta, *dy, *mean, *rstd;
  float *y, *out_mean, *out_rstd, *dx;
  double *partial; /* per chunk: dγ and dβ, 2·C doubles each */
  int64_t rows, C, chunks;
  float eps;
} layer_norm_job;

HOT static void layer_norm_range(void *context, int64_t begin, int64_t end) {
  const layer_norm_job *j = (const layer_norm_job *)context;
  const int64_t C = j->C;
  for (int64_t r = begin; r < end; r++) {
    const float *x = j->x + r * C;
    float *y = j->y + r * C;
    float mean;
    float rstd = layer_norm_row(x, j->gamma, j->beta, y, C, j->eps, &mean);
    j->out_mean[r] = mean;
    j->out_rstd[r] = rstd;
  }
}

/*
 * dx = r·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ; dγ = Σ dy·x̂ and dβ = Σ dy,
 * summed per chunk of rows (in double) and added up after.
 */
HOT static void layer_norm_grad_range(void *context, int64_t begin, int64_t end) {
  const layer_norm_job *j = (const layer_norm_job *)context;
  const int64_t C = j->C;
  for (int64_t chunk = begin; chunk < end; chunk++) {
    double *dgamma = j->partial + chunk * 2 * C;
    double *dbeta = dgamma + C;
    for (int64_t c = 0; c < 2 * C; c++) dgamma[c] = 0;
    int64_t r0 = j->rows * chunk / j->chunks, r1 = j->rows * (chunk + 1) / j->chunks;
    for (int64_t r = r0; r < r1; r++) {
      const float *x = j->x + r * C, *dy = j->dy + r * C;
      float *dx = j->dx + r * C;
      const float mean = j->mean[r], rstd = j->rstd[r];
      double g_sum = 0, gx_sum = 0;
      for (int64_t c = 0; c < C; c++) {
        float xhat = (x[c] - mean) * rstd;
        float g = dy[c] * j->gamma[c];
        g_sum += g;
        gx_sum += (double)g * xhat;
        dgamma[c] += (double)dy[c] * xhat;
        dbeta[c] += dy[c];
      }
      float g_mean = (float)(g_sum / (double)C), gx_mean = (float)(gx_sum / (double)C);
      for (int64_t c = 0; c < C; c++) {
        float xhat = (x[c] - mean) * rstd;
        float g = dy[c] * j->gamma[c];
        dx[c] = rstd * (g - g_mean - xhat * gx_mean);
      }
    }
  }
}

/* ------------------------------------------------ softmax cross-entropy */

typedef struct {
  const float *logits, *dloss, *lse;
  const int32_t *targets;
  float *loss, *out_lse, *dlogits;
  int64_t V;
  int32_t ignore;
  float smoothing;
} xent_job;

/* Per row: logsumexp, and (1 − ε)·(lse − x_t) + ε·(lse − mean x), 0 for ignored rows. */
HOT static void xent_range(void *context, int64_t begin, int64_t end) {
  const xent_job *j = (const xent_job *)context;
  const int64_t V = j->V;
  for (int64_t r = begin; r < end; r++) {
    const float *x = j->logits + r * V;
    float max = x[0];
    for (int64_t c = 1; c < V; c++) max = x[c] > max ? x[c] : max;
    double sum = 0, total = 0;
    for (int64_t c = 0; c < V; c++) {
      sum += exp_approx(x[c] - max);
      total += x[c];
    }
    float lse = max + log_approx((float)sum);
    j->out_lse[r] = lse;
    int32_t t = j->targets[r];
    if (t == j->ignore || t < 0 || t >= V) {
      j->loss[r] = 0.0f;
      continue;
    }
    float nll = lse - x[t];
    float smooth = lse - (float)(total / (double)V);
    j->loss[r] = j->smoothing > 0 ? (1.0f - j->smoothing) * nll + j->smoothing * smooth : nll;
  }
}

/* dlogits = dloss·(softmax − (1 − ε)·onehot(t) − ε/V), 0 on ignored rows. */
HOT static void xent_grad_range(void *context, int64_t begin, int64_t end) {
  const xent_job *j = (const xent_job *)context;
  const int64_t V = j->V;
  for (int64_t r = begin; r < end; r++) {
    const float *x = j->logits + r * V;
    float *dx = j->dlogits + r * V;
    int32_t t = j->targets[r];
    if (t == j->ignore || t < 0 || t >= V) {
      memset(dx, 0, (size_t)V * sizeof(float));
      continue;
    }
    const float d = j->dloss[r], lse = j->lse[r], uniform = j->smoothing / (float)V;
    for (int64_t c = 0; c < V; c++) dx[c] = d * (exp_approx(x[c] - lse) - uniform);
    dx[t] -= d * (1.0f - j->smoothing);
  }
}

/* ------------------------------------------------------ causal attention */

typedef struct {
  const float *q, *k, *v, *dy, *y, *lse;
  float *out, *out_lse, *dq, *dk, *dv;
  int64_t Tq, Tk, D;
  float scale;
  volatile int failed; /* a scratch allocation failed */
} attention_job;

#define SGEMM(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)                                     \
  gpt2_sgemm(101, (ta) ? 112 : 111, (tb) ? 112 : 111, (int)(m), (int)(n), (int)(k), (alpha), (a), (int)(lda), \
             (b), (int)(ldb), (beta), (c), (int)(ldc))

/*
 * One (batch, head) slice per item: S = scale·q·kᵀ with query i seeing keys
 * 0 … Tk − Tq + i, P = softmax(S) row by row, y = P·v, and each row's
 * log-sum-exp. Scratch: one [Tq, Tk] block per call.
 */
HOT static void attention_range(void *context, int64_t begin, int64_t end) {
  attention_job *j = (attention_job *)context;
  const int64_t Tq = j->Tq, Tk = j->Tk, D = j->D, offset = Tk - Tq;
  float *s = (float *)malloc((size_t)(Tq * Tk) * sizeof(float));
  if (s == NULL) {
    j->failed = 1;
    return;
  }
  for (int64_t slice = begin; slice < end; slice++) {
    const float *q = j->q + slice * Tq * D, *k = j->k + slice * Tk * D, *v = j->v + slice * Tk * D;
    SGEMM(0, 1, Tq, Tk, D, j->scale, q, D, k, D, 0.0f, s, Tk);
    for (int64_t i = 0; i < Tq; i++) {
      float *row = s + i * Tk;
      int64_t visible = offset + i + 1;
      float max = row[0];
      for (int64_t c = 1; c < visible; c++) max = row[c] > max ? row[c] : max;
      double sum = 0;
      for (int64_t c = 0; c < visible; c++) {
        row[c] = exp_approx(row[c] - max);
        sum += row[c];
      }
      float inverse = (float)(1.0 / sum);
      for (int64_t c = 0; c < visible; c++) row[c] *= inverse;
      for (int64_t c = visible; c < Tk; c++) row[c] = 0.0f;
      j->out_lse[slice * Tq + i] = max + log_approx((float)sum);
    }
    SGEMM(0, 0, Tq, D, Tk, 1.0f, s, Tk, v, D, 0.0f, j->out + slice * Tq * D, D);
  }
  free(s);
}

/*
 * The gradient per slice, P rebuilt from the log-sum-exp:
 *   dv = Pᵀ·dy;  dP = dy·vᵀ;  dS = P ∘ (dP − Δ), Δ_i = dy_i·y_i;  dq = scale·dS·k;  dk = scale·dSᵀ·q.
 */
HOT static void attention_grad_range(void *context, int64_t begin, int64_t end) {
  attention_job *j = (attention_job *)context;
  const int64_t Tq = j->Tq, Tk = j->Tk, D = j->D, offset = Tk - Tq;
  float *p = (float *)malloc((size_t)(Tq * Tk) * 2 * sizeof(float));
  if (p == NULL) {
    j->failed = 1;
    return;
  }
  float *dp = p + Tq * Tk;
  for (int64_t slice = begin; slice < end; slice++) {
    const float *q = j->q + slice * Tq * D, *k = j->k + slice * Tk * D, *v = j->v + slice * Tk * D;
    const float *dy = j->dy + slice * Tq * D, *y = j->y + slice * Tq * D, *lse = j->lse + slice * Tq;
    SGEMM(0, 1, Tq, Tk, D, j->scale, q, D, k, D, 0.0f, p, Tk);
    SGEMM(0, 1, Tq, Tk, D, 1.0f, dy, D, v, D, 0.0f, dp, Tk);
    for (int64_t i = 0; i < Tq; i++) {
      float *prow = p + i * Tk, *dprow = dp + i * Tk;
      int64_t visible = offset + i + 1;
      double delta_sum = 0;
      for (int64_t d = 0; d < D; d++) delta_sum += (double)dy[i * D + d] * y[i * D + d];
      float delta = (float)delta_sum, l = lse[i];
      for (int64_t c = 0; c < visible; c++) {
        float pc = exp_approx(prow[c] - l);
        prow[c] = pc;
        dprow[c] = pc * (dprow[c] - delta);
      }
      for (int64_t c = visible; c < Tk; c++) {
        prow[c] = 0.0f;
        dprow[c] = 0.0f;
      }
    }
    SGEMM(1, 0, Tk, D, Tq, 1.0f, p, Tk, dy, D, 0.0f, j->dv + slice * Tk * D, D);
    SGEMM(0, 0, Tq, D, Tk, j->scale, dp, Tk, k, D, 0.0f, j->dq + slice * Tq * D, D);
    SGEMM(1, 0, Tk, D, Tq, j->scale, dp, Tk, q, D, 0.0f, j->dk + slice * Tk * D, D);
  }
  free(p);
}

/* ------------------------------------------------------------- Node-API */

static bool views(napi_env env, napi_value *argv, int count, view *out, const char *name) {
  for (int i = 0; i < count; i++) {
    if (!get_view(env, argv[i], napi_float32_array, name, &out[i])) return false;
  }
  return true;
}

static void single_blas_thread(void) {
  if (gpt2_blas_get_threads != NULL && gpt2_blas_set_threads != NULL && gpt2_blas_get_threads() != 1)
    gpt2_blas_set_threads(1);
}

/* gelu(x, y) */
static napi_value js_gelu(napi_env env, napi_callback_info info) {
  ARGS(2, "gelu");
  view v[2];
  if (!views(env, argv, 2, v, "gelu")) return NULL;
  if (v[1].length < v[0].length) {
    range_fail(env, "gelu", "the output is too short");
    return NULL;
  }
  gelu_job j = {v[0].data, NULL, v[1].data};
  gpt2_parallel_for((int64_t)v[0].length, PARALLEL_ELEMENTS / 4, gelu_range, &j);
  return NULL;
}

/* geluGrad(dy, x, dx) */
static napi_value js_gelu_grad(napi_env env, napi_callback_info info) {
  ARGS(3, "geluGrad");
  view v[3];
  if (!views(env, argv, 3, v, "geluGrad")) return NULL;
  if (v[0].length != v[1].length || v[2].length < v[1].length) {
    range_fail(env, "geluGrad", "dy, x and dx differ in length");
    return NULL;
  }
  gelu_job j = {v[1].data, v[0].data, v[2].data};
  gpt2_parallel_for((int64_t)v[1].length, PARALLEL_ELEMENTS / 4, gelu_grad_range, &j);
  return NULL;
}

/* layerNorm(x, gamma, beta | null, y, mean, rstd, rows, C, epsilon) */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  ARGS(9, "layerNorm");
  const char *name = "layerNorm";
  view x, gamma, beta = {0}, y, mean, rstd;
  bool has_beta = !is_nullish(env, argv[2]);
  if (!get_view(env, argv[0], napi_float32_array, name, &x) ||
      !get_view(env, argv[1], napi_float32_array, name, &gamma) ||
      (has_beta && !get_view(env, argv[2], napi_float32_array, name, &beta)) ||
      !get_view(env, argv[3], napi_float32_array, name, &y) ||
      !get_view(env, argv[4], napi_float32_array, name, &mean) ||
      !get_view(env, argv[5], napi_float32_array, name, &rstd))
    return NULL;
  int64_t rows = get_int(env, argv[6]), C = get_int(env, argv[7]);
  if (rows < 0 || C < 1 || (int64_t)x.length < rows * C || (int64_t)y.length < rows * C ||
      (int64_t)gamma.length < C || (has_beta && (int64_t)beta.length < C) || (int64_t)mean.length < rows ||
      (int64_t)rstd.length < rows) {
    range_fail(env, name, "bad sizes");
    return NULL;
  }
  layer_norm_job j = {x.data, gamma.data, has_beta ? beta.data : NULL, NULL, NULL, NULL, y.data,
                      mean.data, rstd.data, NULL, NULL, rows, C, 1, (float)get_double(env, argv[8])};
  gpt2_parallel_for(rows, (PARALLEL_ELEMENTS + C - 1) / C, layer_norm_range, &j);
  return NULL;
}

/* layerNormGrad(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, C) */
static napi_value js_layer_norm_grad(napi_env env, napi_callback_info info) {
  ARGS(10, "layerNormGrad");
  const char *name = "layerNormGrad";
  view v[8];
  if (!views(env, argv, 8, v, name)) return NULL;
  int64_t rows = get_int(env, argv[8]), C = get_int(env, argv[9]);
  if (rows < 0 || C < 1 || (int64_t)v[0].length < rows * C || (int64_t)v[1].length < rows * C ||
      (int64_t)v[2].length < C || (int64_t)v[3].length < rows || (int64_t)v[4].length < rows ||
      (int64_t)v[5].length < rows * C || (int64_t)v[6].length < C || (int64_t)v[7].length < C) {
    range_fail(env, name, "bad sizes");
    return NULL;
  }
  int64_t chunks = (int64_t)gpt2_pool_threads() * 4;
  if (chunks > rows) chunks = rows > 0 ? rows : 1;
  if (rows * C < PARALLEL_ELEMENTS) chunks = 1;
  double *partial = (double *)malloc((size_t)(chunks * 2 * C) * sizeof(double));
  if (partial == NULL) {
    napi_throw_error(env, NULL, "gpt2 native layerNormGrad: out of memory");
    return NULL;
  }
  layer_norm_job j = {v[1].data, v[2].data, NULL, v[0].data, v[3].data, v[4].data, NULL, NULL, NULL,
                      v[5].data, partial, rows, C, chunks, 0.0f};
  gpt2_parallel_for(chunks, 1, layer_norm_grad_range, &j);
  float *dgamma = v[6].data, *dbeta = v[7].data;
  for (int64_t c = 0; c < C; c++) {
    double g = 0, b = 0;
    for (int64_t k = 0; k < chunks; k++) {
      g += partial[k * 2 * C + c];
      b += partial[k * 2 * C + C + c];
    }
    dgamma[c] = (float)g;
    dbeta[c] = (float)b;
  }
  free(partial);
  return NULL;
}

static bool xent_args(napi_env env, napi_value *argv, int first, view *logits, view *targets, int64_t *N,
                      int64_t *V, const char *name) {
  if (!get_view(env, argv[first], napi_float32_array, name, logits) ||
      !get_view(env, argv[first + 1], napi_int32_array, name, targets))
    return false;
  *N = (int64_t)targets->length;
  *V = *N > 0 ? (int64_t)logits->length / *N : 0;
  if (*N > 0 && (*V < 1 || (int64_t)logits->length != *N * *V)) return range_fail(env, name, "logits are not [N, V]");
  return true;
}

/* softmaxCrossEntropy(logits, targets, loss, logsumexp, ignoreIndex, labelSmoothing) */
static napi_value js_softmax_cross_entropy(napi_env env, napi_callback_info info) {
  ARGS(6, "softmaxCrossEntropy");
  const char *name = "softmaxCrossEntropy";
  view logits, targets, loss, lse;
  int64_t N, V;
  if (!xent_args(env, argv, 0, &logits, &targets, &N, &V, name) ||
      !get_view(env, argv[2], napi_float32_array, name, &loss) ||
      !get_view(env, argv[3], napi_float32_array, name, &lse))
    return NULL;
  if ((int64_t)loss.length < N || (int64_t)lse.length < N) {
    range_fail(env, name, "outputs are too short");
    return NULL;
  }
  xent_job j = {logits.data, NULL, NULL, targets.data, loss.data, lse.data, NULL, V,
                (int32_t)get_int(env, argv[4]), (float)get_double(env, argv[5])};
  if (N > 0) gpt2_parallel_for(N, (PARALLEL_ELEMENTS + V - 1) / V, xent_range, &j);
  return NULL;
}

/* softmaxCrossEntropyGrad(dloss, logits, targets, logsumexp, dlogits, ignoreIndex, labelSmoothing) */
static napi_value js_softmax_cross_entropy_grad(napi_env env, napi_callback_info info) {
  ARGS(7, "softmaxCrossEntropyGrad");
  const char *name = "softmaxCrossEntropyGrad";
  view dloss, logits, targets, lse, dlogits;
  int64_t N, V;
  if (!get_view(env, argv[0], napi_float32_array, name, &dloss) ||
      !xent_args(env, argv, 1, &logits, &targets, &N, &V, name) ||
      !get_view(env, argv[3], napi_float32_array, name, &lse) ||
      !get_view(env, argv[4], napi_float32_array, name, &dlogits))
    return NULL;
  if ((int64_t)dloss.length < N || (int64_t)lse.length < N || dlogits.length < logits.length) {
    range_fail(env, name, "bad sizes");
    return NULL;
  }
  xent_job j = {logits.data, dloss.data, lse.data, targets.data, NULL, NULL, dlogits.data, V,
                (int32_t)get_int(env, argv[5]), (float)get_double(env, argv[6])};
  if (N > 0) gpt2_parallel_for(N, (PARALLEL_ELEMENTS + V - 1) / V, xent_grad_range, &j);
  return NULL;
}

static bool attention_sizes(napi_env env, napi_value *argv, int first, attention_job *j, int64_t *slices,
                            const char *name) {
  *slices = get_int(env, argv[first]);
  j->Tq = get_int(env, argv[first + 1]);
  j->Tk = get_int(env, argv[first + 2]);
  j->D = get_int(env, argv[first + 3]);
  j->scale = (float)get_double(env, argv[first + 4]);
  j->failed = 0;
  if (*slices < 0 || j->Tq < 1 || j->Tk < j->Tq || j->D < 1 || j->Tk > INT32_MAX / (j->Tq > j->D ? j->Tq : j->D))
    return range_fail(env, name, "bad sizes");
  if (gpt2_sgemm == NULL) {
    napi_throw_error(env, NULL, "gpt2 native attention: OpenBLAS is not loaded");
    return false;
  }
  return true;
}

/* causalAttention(q, k, v, y, logsumexp, slices, Tq, Tk, D, scale) */
static napi_value js_causal_attention(napi_env env, napi_callback_info info) {
  ARGS(10, "causalAttention");
  const char *name = "causalAttention";
  view v[5];
  attention_job j;
  int64_t slices;
  if (!views(env, argv, 5, v, name) || !attention_sizes(env, argv, 5, &j, &slices, name)) return NULL;
  if ((int64_t)v[0].length < slices * j.Tq * j.D || (int64_t)v[1].length < slices * j.Tk * j.D ||
      (int64_t)v[2].length < slices * j.Tk * j.D || (int64_t)v[3].length < slices * j.Tq * j.D ||
      (int64_t)v[4].length < slices * j.Tq) {
    range_fail(env, name, "an operand is shorter than its sizes");
    return NULL;
  }
  j.q = v[0].data;
  j.k = v[1].data;
  j.v = v[2].data;
  j.out = v[3].data;
  j.out_lse = v[4].data;
  single_blas_thread();
  gpt2_parallel_for(slices, 1, attention_range, &j);
  if (j.failed) napi_throw_error(env, NULL, "gpt2 native causalAttention: out of memory for the scores");
  return NULL;
}

/* causalAttentionGrad(dy, q, k, v, y, logsumexp, dq, dk, dv, slices, Tq, Tk, D, scale) */
static napi_value js_causal_attention_grad(napi_env env, napi_callback_info info) {
  ARGS(14, "causalAttentionGrad");
  const char *name = "causalAttentionGrad";
  view v[9];
  attention_job j;
  int64_t slices;
  if (!views(env, argv, 9, v, name) || !attention_sizes(env, argv, 9, &j, &slices, name)) return NULL;
  int64_t qs = slices * j.Tq * j.D, ks = slices * j.Tk * j.D;
  if ((int64_t)v[0].length < qs || (int64_t)v[1].length < qs || (int64_t)v[2].length < ks ||
      (int64_t)v[3].length < ks || (int64_t)v[4].length < qs || (int64_t)v[5].length < slices * j.Tq ||
      (int64_t)v[6].length < qs || (int64_t)v[7].length < ks || (int64_t)v[8].length < ks) {
    range_fail(env, name, "an operand is shorter than its sizes");
    return NULL;
  }
  j.dy = v[0].data;
  j.q = v[1].data;
  j.k = v[2].data;
  j.v = v[3].data;
  j.y = v[4].data;
  j.lse = v[5].data;
  j.dq = v[6].data;
  j.dk = v[7].data;
  j.dv = v[8].data;
  single_blas_thread();
  gpt2_parallel_for(slices, 1, attention_grad_range, &j);
  if (j.failed) napi_throw_error(env, NULL, "gpt2 native causalAttentionGrad: out of memory for the scores");
  return NULL;
}

napi_status gpt2_fused_init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"gelu", NULL, js_gelu, NULL, NULL, NULL, napi_default, NULL},
      {"geluGrad", NULL, js_gelu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, js_layer_norm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, js_layer_norm_grad, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxCrossEntropy", NULL, js_softmax_cross_entropy, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxCrossEntropyGrad", NULL, js_softmax_cross_entropy_grad, NULL, NULL, NULL, napi_default, NULL},
      {"causalAttention", NULL, js_causal_attention, NULL, NULL, NULL, napi_default, NULL},
      {"causalAttentionGrad", NULL, js_causal_attention_grad, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}
