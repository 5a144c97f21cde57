/*
 * The native backend's kernels: tfjs tensors of the 'native' backend are
 * TypedArrays in Node memory, and these functions read and write them in
 * place (zero copy) through Node-API.
 *
 * - Matrix products: OpenBLAS sgemm, one single-threaded call per
 *   (batch slice, block of rows or columns), spread over the thread pool.
 * - Element-wise, reduction, softmax and data-movement kernels: plain loops
 *   that gcc vectorises at -O3, compiled once per instruction-set level
 *   (target_clones: picked when the addon loads, so a copied build never
 *   runs an instruction the CPU lacks), split over the pool.
 * - exp, log and tanh are polynomial approximations (Cephes), branch-free so
 *   that they vectorise; they are within 2 ulp of libm.
 *
 * Every entry point checks that each operand is a TypedArray of the right
 * kind and long enough for the sizes it is given before touching memory.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt2_math.h"
#include "gpt2_napi.h"
#include "gpt2_native.h"


enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

/* Below this many multiply-adds (or elements) a kernel runs on one thread. */
#define PARALLEL_WORK (1 << 18)
#define PARALLEL_ELEMENTS (1 << 15)

/* ------------------------------------------------------------ matMul */

typedef struct {
  const float *a, *b;
  float *c;
  int64_t M, N, K;
  int ta, tb;
  const int32_t *ai, *bi;
  int64_t parts;
  int split_n;
  const float *bias;
  int64_t bias_length;
  int relu;
} matmul_job;

HOT static void matmul_epilogue(const matmul_job *j, float *c, int64_t rows, int64_t c0, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    float *row = c + r * j->N;
    if (j->bias != NULL) {
      if (j->bias_length == 1) {
        float b = j->bias[0];
        for (int64_t x = 0; x < cols; x++) row[x] += b;
      } else {
        const float *bias = j->bias + c0;
        for (int64_t x = 0; x < cols; x++) row[x] += bias[x];
      }
    }
    if (j->relu) {
      for (int64_t x = 0; x < cols; x++) row[x] = row[x] > 0.0f ? row[x] : 0.0f;
    }
  }
}

static void matmul_range(void *context, int64_t begin, int64_t end) {
  const matmul_job *j = (const matmul_job *)context;
  const int64_t M = j->M, N = j->N, K = j->K;
  const int lda = (int)(j->ta ? M : K), ldb = (int)(j->tb ? K : N);
  for (int64_t u = begin; u < end; u++) {
    int64_t slice = u / j->parts, part = u % j->parts;
    const float *A = j->a + (j->ai ? j->ai[slice] : slice) * M * K;
    const float *B = j->b + (j->bi ? j->bi[slice] : slice) * K * N;
    float *C = j->c + slice * M * N;
    if (!j->split_n) {
      int64_t r0 = M * part / j->parts, r1 = M * (part + 1) / j->parts;
      if (r1 <= r0) continue;
      gpt2_sgemm(ROW_MAJOR, j->ta ? TRANS : NO_TRANS, j->tb ? TRANS : NO_TRANS, (int)(r1 - r0), (int)N,
                 (int)K, 1.0f, j->ta ? A + r0 : A + r0 * K, lda, B, ldb, 0.0f, C + r0 * N, (int)N);
      if (j->bias || j->relu) matmul_epilogue(j, C + r0 * N, r1 - r0, 0, N);
    } else {
      int64_t c0 = N * part / j->parts, c1 = N * (part + 1) / j->parts;
      if (c1 <= c0) continue;
      gpt2_sgemm(ROW_MAJOR, j->ta ? TRANS : NO_TRANS, j->tb ? TRANS : NO_TRANS, (int)M, (int)(c1 - c0),
                 (int)K, 1.0f, A, lda, j->tb ? B + c0 * K : B + c0, ldb, 0.0f, C + c0, (int)N);
      if (j->bias || j->relu) matmul_epilogue(j, C + c0, M, c0, c1 - c0);
    }
  }
}

static bool check_indices(const view *indices, int64_t batch, int64_t slices) {
  if ((int64_t)indices->length < batch) return false;
  const int32_t *values = (const int32_t *)indices->data;
  for (int64_t i = 0; i < batch; i++) {
    if (values[i] < 0 || values[i] >= slices) return false;
  }
  return true;
}

/*
 * matmul(a, b, out, batch, M, N, K, transposeA, transposeB, aIndex, bIndex, bias, relu):
 * out[i] = op(a[aIndex[i]]) @ op(b[bIndex[i]]) (+ bias, relu) for i < batch; an index
 * array of null means slice i. Float32Arrays; indices Int32Arrays.
 */
static napi_value js_matmul(napi_env env, napi_callback_info info) {
  ARGS(13, "matmul");
  const char *name = "matmul";
  view a, b, out, ai = {0}, bi = {0}, bias = {0};
  if (!get_view(env, argv[0], napi_float32_array, name, &a) ||
      !get_view(env, argv[1], napi_float32_array, name, &b) ||
      !get_view(env, argv[2], napi_float32_array, name, &out))
    return NULL;
  int64_t batch = get_int(env, argv[3]), M = get_int(env, argv[4]), N = get_int(env, argv[5]),
          K = get_int(env, argv[6]);
  int ta = get_bool(env, argv[7]), tb = get_bool(env, argv[8]);
  bool has_ai = !is_nullish(env, argv[9]), has_bi = !is_nullish(env, argv[10]);
  bool has_bias = !is_nullish(env, argv[11]);
  if ((has_ai && !get_view(env, argv[9], napi_int32_array, name, &ai)) ||
      (has_bi && !get_view(env, argv[10], napi_int32_array, name, &bi)) ||
      (has_bias && !get_view(env, argv[11], napi_float32_array, name, &bias)))
    return NULL;
  int relu = get_bool(env, argv[12]);
  if (batch < 0 || M < 0 || N < 0 || K < 0 || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) {
    range_fail(env, name, "bad sizes");
    return NULL;
  }
  int64_t a_slices = M * K == 0 ? 0 : (int64_t)a.length / (M * K);
  int64_t b_slices = K * N == 0 ? 0 : (int64_t)b.length / (K * N);
  bool ok = (int64_t)out.length >= batch * M * N &&
            (has_ai ? check_indices(&ai, batch, a_slices) : a_slices >= batch || M * K == 0) &&
            (has_bi ? check_indices(&bi, batch, b_slices) : b_slices >= batch || K * N == 0) &&
            (!has_bias || bias.length == 1 || (int64_t)bias.length == N);
  if (!ok) {
    range_fail(env, name, "an operand is shorter than its sizes");
    return NULL;
  }
  if (batch * M * N == 0) return NULL;
  if (K == 0) {
    memset(out.data, 0, (size_t)(batch * M * N) * sizeof(float));
    matmul_job j = {a.data, b.data, out.data, M, N, K, ta, tb, NULL, NULL, 1, 0,
                    has_bias ? bias.data : NULL, (int64_t)bias.length, relu};
    for (int64_t i = 0; i < batch; i++) matmul_epilogue(&j, (float *)out.data + i * M * N, M, 0, N);
    return NULL;
  }
  if (gpt2_sgemm == NULL) {
    napi_throw_error(env, NULL, "gpt2 native matmul: OpenBLAS is not loaded");
    return NULL;
  }
  /* Our threads run the products: OpenBLAS's own would compete with them for the cores. */
  if (gpt2_blas_get_threads != NULL && gpt2_blas_set_threads != NULL && gpt2_blas_get_threads() != 1)
    gpt2_blas_set_threads(1);
  int threads = gpt2_pool_threads();
  double work = (double)M * (double)N * (double)K;
  int64_t parts = 1;
  int split_n = 0;
  if (batch < threads && work * (double)batch >= PARALLEL_WORK) {
    int64_t want = (threads + batch - 1) / batch;
    if (M >= N || N < 64) {
      int64_t most = M / 8 > 0 ? M / 8 : 1;
      parts = want < most ? want : most;
    } else {
      int64_t most = N / 32 > 0 ? N / 32 : 1;
      parts = want < most ? want : most;
      split_n = 1;
    }
  }
  matmul_job j = {a.data,  b.data, out.data, M,     N,       K,
                  ta,      tb,     has_ai ? ai.data : NULL, has_bi ? bi.data : NULL,
                  parts,   split_n, has_bias ? bias.data : NULL, (int64_t)bias.length, relu};
  int64_t units = batch * parts;
  int64_t grain = work * (double)batch < PARALLEL_WORK ? units : 1;
  gpt2_parallel_for(units, grain, matmul_range, &j);
  return NULL;
}

/* ---------------------------------------------------- element-wise: binary */

enum {
  OP_ADD = 0,
  OP_SUB,
  OP_MUL,
  OP_DIV,
  OP_MAXIMUM,
  OP_MINIMUM,
  OP_SQUARED_DIFFERENCE,
  OP_POW,
  OP_EQUAL = 16,
  OP_NOT_EQUAL,
  OP_LESS,
  OP_LESS_EQUAL,
  OP_GREATER,
  OP_GREATER_EQUAL,
};

#define MAX_RANK 8

typedef struct {
  int op;
  const float *a, *b;
  void *out;
  int rank;
  int64_t shape[MAX_RANK], sa[MAX_RANK], sb[MAX_RANK];
  int64_t inner, chunks;
} binary_job;

/* One loop per stride pattern (each operand contiguous or one broadcast value), so each vectorises. */
#define BINARY_LOOP(T, EXPR)                                                \
  do {                                                                      \
    T *o = (T *)out;                                                        \
    if (ia && ib) {                                                         \
      for (int64_t i = 0; i < n; i++) {                                     \
        float x = a[i], y = b[i];                                           \
        o[i] = (T)(EXPR);                                                   \
      }                                                                     \
    } else if (ia) {                                                        \
      const float y = b[0];                                                 \
      for (int64_t i = 0; i < n; i++) {                                     \
        float x = a[i];                                                     \
        o[i] = (T)(EXPR);                                                   \
      }                                                                     \
    } else if (ib) {                                                        \
      const float x = a[0];                                                 \
      for (int64_t i = 0; i < n; i++) {                                     \
        float y = b[i];                                                     \
        o[i] = (T)(EXPR);                                                   \
      }                                                                     \
    } else {                                                                \
      const float x = a[0], y = b[0];                                       \
      const T v = (T)(EXPR);                                                \
      for (int64_t i = 0; i < n; i++) o[i] = v;                             \
    }                                                                       \
  } while (0)

HOT static void binary_run(int op, void *out, const float *a, int ia, const float *b, int ib, int64_t n) {
  switch (op) {
    case OP_ADD: BINARY_LOOP(float, x + y); break;
    case OP_SUB: BINARY_LOOP(float, x - y); break;
    case OP_MUL: BINARY_LOOP(float, x * y); break;
    case OP_DIV: BINARY_LOOP(float, x / y); break;
    /* NaN in either operand gives NaN, as Math.max/Math.min do. */
    case OP_MAXIMUM: BINARY_LOOP(float, (x != x || y != y) ? NAN : (x > y ? x : y)); break;
    case OP_MINIMUM: BINARY_LOOP(float, (x != x || y != y) ? NAN : (x < y ? x : y)); break;
    case OP_SQUARED_DIFFERENCE: BINARY_LOOP(float, (x - y) * (x - y)); break;
    case OP_POW: BINARY_LOOP(float, powf(x, y)); break;
    case OP_EQUAL: BINARY_LOOP(uint8_t, x == y); break;
    case OP_NOT_EQUAL: BINARY_LOOP(uint8_t, x != y); break;
    case OP_LESS: BINARY_LOOP(uint8_t, x < y); break;
    case OP_LESS_EQUAL: BINARY_LOOP(uint8_t, x <= y); break;
    case OP_GREATER: BINARY_LOOP(uint8_t, x > y); break;
    case OP_GREATER_EQUAL: BINARY_LOOP(uint8_t, x >= y); break;
    default: break;
  }
}

static void binary_range(void *context, int64_t begin, int64_t end) {
  const binary_job *j = (const binary_job *)context;
  const int last = j->rank - 1;
  const int ia = j->sa[last] != 0, ib = j->sb[last] != 0;
  const size_t out_size = j->op >= OP_EQUAL ? 1 : 4;
  for (int64_t u = begin; u < end; u++) {
    int64_t row = u / j->chunks, chunk = u % j->chunks;
    int64_t i0 = j->inner * chunk / j->chunks, i1 = j->inner * (chunk + 1) / j->chunks;
    int64_t oa = 0, ob = 0, rest = row;
    for (int d = last - 1; d >= 0; d--) {
      int64_t coordinate = rest % j->shape[d];
      rest /= j->shape[d];
      oa += coordinate * j->sa[d];
      ob += coordinate * j->sb[d];
    }
    char *out = (char *)j->out + (size_t)(row * j->inner + i0) * out_size;
    binary_run(j->op, out, j->a + oa + (ia ? i0 : 0), ia, j->b + ob + (ib ? i0 : 0), ib, i1 - i0);
  }
}

/* Reads a plan [rank, shape × rank, strides × rank per operand] from a Float64Array. */
static bool read_plan(napi_env env, napi_value value, int operands, const char *name, int *rank,
                      int64_t *shape, int64_t *strides[]) {
  view plan;
  if (!get_view(env, value, napi_float64_array, name, &plan)) return false;
  const double *p = (const double *)plan.data;
  if (plan.length < 1) return fail(env, name, "empty plan");
  int r = (int)p[0];
  if (r < 1 || r > MAX_RANK || plan.length < (size_t)(1 + r * (1 + operands)))
    return fail(env, name, "bad plan");
  for (int d = 0; d < r; d++) {
    shape[d] = (int64_t)p[1 + d];
    if (shape[d] < 0) return fail(env, name, "bad plan shape");
    for (int k = 0; k < operands; k++) strides[k][d] = (int64_t)p[1 + r * (1 + k) + d];
  }
  *rank = r;
  return true;
}

/* The largest element offset reached through `strides` over `shape`, plus one (0 when empty). */
static int64_t extent(int rank, const int64_t *shape, const int64_t *strides) {
  int64_t last = 0;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return 0;
    last += (shape[d] - 1) * strides[d];
  }
  return last + 1;
}

/* binary(op, a, b, out, plan): out = a ∘ b with broadcasting; plan from the JS side, the last axis of stride 0 or 1. */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  ARGS(5, "binary");
  const char *name = "binary";
  binary_job j;
  j.op = (int)get_int(env, argv[0]);
  view a, b, out;
  int64_t *strides[2] = {j.sa, j.sb};
  if (!get_view(env, argv[1], napi_float32_array, name, &a) ||
      !get_view(env, argv[2], napi_float32_array, name, &b) ||
      !get_view(env, argv[3], j.op >= OP_EQUAL ? napi_uint8_array : napi_float32_array, name, &out) ||
      !read_plan(env, argv[4], 2, name, &j.rank, j.shape, strides))
    return NULL;
  int last = j.rank - 1;
  int64_t total = 1;
  for (int d = 0; d < j.rank; d++) total *= j.shape[d];
  if ((j.op > OP_POW && j.op < OP_EQUAL) || j.op < 0 || j.op > OP_GREATER_EQUAL) {
    fail(env, name, "unknown op");
    return NULL;
  }
  if (j.sa[last] > 1 || j.sb[last] > 1 || (int64_t)out.length < total ||
      extent(j.rank, j.shape, j.sa) > (int64_t)a.length ||
      extent(j.rank, j.shape, j.sb) > (int64_t)b.length) {
    range_fail(env, name, "an operand is shorter than its plan");
    return NULL;
  }
  if (total == 0) return NULL;
  j.a = a.data;
  j.b = b.data;
  j.out = out.data;
  j.inner = j.shape[last];
  int64_t outer = total / j.inner;
  int threads = gpt2_pool_threads();
  j.chunks = 1;
  if (outer < threads && j.inner >= 2 * PARALLEL_ELEMENTS) {
    j.chunks = (threads + outer - 1) / outer;
  }
  int64_t per_unit = j.inner / j.chunks;
  int64_t grain = (PARALLEL_ELEMENTS + per_unit - 1) / (per_unit > 0 ? per_unit : 1);
  gpt2_parallel_for(outer * j.chunks, grain, binary_range, &j);
  return NULL;
}

/* ----------------------------------------------------- element-wise: unary */

enum {
  OP_NEG = 0,
  OP_EXP,
  OP_LOG,
  OP_SIGMOID,
  OP_TANH,
  OP_SQRT,
  OP_RSQRT,
  OP_SQUARE,
  OP_ABS,
  OP_RELU,
  OP_RECIPROCAL,
  OP_LOG1P,
  OP_EXPM1,
  OP_SOFTPLUS,
  OP_FLOOR,
  OP_UNARY_COUNT,
};

typedef struct {
  int op;
  const float *x;
  float *out;
} unary_job;

HOT static void unary_run(int op, float *o, const float *in, int64_t n) {
  switch (op) {
#define UNARY_LOOP(EXPR)                  \
  for (int64_t i = 0; i < n; i++) {       \
    float x = in[i];                      \
    o[i] = (EXPR);                        \
  }                                       \
  break;
    case OP_NEG: UNARY_LOOP(-x)
    case OP_EXP: UNARY_LOOP(exp_approx(x))
    case OP_LOG: UNARY_LOOP(log_approx(x))
    case OP_SIGMOID: UNARY_LOOP(sigmoid_approx(x))
    case OP_TANH: UNARY_LOOP(tanh_approx(x))
    case OP_SQRT: UNARY_LOOP(sqrtf(x))
    case OP_RSQRT: UNARY_LOOP(1.0f / sqrtf(x))
    case OP_SQUARE: UNARY_LOOP(x * x)
    case OP_ABS: UNARY_LOOP(x < 0.0f ? -x : x)
    case OP_RELU: UNARY_LOOP(x > 0.0f ? x : (x != x ? x : 0.0f))
    case OP_RECIPROCAL: UNARY_LOOP(1.0f / x)
    case OP_LOG1P: UNARY_LOOP(log1pf(x))
    case OP_EXPM1: UNARY_LOOP(expm1f(x))
    case OP_SOFTPLUS: UNARY_LOOP(x > 15.0f ? x : log1pf(exp_approx(x)))
    case OP_FLOOR: UNARY_LOOP(floorf(x))
#undef UNARY_LOOP
    default: break;
  }
}

static void unary_range(void *context, int64_t begin, int64_t end) {
  const unary_job *j = (const unary_job *)context;
  unary_run(j->op, j->out + begin, j->x + begin, end - begin);
}

/* unary(op, x, out): element-wise over Float32Arrays of one length. */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  ARGS(3, "unary");
  view x, out;
  unary_job j;
  j.op = (int)get_int(env, argv[0]);
  if (!get_view(env, argv[1], napi_float32_array, "unary", &x) ||
      !get_view(env, argv[2], napi_float32_array, "unary", &out))
    return NULL;
  if (j.op < 0 || j.op >= OP_UNARY_COUNT) {
    fail(env, "unary", "unknown op");
    return NULL;
  }
  if (out.length < x.length) {
    range_fail(env, "unary", "the output is too short");
    return NULL;
  }
  j.x = x.data;
  j.out = out.data;
  gpt2_parallel_for((int64_t)x.length, PARALLEL_ELEMENTS, unary_range, &j);
  return NULL;
}

/* ------------------------------------------------------------ reductions */

enum { REDUCE_SUM = 0, REDUCE_MAX, REDUCE_MIN, REDUCE_MEAN, REDUCE_PROD };

typedef struct {
  int op;
  const float *x;
  float *out;
  int64_t outer, size, inner, chunks;
} reduce_job;

/* Σ of a contiguous row, in 8 double lanes (tfjs's cpu kernel sums in double too). */
HOT static double row_sum(const float *x, int64_t n) {
  double lanes[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; l++) lanes[l] += (double)x[i + l];
  }
  double total = 0;
  for (; i < n; i++) total += (double)x[i];
  for (int l = 0; l < 8; l++) total += lanes[l];
  return total;
}

HOT static float row_max(const float *x, int64_t n, int want_max) {
  float lanes[16];
  int64_t i = 0;
  float best = x[0];
  if (n >= 16) {
    for (int l = 0; l < 16; l++) lanes[l] = x[l];
    for (i = 16; i + 16 <= n; i += 16) {
      for (int l = 0; l < 16; l++) {
        float v = x[i + l];
        lanes[l] = want_max ? (v > lanes[l] ? v : lanes[l]) : (v < lanes[l] ? v : lanes[l]);
      }
    }
    best = lanes[0];
    for (int l = 1; l < 16; l++) best = want_max ? (lanes[l] > best ? lanes[l] : best) : (lanes[l] < best ? lanes[l] : best);
  }
  for (; i < n; i++) best = want_max ? (x[i] > best ? x[i] : best) : (x[i] < best ? x[i] : best);
  return best;
}

/* Σ over the rows of columns [c0, c1) of a [size, inner] block, accumulated in double (as tfjs's cpu kernel does). */
HOT static void columns_sum(const float *x, float *out, int64_t size, int64_t inner, int64_t c0, int64_t c1,
                            int mean) {
  double total[256];
  for (int64_t start = c0; start < c1; start += 256) {
    int64_t n = c1 - start < 256 ? c1 - start : 256;
    for (int64_t c = 0; c < n; c++) total[c] = 0;
    for (int64_t r = 0; r < size; r++) {
      const float *row = x + r * inner + start;
      for (int64_t c = 0; c < n; c++) total[c] += (double)row[c];
    }
    float *o = out + (start - c0);
    if (mean) {
      for (int64_t c = 0; c < n; c++) o[c] = (float)(total[c] / (double)size);
    } else {
      for (int64_t c = 0; c < n; c++) o[c] = (float)total[c];
    }
  }
}

/* Columns [c0, c1) of a [size, inner] block reduced over its rows. */
HOT static void columns_reduce(int op, const float *x, float *out, int64_t size, int64_t inner, int64_t c0,
                               int64_t c1) {
  if (op == REDUCE_SUM || op == REDUCE_MEAN) {
    columns_sum(x, out, size, inner, c0, c1, op == REDUCE_MEAN);
    return;
  }
  int64_t n = c1 - c0;
  const float *first = x + c0;
  for (int64_t c = 0; c < n; c++) out[c] = size > 0 ? first[c] : (op == REDUCE_PROD ? 1.0f : 0.0f);
  for (int64_t r = 1; r < size; r++) {
    const float *row = x + r * inner + c0;
    switch (op) {
      case REDUCE_MAX:
        for (int64_t c = 0; c < n; c++) out[c] = row[c] > out[c] ? row[c] : out[c];
        break;
      case REDUCE_MIN:
        for (int64_t c = 0; c < n; c++) out[c] = row[c] < out[c] ? row[c] : out[c];
        break;
      case REDUCE_PROD:
        for (int64_t c = 0; c < n; c++) out[c] *= row[c];
        break;
    }
  }
}

static void reduce_range(void *context, int64_t begin, int64_t end) {
  const reduce_job *j = (const reduce_job *)context;
  for (int64_t u = begin; u < end; u++) {
    int64_t o = u / j->chunks, chunk = u % j->chunks;
    const float *x = j->x + o * j->size * j->inner;
    if (j->inner == 1) {
      float value;
      if (j->size == 0) value = j->op == REDUCE_PROD ? 1.0f : (j->op == REDUCE_MAX ? -INFINITY : (j->op == REDUCE_MIN ? INFINITY : 0.0f));
      else if (j->op == REDUCE_SUM || j->op == REDUCE_MEAN) {
        double sum = row_sum(x, j->size);
        value = (float)(j->op == REDUCE_MEAN ? sum / (double)j->size : sum);
      } else if (j->op == REDUCE_PROD) {
        value = 1.0f;
        for (int64_t i = 0; i < j->size; i++) value *= x[i];
      } else {
        value = row_max(x, j->size, j->op == REDUCE_MAX);
      }
      j->out[o] = value;
    } else {
      int64_t c0 = j->inner * chunk / j->chunks, c1 = j->inner * (chunk + 1) / j->chunks;
      columns_reduce(j->op, x, j->out + o * j->inner + c0, j->size, j->inner, c0, c1);
    }
  }
}

/* reduce(op, x, out, outer, size, inner): out[o, i] = reduce over s of x[o, s, i]. */
static napi_value js_reduce(napi_env env, napi_callback_info info) {
  ARGS(6, "reduce");
  view x, out;
  reduce_job j;
  j.op = (int)get_int(env, argv[0]);
  if (!get_view(env, argv[1], napi_float32_array, "reduce", &x) ||
      !get_view(env, argv[2], napi_float32_array, "reduce", &out))
    return NULL;
  j.outer = get_int(env, argv[3]);
  j.size = get_int(env, argv[4]);
  j.inner = get_int(env, argv[5]);
  if (j.op < REDUCE_SUM || j.op > REDUCE_PROD || j.outer < 0 || j.size < 0 || j.inner < 1 ||
      (int64_t)x.length < j.outer * j.size * j.inner || (int64_t)out.length < j.outer * j.inner) {
    range_fail(env, "reduce", "bad sizes");
    return NULL;
  }
  j.x = x.data;
  j.out = out.data;
  int threads = gpt2_pool_threads();
  j.chunks = 1;
  if (j.inner > 1 && j.outer < threads && j.inner >= 256) {
    int64_t most = j.inner / 128;
    int64_t want = (threads + j.outer - 1) / j.outer;
    j.chunks = want < most ? want : most;
  }
  int64_t per_unit = j.size * (j.inner / j.chunks);
  int64_t grain = (PARALLEL_ELEMENTS + per_unit - 1) / (per_unit > 0 ? per_unit : 1);
  gpt2_parallel_for(j.outer * j.chunks, grain, reduce_range, &j);
  return NULL;
}

/* --------------------------------------------------------------- softmax */

typedef struct {
  const float *x;
  float *out;
  int64_t cols;
  int log;
} softmax_job;

/* Σ of a short row in 16 float lanes (softmax rows: the terms are all in (0, 1]). */
HOT static float row_sum_float(const float *x, int64_t n) {
  float lanes[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int l = 0; l < 16; l++) lanes[l] += x[i + l];
  }
  float total = 0;
  for (; i < n; i++) total += x[i];
  for (int l = 0; l < 16; l++) total += lanes[l];
  return total;
}

HOT static void softmax_row(const float *x, float *out, int64_t n, int log) {
  float max = row_max(x, n, 1);
  if (max == -INFINITY) max = 0.0f; /* a fully masked row: exp(-inf - 0) = 0 */
  for (int64_t i = 0; i < n; i++) out[i] = exp_approx(x[i] - max);
  float sum = n > 4096 ? (float)row_sum(out, n) : row_sum_float(out, n);
  if (log) {
    float lse = log_approx(sum);
    for (int64_t i = 0; i < n; i++) out[i] = (x[i] - max) - lse;
  } else {
    float inverse = 1.0f / sum;
    for (int64_t i = 0; i < n; i++) out[i] = out[i] * inverse;
  }
}

static void softmax_range(void *context, int64_t begin, int64_t end) {
  const softmax_job *j = (const softmax_job *)context;
  for (int64_t r = begin; r < end; r++) softmax_row(j->x + r * j->cols, j->out + r * j->cols, j->cols, j->log);
}

/* softmax(x, out, rows, cols, log): softmax (or log-softmax) of each row of x [rows, cols]. */
static napi_value js_softmax(napi_env env, napi_callback_info info) {
  ARGS(5, "softmax");
  view x, out;
  softmax_job j;
  if (!get_view(env, argv[0], napi_float32_array, "softmax", &x) ||
      !get_view(env, argv[1], napi_float32_array, "softmax", &out))
    return NULL;
  int64_t rows = get_int(env, argv[2]);
  j.cols = get_int(env, argv[3]);
  j.log = get_bool(env, argv[4]);
  if (rows < 0 || j.cols < 1 || (int64_t)x.length < rows * j.cols || (int64_t)out.length < rows * j.cols) {
    range_fail(env, "softmax", "bad sizes");
    return NULL;
  }
  j.x = x.data;
  j.out = out.data;
  gpt2_parallel_for(rows, (PARALLEL_ELEMENTS + j.cols - 1) / j.cols, softmax_range, &j);
  return NULL;
}

/* ----------------------------------------------------- data movement */

typedef struct {
  const char *src;
  char *dst;
  size_t esize;
  int rank;
  int64_t shape[MAX_RANK], strides[MAX_RANK];
  int64_t inner;
} strided_job;

HOT static void strided_inner(char *dst, const char *src, int64_t n, int64_t stride, size_t esize) {
  if (stride == 1) {
    memcpy(dst, src, (size_t)n * esize);
  } else if (esize == 4) {
    uint32_t *d = (uint32_t *)dst;
    const uint32_t *s = (const uint32_t *)src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i * stride];
  } else if (esize == 1) {
    for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride];
  } else {
    for (int64_t i = 0; i < n; i++) memcpy(dst + i * esize, src + i * stride * esize, esize);
  }
}

static void strided_range(void *context, int64_t begin, int64_t end) {
  const strided_job *j = (const strided_job *)context;
  const int last = j->rank - 1;
  for (int64_t row = begin; row < end; row++) {
    int64_t offset = 0, rest = row;
    for (int d = last - 1; d >= 0; d--) {
      offset += (rest % j->shape[d]) * j->strides[d];
      rest /= j->shape[d];
    }
    strided_inner(j->dst + (size_t)(row * j->inner) * j->esize, j->src + (size_t)offset * j->esize, j->inner,
                  j->strides[last], j->esize);
  }
}

/* A [rows, cols] → [cols, rows] transpose in 32 × 32 tiles (4-byte elements). */
typedef struct {
  const uint32_t *src;
  uint32_t *dst;
  int64_t rows, cols, tiles_c;
} tile_job;

static void tile_range(void *context, int64_t begin, int64_t end) {
  const tile_job *j = (const tile_job *)context;
  for (int64_t t = begin; t < end; t++) {
    int64_t matrix = t / (((j->rows + 31) / 32) * j->tiles_c);
    int64_t within = t % (((j->rows + 31) / 32) * j->tiles_c);
    int64_t r0 = (within / j->tiles_c) * 32, c0 = (within % j->tiles_c) * 32;
    const uint32_t *src = j->src + matrix * j->rows * j->cols;
    uint32_t *dst = j->dst + matrix * j->rows * j->cols;
    int64_t r1 = r0 + 32 < j->rows ? r0 + 32 : j->rows, c1 = c0 + 32 < j->cols ? c0 + 32 : j->cols;
    for (int64_t c = c0; c < c1; c++)
      for (int64_t r = r0; r < r1; r++) dst[c * j->rows + r] = src[r * j->cols + c];
  }
}

/*
 * copyStrided(src, srcOffset, dst, plan): dst (contiguous) = src viewed with the
 * plan's shape and element strides from srcOffset: slices and transposes.
 */
static napi_value js_copy_strided(napi_env env, napi_callback_info info) {
  ARGS(4, "copyStrided");
  const char *name = "copyStrided";
  view src, dst;
  strided_job j;
  int64_t *strides[1] = {j.strides};
  if (!get_view(env, argv[0], -2, name, &src) || !get_view(env, argv[2], -2, name, &dst) ||
      !read_plan(env, argv[3], 1, name, &j.rank, j.shape, strides))
    return NULL;
  int64_t offset = get_int(env, argv[1]);
  j.esize = element_size(src.type);
  if (element_size(dst.type) != j.esize) {
    fail(env, name, "src and dst element sizes differ");
    return NULL;
  }
  int64_t total = 1;
  for (int d = 0; d < j.rank; d++) {
    total *= j.shape[d];
    if (j.strides[d] < 0) {
      range_fail(env, name, "negative stride");
      return NULL;
    }
  }
  if (offset < 0 || (int64_t)dst.length < total || offset + extent(j.rank, j.shape, j.strides) > (int64_t)src.length) {
    range_fail(env, name, "an operand is shorter than its plan");
    return NULL;
  }
  if (total == 0) return NULL;
  j.src = (const char *)src.data + (size_t)offset * j.esize;
  j.dst = dst.data;
  int last = j.rank - 1;
  j.inner = j.shape[last];
  /* [m, R, C] → [m, C, R] (strides [R·C, 1, C]): tiles keep both sides in cache. */
  if (j.esize == 4 && j.rank >= 2 && j.rank <= 3 && j.strides[last] == j.shape[last - 1] && j.strides[last - 1] == 1 &&
      (j.rank == 2 || j.strides[0] == j.shape[1] * j.shape[2]) && j.shape[last] >= 8 && j.shape[last - 1] >= 8) {
    tile_job t = {(const uint32_t *)j.src, (uint32_t *)j.dst, j.shape[last], j.shape[last - 1], (j.shape[last - 1] + 31) / 32};
    int64_t matrices = j.rank == 3 ? j.shape[0] : 1;
    int64_t tiles = matrices * ((t.rows + 31) / 32) * t.tiles_c;
    gpt2_parallel_for(tiles, total < PARALLEL_ELEMENTS ? tiles : 32, tile_range, &t);
    return NULL;
  }
  int64_t rows = total / j.inner;
  gpt2_parallel_for(rows, (PARALLEL_ELEMENTS + j.inner - 1) / j.inner, strided_range, &j);
  return NULL;
}

typedef struct {
  const char *x;
  const int32_t *indices;
  char *out;
  size_t esize;
  int64_t outer, dim, inner, count; /* count: indices per batch */
} gather_job;

static void gather_range(void *context, int64_t begin, int64_t end) {
  const gather_job *j = (const gather_job *)context;
  size_t bytes = (size_t)j->inner * j->esize;
  for (int64_t u = begin; u < end; u++) {
    /* u = ((b · outer) + o) · count + k */
    int64_t k = u % j->count, bo = u / j->count, b = bo / j->outer;
    int64_t index = j->indices[b * j->count + k];
    memcpy(j->out + (size_t)u * bytes, j->x + (size_t)(bo * j->dim + index) * bytes, bytes);
  }
}

/*
 * gather(x, indices, out, batch, outer, dim, inner): x [batch, outer, dim, inner],
 * indices [batch, count] → out [batch, outer, count, inner]. Returns -1, or the
 * position of the first index outside [0, dim) (nothing is written then).
 */
static napi_value js_gather(napi_env env, napi_callback_info info) {
  ARGS(7, "gather");
  view x, indices, out;
  if (!get_view(env, argv[0], -2, "gather", &x) || !get_view(env, argv[1], napi_int32_array, "gather", &indices) ||
      !get_view(env, argv[2], -2, "gather", &out))
    return NULL;
  gather_job j;
  int64_t batch = get_int(env, argv[3]);
  j.outer = get_int(env, argv[4]);
  j.dim = get_int(env, argv[5]);
  j.inner = get_int(env, argv[6]);
  j.esize = element_size(x.type);
  j.count = batch > 0 ? (int64_t)indices.length / batch : 0;
  if (batch < 0 || j.outer < 0 || j.dim < 0 || j.inner < 0 || element_size(out.type) != j.esize ||
      (batch > 0 && (int64_t)indices.length != batch * j.count) ||
      (int64_t)x.length < batch * j.outer * j.dim * j.inner ||
      (int64_t)out.length < batch * j.outer * j.count * j.inner) {
    range_fail(env, "gather", "bad sizes");
    return NULL;
  }
  const int32_t *ids = indices.data;
  napi_value result;
  for (int64_t i = 0; i < (int64_t)indices.length; i++) {
    if (ids[i] < 0 || ids[i] >= j.dim) {
      napi_create_double(env, (double)i, &result);
      return result;
    }
  }
  j.x = x.data;
  j.indices = ids;
  j.out = out.data;
  int64_t units = batch * j.outer * j.count;
  if (j.inner > 0) gpt2_parallel_for(units, (PARALLEL_ELEMENTS + j.inner - 1) / j.inner, gather_range, &j);
  napi_create_double(env, -1, &result);
  return result;
}

typedef struct {
  const float *values;
  const int32_t *ids;
  float *out;
  int64_t rows, row_size, segments;
} scatter_job;

HOT static void scatter_range(void *context, int64_t begin, int64_t end) {
  const scatter_job *j = (const scatter_job *)context;
  for (int64_t r = 0; r < j->rows; r++) {
    int64_t s = j->ids[r];
    if (s < 0 || s >= j->segments) continue;
    const float *src = j->values + r * j->row_size;
    float *dst = j->out + s * j->row_size;
    for (int64_t c = begin; c < end; c++) dst[c] += src[c];
  }
}

/* scatterAdd(values, ids, out, rows, rowSize, segments): out[ids[r]] += values[r] (ids outside [0, segments) dropped). */
static napi_value js_scatter_add(napi_env env, napi_callback_info info) {
  ARGS(6, "scatterAdd");
  view values, ids, out;
  if (!get_view(env, argv[0], napi_float32_array, "scatterAdd", &values) ||
      !get_view(env, argv[1], napi_int32_array, "scatterAdd", &ids) ||
      !get_view(env, argv[2], napi_float32_array, "scatterAdd", &out))
    return NULL;
  scatter_job j = {values.data, ids.data, out.data, get_int(env, argv[3]), get_int(env, argv[4]), get_int(env, argv[5])};
  if (j.rows < 0 || j.row_size < 0 || j.segments < 0 || (int64_t)ids.length < j.rows ||
      (int64_t)values.length < j.rows * j.row_size || (int64_t)out.length < j.segments * j.row_size) {
    range_fail(env, "scatterAdd", "bad sizes");
    return NULL;
  }
  memset(out.data, 0, (size_t)(j.segments * j.row_size) * sizeof(float));
  int64_t grain = j.rows > 0 ? (PARALLEL_ELEMENTS + j.rows - 1) / j.rows : j.row_size;
  if (grain < 64) grain = 64;
  gpt2_parallel_for(j.row_size, grain, scatter_range, &j);
  return NULL;
}

#define MAX_CONCAT 1024

typedef struct {
  const char *inputs[MAX_CONCAT];
  int64_t inners[MAX_CONCAT];
  int count;
  char *out;
  int64_t total;
  size_t esize;
} concat_job;

static void concat_range(void *context, int64_t begin, int64_t end) {
  const concat_job *j = (const concat_job *)context;
  for (int64_t row = begin; row < end; row++) {
    char *dst = j->out + (size_t)(row * j->total) * j->esize;
    for (int i = 0; i < j->count; i++) {
      size_t bytes = (size_t)j->inners[i] * j->esize;
      memcpy(dst, j->inputs[i] + (size_t)row * bytes, bytes);
      dst += bytes;
    }
  }
}

/* concat(inputs, out, outer): inputs[i] [outer, inner_i] side by side → out [outer, Σ inner_i]. */
static napi_value js_concat(napi_env env, napi_callback_info info) {
  ARGS(3, "concat");
  concat_job j;
  uint32_t count = 0;
  bool is_array = false;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &count) != napi_ok || count > MAX_CONCAT) {
    fail(env, "concat", "inputs must be an array of at most 1,024 TypedArrays");
    return NULL;
  }
  view out;
  if (!get_view(env, argv[1], -2, "concat", &out)) return NULL;
  int64_t outer = get_int(env, argv[2]);
  j.esize = element_size(out.type);
  j.count = (int)count;
  j.total = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    view input;
    if (napi_get_element(env, argv[0], i, &element) != napi_ok || !get_view(env, element, -2, "concat", &input))
      return NULL;
    if (element_size(input.type) != j.esize || outer <= 0 || input.length % (size_t)outer != 0) {
      range_fail(env, "concat", "an input does not match the output");
      return NULL;
    }
    j.inputs[i] = input.data;
    j.inners[i] = (int64_t)input.length / outer;
    j.total += j.inners[i];
  }
  if (outer <= 0 || (int64_t)out.length < outer * j.total) {
    range_fail(env, "concat", "the output is too short");
    return NULL;
  }
  j.out = out.data;
  gpt2_parallel_for(outer, (PARALLEL_ELEMENTS + j.total - 1) / (j.total > 0 ? j.total : 1), concat_range, &j);
  return NULL;
}

typedef struct {
  const uint8_t *condition;
  const uint32_t *a, *b;
  uint32_t *out;
} select_job;

HOT static void select_range(void *context, int64_t begin, int64_t end) {
  const select_job *j = (const select_job *)context;
  for (int64_t i = begin; i < end; i++) j->out[i] = j->condition[i] ? j->a[i] : j->b[i];
}

/* select(condition, a, b, out): out = condition ? a : b, element-wise, one length, 4-byte elements. */
static napi_value js_select(napi_env env, napi_callback_info info) {
  ARGS(4, "select");
  view condition, a, b, out;
  if (!get_view(env, argv[0], napi_uint8_array, "select", &condition) || !get_view(env, argv[1], -1, "select", &a) ||
      !get_view(env, argv[2], -1, "select", &b) || !get_view(env, argv[3], -1, "select", &out))
    return NULL;
  size_t n = condition.length;
  if (a.length < n || b.length < n || out.length < n) {
    range_fail(env, "select", "operands of different lengths");
    return NULL;
  }
  select_job j = {condition.data, a.data, b.data, out.data};
  gpt2_parallel_for((int64_t)n, PARALLEL_ELEMENTS, select_range, &j);
  return NULL;
}

#define MAX_ADDN 256

typedef struct {
  const float *inputs[MAX_ADDN];
  int count;
  float *out;
} addn_job;

HOT static void addn_range(void *context, int64_t begin, int64_t end) {
  const addn_job *j = (const addn_job *)context;
  float *out = j->out;
  const float *first = j->inputs[0];
  for (int64_t i = begin; i < end; i++) out[i] = first[i];
  for (int k = 1; k < j->count; k++) {
    const float *in = j->inputs[k];
    for (int64_t i = begin; i < end; i++) out[i] += in[i];
  }
}

/* addN(inputs, out): out = Σ inputs, Float32Arrays of one length. */
static napi_value js_add_n(napi_env env, napi_callback_info info) {
  ARGS(2, "addN");
  addn_job j;
  uint32_t count = 0;
  bool is_array = false;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &count) != napi_ok || count < 1 || count > MAX_ADDN) {
    fail(env, "addN", "inputs must be an array of 1 to 256 Float32Arrays");
    return NULL;
  }
  view out;
  if (!get_view(env, argv[1], napi_float32_array, "addN", &out)) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    view input;
    if (napi_get_element(env, argv[0], i, &element) != napi_ok ||
        !get_view(env, element, napi_float32_array, "addN", &input))
      return NULL;
    if (input.length < out.length) {
      range_fail(env, "addN", "an input is shorter than the output");
      return NULL;
    }
    j.inputs[i] = input.data;
  }
  j.count = (int)count;
  j.out = out.data;
  gpt2_parallel_for((int64_t)out.length, PARALLEL_ELEMENTS, addn_range, &j);
  return NULL;
}

typedef struct {
  const void *x;
  void *out;
  int from, to; /* 0 float32, 1 int32, 2 bool (uint8) */
} cast_job;

HOT static void cast_range(void *context, int64_t begin, int64_t end) {
  const cast_job *j = (const cast_job *)context;
  if (j->from == 1 && j->to == 0) {
    const int32_t *x = j->x;
    float *o = j->out;
    for (int64_t i = begin; i < end; i++) o[i] = (float)x[i];
  } else if (j->from == 2 && j->to == 0) {
    const uint8_t *x = j->x;
    float *o = j->out;
    for (int64_t i = begin; i < end; i++) o[i] = (float)x[i];
  } else if (j->from == 0 && j->to == 2) {
    const float *x = j->x;
    uint8_t *o = j->out;
    for (int64_t i = begin; i < end; i++) o[i] = x[i] != 0.0f;
  } else if (j->from == 1 && j->to == 2) {
    const int32_t *x = j->x;
    uint8_t *o = j->out;
    for (int64_t i = begin; i < end; i++) o[i] = x[i] != 0;
  } else if (j->from == 2 && j->to == 1) {
    const uint8_t *x = j->x;
    int32_t *o = j->out;
    for (int64_t i = begin; i < end; i++) o[i] = x[i];
  }
}

static int cast_kind(napi_typedarray_type type) {
  return type == napi_float32_array ? 0 : type == napi_int32_array ? 1 : type == napi_uint8_array ? 2 : -1;
}

/* cast(x, out): float32/int32/bool conversions by the two arrays' types (not float32 → int32). */
static napi_value js_cast(napi_env env, napi_callback_info info) {
  ARGS(2, "cast");
  view x, out;
  if (!get_view(env, argv[0], -2, "cast", &x) || !get_view(env, argv[1], -2, "cast", &out)) return NULL;
  cast_job j = {x.data, out.data, cast_kind(x.type), cast_kind(out.type)};
  bool supported = (j.from == 1 && j.to == 0) || (j.from == 2 && j.to == 0) || (j.from == 0 && j.to == 2) ||
                   (j.from == 1 && j.to == 2) || (j.from == 2 && j.to == 1);
  if (!supported || out.length < x.length) {
    range_fail(env, "cast", "unsupported conversion or short output");
    return NULL;
  }
  gpt2_parallel_for((int64_t)x.length, PARALLEL_ELEMENTS, cast_range, &j);
  return NULL;
}

/* ---------------------------------------------------------------- AdamW */

typedef struct {
  const float *p, *m, *v, *g;
  float *p_out, *m_out, *v_out;
  float b1, one_minus_b1, b2, one_minus_b2, eps, minus_step, bc2, decay, scale;
} adamw_job;

/* The same float32 operations, in the same order, as the wasm kernel and the op chain. */
HOT static void adamw_range(void *context, int64_t begin, int64_t end) {
  const adamw_job *j = (const adamw_job *)context;
  for (int64_t i = begin; i < end; i++) {
    float grad = j->g[i] * j->scale;
    float decayed = j->p[i] * j->decay;
    float m = j->m[i] * j->b1 + grad * j->one_minus_b1;
    float v = j->v[i] * j->b2 + (grad * grad) * j->one_minus_b2;
    float denominator = sqrtf(v) / j->bc2 + j->eps;
    j->p_out[i] = decayed + (m / denominator) * j->minus_step;
    j->m_out[i] = m;
    j->v_out[i] = v;
  }
}

/*
 * adamw(param, m, v, grad, paramOut, mOut, vOut, beta1, beta2, eps, stepSize,
 * biasCorrection2Sqrt, decay, gradScale): one AdamW step (see AdamWUpdateAttrs).
 */
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  ARGS(14, "adamw");
  view arrays[7];
  for (int i = 0; i < 7; i++) {
    if (!get_view(env, argv[i], napi_float32_array, "adamw", &arrays[i])) return NULL;
    if (arrays[i].length != arrays[0].length) {
      range_fail(env, "adamw", "arrays of different lengths");
      return NULL;
    }
  }
  double beta1 = get_double(env, argv[7]), beta2 = get_double(env, argv[8]);
  adamw_job j = {arrays[0].data, arrays[1].data, arrays[2].data, arrays[3].data, arrays[4].data, arrays[5].data,
                 arrays[6].data, (float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
                 (float)get_double(env, argv[9]), (float)(-get_double(env, argv[10])),
                 (float)get_double(env, argv[11]), (float)get_double(env, argv[12]),
                 (float)get_double(env, argv[13])};
  gpt2_parallel_for((int64_t)arrays[0].length, PARALLEL_ELEMENTS, adamw_range, &j);
  return NULL;
}

/* ------------------------------------------------------------ housekeeping */

/* release(typedArray): detach its ArrayBuffer, freeing the memory now rather than at the next GC. */
static napi_value js_release(napi_env env, napi_callback_info info) {
  ARGS(1, "release");
  bool is_typed = false;
  napi_value buffer = argv[0];
  if (napi_is_typedarray(env, argv[0], &is_typed) == napi_ok && is_typed) {
    if (napi_get_typedarray_info(env, argv[0], NULL, NULL, NULL, &buffer, NULL) != napi_ok) return NULL;
  }
  bool is_buffer = false, detached = false;
  if (napi_is_arraybuffer(env, buffer, &is_buffer) != napi_ok || !is_buffer) return NULL;
  if (napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && !detached) {
    napi_detach_arraybuffer(env, buffer);
  }
  return NULL;
}

/* poolThreads(): the kernel threads (the caller included). */
static napi_value js_pool_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_int32(env, gpt2_pool_threads(), &out);
  return out;
}

/* setPoolThreads(n): restart the pool with n threads (the caller included). */
static napi_value js_set_pool_threads(napi_env env, napi_callback_info info) {
  ARGS(1, "setPoolThreads");
  int64_t threads = get_int(env, argv[0]);
  if (threads < 1 || threads > 64) {
    range_fail(env, "setPoolThreads", "expected an integer in [1, 64]");
    return NULL;
  }
  gpt2_pool_resize((int)threads);
  return js_pool_threads(env, info);
}

/* setPoolSpin(ns): how long idle kernel threads spin before sleeping. */
static napi_value js_set_pool_spin(napi_env env, napi_callback_info info) {
  ARGS(1, "setPoolSpin");
  gpt2_pool_set_spin(get_int(env, argv[0]));
  return NULL;
}

napi_status gpt2_kernels_init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"matmul", NULL, js_matmul, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, js_binary, NULL, NULL, NULL, napi_default, NULL},
      {"unary", NULL, js_unary, NULL, NULL, NULL, napi_default, NULL},
      {"reduce", NULL, js_reduce, NULL, NULL, NULL, napi_default, NULL},
      {"softmax", NULL, js_softmax, NULL, NULL, NULL, napi_default, NULL},
      {"copyStrided", NULL, js_copy_strided, NULL, NULL, NULL, napi_default, NULL},
      {"gather", NULL, js_gather, NULL, NULL, NULL, napi_default, NULL},
      {"scatterAdd", NULL, js_scatter_add, NULL, NULL, NULL, napi_default, NULL},
      {"concat", NULL, js_concat, NULL, NULL, NULL, napi_default, NULL},
      {"select", NULL, js_select, NULL, NULL, NULL, napi_default, NULL},
      {"addN", NULL, js_add_n, NULL, NULL, NULL, napi_default, NULL},
      {"cast", NULL, js_cast, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, js_adamw, NULL, NULL, NULL, napi_default, NULL},
      {"release", NULL, js_release, NULL, NULL, NULL, napi_default, NULL},
      {"poolThreads", NULL, js_pool_threads, NULL, NULL, NULL, napi_default, NULL},
      {"setPoolThreads", NULL, js_set_pool_threads, NULL, NULL, NULL, napi_default, NULL},
      {"setPoolSpin", NULL, js_set_pool_spin, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}
