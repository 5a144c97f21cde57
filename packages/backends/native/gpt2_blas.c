/*
 * gpt2_blas: an optional Node-API addon that runs matrix products on OpenBLAS
 * directly on the tfjs wasm heap (zero copy). @gpt2/backends uses it, when it
 * loads, for the wasm backend's BatchMatMul and Sum kernels; the same addon
 * carries the native backend's kernels (gpt2_kernels.c, gpt2_pool.c).
 *
 * OpenBLAS is opened with dlopen at load time rather than linked, so the
 * addon builds without BLAS headers or development packages, and reports
 * plainly when the library is missing instead of failing to load.
 *
 * Every entry point takes the heap (an ArrayBuffer) and byte offsets into it,
 * and checks that each operand lies inside the buffer before touching it.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <node_api.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gpt2_native.h"

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void (*sgemm_fn)(int order, int transA, int transB, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);
typedef void (*set_threads_fn)(int threads);
typedef int (*get_threads_fn)(void);
typedef char *(*get_config_fn)(void);
typedef char *(*get_corename_fn)(void);

static sgemm_fn sgemm;
static set_threads_fn set_threads;
static get_threads_fn get_threads;
static get_config_fn get_config;
static get_corename_fn get_corename;
static const char *library;

/* The same entry points for the native backend's kernels (gpt2_kernels.c). */
gpt2_sgemm_fn gpt2_sgemm;
void (*gpt2_blas_set_threads)(int threads);
int (*gpt2_blas_get_threads)(void);

static const char *CANDIDATES[] = {
    "libopenblas.so.0",
    "libopenblas.so",
    "libopenblas.0.dylib",
    "libopenblas.dylib",
    "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
    "/usr/local/opt/openblas/lib/libopenblas.dylib",
    NULL,
};

static int load_openblas(void) {
  for (const char **name = CANDIDATES; *name != NULL; name++) {
    void *handle = dlopen(*name, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) continue;
    sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    if (sgemm == NULL) {
      dlclose(handle);
      continue;
    }
    set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    get_threads = (get_threads_fn)dlsym(handle, "openblas_get_num_threads");
    get_config = (get_config_fn)dlsym(handle, "openblas_get_config");
    get_corename = (get_corename_fn)dlsym(handle, "openblas_get_corename");
    library = *name;
    return 1;
  }
  return 0;
}

/* Points the native backend's kernels at OpenBLAS (when loaded and wanted) or the built-in sgemm; returns which. */
static const char *select_blas(int want_openblas) {
  if (want_openblas && sgemm != NULL) {
    gpt2_sgemm = (gpt2_sgemm_fn)sgemm;
    gpt2_blas_set_threads = set_threads;
    gpt2_blas_get_threads = get_threads;
    return "openblas";
  }
  gpt2_sgemm = gpt2_builtin_sgemm;
  gpt2_blas_set_threads = NULL;
  gpt2_blas_get_threads = NULL;
  return "builtin";
}

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "gpt2_blas: Node-API call failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static int64_t int_arg(napi_env env, napi_value value) {
  int64_t out = -1;
  napi_get_value_int64(env, value, &out);
  return out;
}

static int bool_arg(napi_env env, napi_value value) {
  bool out = false;
  napi_get_value_bool(env, value, &out);
  return out ? 1 : 0;
}

static double number_arg(napi_env env, napi_value value) {
  double out = NAN;
  napi_get_value_double(env, value, &out);
  return out;
}

/* True when a rows × cols row-major operand with leading dimension ld, at byte
 * offset, lies inside a heap of `length` bytes. */
static int fits(int64_t offset, int64_t rows, int64_t cols, int64_t ld, size_t length) {
  if (offset < 0 || rows < 0 || cols < 0 || ld < cols || offset % 4 != 0) return 0;
  if (rows == 0 || cols == 0) return 1;
  int64_t last = offset + ((rows - 1) * ld + cols) * 4;
  return last <= (int64_t)length;
}

/* sgemm(heap, transA, transB, m, n, k, aOffset, lda, bOffset, ldb, cOffset, ldc):
 * C[m, n] = op(A) @ op(B), row-major, offsets in bytes. */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 12) {
    napi_throw_type_error(env, NULL, "gpt2_blas.sgemm: expected 12 arguments");
    return NULL;
  }
  void *data = NULL;
  size_t length = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "gpt2_blas.sgemm: the heap must be an ArrayBuffer");
    return NULL;
  }
  int transA = bool_arg(env, argv[1]);
  int transB = bool_arg(env, argv[2]);
  int64_t m = int_arg(env, argv[3]), n = int_arg(env, argv[4]), k = int_arg(env, argv[5]);
  int64_t aOffset = int_arg(env, argv[6]), lda = int_arg(env, argv[7]);
  int64_t bOffset = int_arg(env, argv[8]), ldb = int_arg(env, argv[9]);
  int64_t cOffset = int_arg(env, argv[10]), ldc = int_arg(env, argv[11]);
  int ok = m >= 0 && n >= 0 && k >= 0 && m <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX &&
           fits(aOffset, transA ? k : m, transA ? m : k, lda, length) &&
           fits(bOffset, transB ? n : k, transB ? k : n, ldb, length) &&
           fits(cOffset, m, n, ldc, length);
  if (!ok) {
    napi_throw_range_error(env, NULL, "gpt2_blas.sgemm: an operand lies outside the heap");
    return NULL;
  }
  if (sgemm == NULL) {
    napi_throw_error(env, NULL, "gpt2_blas.sgemm: OpenBLAS is not loaded");
    return NULL;
  }
  char *heap = (char *)data;
  sgemm(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS, transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
        (int)m, (int)n, (int)k, 1.0f, (const float *)(heap + aOffset), (int)lda,
        (const float *)(heap + bOffset), (int)ldb, 0.0f, (float *)(heap + cOffset), (int)ldc);
  return NULL;
}

/* A Float32Array argument: its floats and their count; false (a TypeError thrown) otherwise. */
static int float32_arg(napi_env env, napi_value value, float **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *values = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, &values, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "gpt2_blas.gemm: a, b and c must be Float32Arrays");
    return 0;
  }
  *data = (float *)values;
  return 1;
}

/* gemm(library, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): one single-threaded
 * cblas_sgemm call, row-major, on Float32Arrays, with 'builtin' or 'openblas' (when found): for tests
 * and benchmarks of the sgemm itself, whatever useBlas chose. */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char which[16] = "";
  size_t length = 0;
  if (argc != 14 || napi_get_value_string_utf8(env, argv[0], which, sizeof which, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "gpt2_blas.gemm: expected (library, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)");
    return NULL;
  }
  gpt2_sgemm_fn fn = strcmp(which, "builtin") == 0 ? gpt2_builtin_sgemm
                     : strcmp(which, "openblas") == 0 ? (gpt2_sgemm_fn)sgemm
                                                      : NULL;
  if (fn == NULL) {
    napi_throw_error(env, NULL, strcmp(which, "openblas") == 0 ? "gpt2_blas.gemm: OpenBLAS is not loaded"
                                                               : "gpt2_blas.gemm: library must be 'builtin' or 'openblas'");
    return NULL;
  }
  int transA = bool_arg(env, argv[1]), transB = bool_arg(env, argv[2]);
  int64_t m = int_arg(env, argv[3]), n = int_arg(env, argv[4]), k = int_arg(env, argv[5]);
  double alpha = number_arg(env, argv[6]), beta = number_arg(env, argv[11]);
  int64_t lda = int_arg(env, argv[8]), ldb = int_arg(env, argv[10]), ldc = int_arg(env, argv[13]);
  float *a, *b, *c;
  size_t na, nb, nc;
  if (!float32_arg(env, argv[7], &a, &na) || !float32_arg(env, argv[9], &b, &nb) ||
      !float32_arg(env, argv[12], &c, &nc))
    return NULL;
  int ok = m >= 0 && n >= 0 && k >= 0 && m <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX &&
           lda <= INT32_MAX && ldb <= INT32_MAX && ldc <= INT32_MAX &&
           fits(0, transA ? k : m, transA ? m : k, lda, na * 4) && fits(0, transB ? n : k, transB ? k : n, ldb, nb * 4) &&
           fits(0, m, n, ldc, nc * 4);
  if (!ok) {
    napi_throw_range_error(env, NULL, "gpt2_blas.gemm: bad sizes, or an operand is shorter than its sizes");
    return NULL;
  }
  if (fn == (gpt2_sgemm_fn)sgemm && get_threads != NULL && set_threads != NULL && get_threads() != 1) set_threads(1);
  fn(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS, transB ? CBLAS_TRANS : CBLAS_NO_TRANS, (int)m, (int)n,
     (int)k, (float)alpha, a, (int)lda, b, (int)ldb, (float)beta, c, (int)ldc);
  return NULL;
}

/* One worker's share of a batch of products: slices [begin, end). */
typedef struct {
  char *heap;
  int transA, transB, m, n, k, lda, ldb, ldc;
  const double *a, *b, *c;
  int64_t begin, end;
} batch_share;

static void *run_share(void *arg) {
  const batch_share *s = (const batch_share *)arg;
  for (int64_t i = s->begin; i < s->end; i++) {
    sgemm(CBLAS_ROW_MAJOR, s->transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
          s->transB ? CBLAS_TRANS : CBLAS_NO_TRANS, s->m, s->n, s->k, 1.0f,
          (const float *)(s->heap + (int64_t)s->a[i]), s->lda,
          (const float *)(s->heap + (int64_t)s->b[i]), s->ldb, 0.0f,
          (float *)(s->heap + (int64_t)s->c[i]), s->ldc);
  }
  return NULL;
}

#define MAX_BATCH_THREADS 64

/* sgemmBatch(heap, transA, transB, m, n, k, lda, ldb, ldc, aOffsets, bOffsets, cOffsets, threads):
 * C_i = op(A_i) @ op(B_i) for every i, the byte offsets in three Float64Arrays.
 * The slices are shared out over `threads` threads, each running single-threaded
 * sgemms: OpenBLAS's own threads cost more than they give on products this small
 * (attention's [T, hd] @ [hd, T] per head ran 2× slower on 2 threads than on 1). */
static napi_value js_sgemm_batch(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  size_t length = 0;
  if (argc != 13 || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "gpt2_blas.sgemmBatch: expected 13 arguments, the heap first");
    return NULL;
  }
  int transA = bool_arg(env, argv[1]);
  int transB = bool_arg(env, argv[2]);
  int64_t m = int_arg(env, argv[3]), n = int_arg(env, argv[4]), k = int_arg(env, argv[5]);
  int64_t lda = int_arg(env, argv[6]), ldb = int_arg(env, argv[7]), ldc = int_arg(env, argv[8]);
  const double *offsets[3];
  size_t counts[3];
  for (int j = 0; j < 3; j++) {
    napi_typedarray_type type;
    void *values = NULL;
    if (napi_get_typedarray_info(env, argv[9 + j], &type, &counts[j], &values, NULL, NULL) !=
            napi_ok ||
        type != napi_float64_array) {
      napi_throw_type_error(env, NULL, "gpt2_blas.sgemmBatch: offsets must be Float64Arrays");
      return NULL;
    }
    offsets[j] = (const double *)values;
  }
  int64_t threads = int_arg(env, argv[12]);
  int64_t batch = (int64_t)counts[0];
  int ok = counts[1] == counts[0] && counts[2] == counts[0] && m >= 0 && n >= 0 && k >= 0 &&
           m <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX && threads >= 1;
  for (int64_t i = 0; ok && i < batch; i++) {
    ok = fits((int64_t)offsets[0][i], transA ? k : m, transA ? m : k, lda, length) &&
         fits((int64_t)offsets[1][i], transB ? n : k, transB ? k : n, ldb, length) &&
         fits((int64_t)offsets[2][i], m, n, ldc, length);
  }
  if (!ok) {
    napi_throw_range_error(env, NULL, "gpt2_blas.sgemmBatch: bad sizes, or an operand lies outside the heap");
    return NULL;
  }
  if (sgemm == NULL) {
    napi_throw_error(env, NULL, "gpt2_blas.sgemmBatch: OpenBLAS is not loaded");
    return NULL;
  }
  if (threads > batch) threads = batch;
  if (threads > MAX_BATCH_THREADS) threads = MAX_BATCH_THREADS;
  if (threads < 1) return NULL; /* an empty batch */
  int saved = get_threads != NULL ? get_threads() : 1;
  if (set_threads != NULL && saved != 1) set_threads(1);
  batch_share shares[MAX_BATCH_THREADS];
  pthread_t workers[MAX_BATCH_THREADS];
  int started[MAX_BATCH_THREADS] = {0};
  for (int64_t t = 0; t < threads; t++) {
    batch_share share = {(char *)data, transA, transB, (int)m, (int)n, (int)k, (int)lda,
                         (int)ldb, (int)ldc, offsets[0], offsets[1], offsets[2],
                         batch * t / threads, batch * (t + 1) / threads};
    shares[t] = share;
  }
  /* Workers take shares 1.., this thread share 0; a worker that fails to start
   * leaves its share to this thread. */
  for (int64_t t = 1; t < threads; t++) {
    started[t] = pthread_create(&workers[t], NULL, run_share, &shares[t]) == 0;
  }
  run_share(&shares[0]);
  for (int64_t t = 1; t < threads; t++) {
    if (started[t]) pthread_join(workers[t], NULL);
    else run_share(&shares[t]);
  }
  if (set_threads != NULL && saved != 1) set_threads(saved);
  return NULL;
}

/* sumRows(heap, xOffset, rows, cols, outOffset): out[c] = Σ_r x[r, c]. */
static napi_value js_sum_rows(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  size_t length = 0;
  if (argc != 5 || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "gpt2_blas.sumRows: expected (heap, xOffset, rows, cols, outOffset)");
    return NULL;
  }
  int64_t xOffset = int_arg(env, argv[1]), rows = int_arg(env, argv[2]);
  int64_t cols = int_arg(env, argv[3]), outOffset = int_arg(env, argv[4]);
  if (!fits(xOffset, rows, cols, cols, length) || !fits(outOffset, 1, cols, cols, length)) {
    napi_throw_range_error(env, NULL, "gpt2_blas.sumRows: an operand lies outside the heap");
    return NULL;
  }
  const float *x = (const float *)((char *)data + xOffset);
  float *out = (float *)((char *)data + outOffset);
  memset(out, 0, (size_t)cols * sizeof(float));
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * cols;
    for (int64_t c = 0; c < cols; c++) out[c] += row[c];
  }
  return NULL;
}

/* adamwUpdate(heap, [param, m, v, grad, paramOut, mOut, vOut] byte offsets (Float64Array),
 * size, beta1, beta2, eps, stepSize, biasCorrection2Sqrt, decay, gradScale):
 * one AdamW step in float32, in the order of torch.optim.AdamW (and of
 * @gpt2/trainer's op chain), each operation rounded to float32 as the chain's
 * kernels round it, so the results are the same bit for bit. */
static napi_value js_adamw_update(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  size_t length = 0;
  napi_typedarray_type type;
  size_t count = 0;
  void *values = NULL;
  if (argc != 10 || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &count, &values, NULL, NULL) != napi_ok ||
      type != napi_float64_array || count != 7) {
    napi_throw_type_error(env, NULL,
                          "gpt2_blas.adamwUpdate: expected (heap, Float64Array of 7 offsets, size, "
                          "beta1, beta2, eps, stepSize, biasCorrection2Sqrt, decay, gradScale)");
    return NULL;
  }
  const double *offsets = (const double *)values;
  int64_t size = int_arg(env, argv[2]);
  for (int j = 0; j < 7; j++) {
    if (!fits((int64_t)offsets[j], 1, size, size, length)) {
      napi_throw_range_error(env, NULL, "gpt2_blas.adamwUpdate: an operand lies outside the heap");
      return NULL;
    }
  }
  char *heap = (char *)data;
  const float *p = (const float *)(heap + (int64_t)offsets[0]);
  const float *m = (const float *)(heap + (int64_t)offsets[1]);
  const float *v = (const float *)(heap + (int64_t)offsets[2]);
  const float *g = (const float *)(heap + (int64_t)offsets[3]);
  float *pOut = (float *)(heap + (int64_t)offsets[4]);
  float *mOut = (float *)(heap + (int64_t)offsets[5]);
  float *vOut = (float *)(heap + (int64_t)offsets[6]);
  /* The scalars as the chain sees them: float32 tensors made from doubles. */
  double beta1 = number_arg(env, argv[3]), beta2 = number_arg(env, argv[4]);
  const float b1 = (float)beta1, oneMinusB1 = (float)(1 - beta1);
  const float b2 = (float)beta2, oneMinusB2 = (float)(1 - beta2);
  const float eps = (float)number_arg(env, argv[5]);
  const float minusStep = (float)(-number_arg(env, argv[6]));
  const float bc2 = (float)number_arg(env, argv[7]);
  const float decay = (float)number_arg(env, argv[8]);
  const float scale = (float)number_arg(env, argv[9]);
  /* x·1 is exact, so decay = 1 and scale = 1 need no branch to match a chain that skips them. */
  for (int64_t i = 0; i < size; i++) {
    float grad = g[i] * scale;
    float decayed = p[i] * decay;
    float mNew = m[i] * b1 + grad * oneMinusB1;
    float vNew = v[i] * b2 + (grad * grad) * oneMinusB2;
    float denominator = sqrtf(vNew) / bc2 + eps;
    pOut[i] = decayed + (mNew / denominator) * minusStep;
    mOut[i] = mNew;
    vOut[i] = vNew;
  }
  return NULL;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t threads = argc == 1 ? int_arg(env, argv[0]) : -1;
  if (threads < 1 || threads > 1024) {
    napi_throw_range_error(env, NULL, "gpt2_blas.setThreads: expected an integer in [1, 1024]");
    return NULL;
  }
  if (set_threads != NULL) set_threads((int)threads);
  return NULL;
}

static napi_value js_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_int32(env, get_threads != NULL ? get_threads() : 0, &out));
  return out;
}

static napi_value describe_library(napi_env env, const char *name, const char *config, const char *core) {
  napi_value out, value;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &value));
  CHECK(napi_set_named_property(env, out, "library", value));
  CHECK(napi_create_string_utf8(env, config, NAPI_AUTO_LENGTH, &value));
  CHECK(napi_set_named_property(env, out, "config", value));
  CHECK(napi_create_string_utf8(env, core, NAPI_AUTO_LENGTH, &value));
  CHECK(napi_set_named_property(env, out, "core", value));
  return out;
}

/* openblas(): { library, config, core } of OpenBLAS, or null when it was not found (whatever useBlas chose). */
static napi_value js_openblas(napi_env env, napi_callback_info info) {
  (void)info;
  if (sgemm == NULL) {
    napi_value out;
    CHECK(napi_get_null(env, &out));
    return out;
  }
  return describe_library(env, library, get_config != NULL ? get_config() : "",
                          get_corename != NULL ? get_corename() : "");
}

/* describe(): { library, config, core } of the sgemm the native backend's kernels use: OpenBLAS, or
 * { library: 'builtin', config: 'built-in sgemm (AVX2)', core: 'AVX2' }. */
static napi_value js_describe(napi_env env, napi_callback_info info) {
  if (gpt2_sgemm == (gpt2_sgemm_fn)sgemm && sgemm != NULL) return js_openblas(env, info);
  char config[64];
  const char *level = gpt2_builtin_sgemm_level();
  snprintf(config, sizeof config, "built-in sgemm (%s)", level);
  return describe_library(env, "builtin", config, level);
}

/* useBlas(which?): 'openblas' (when found), 'builtin', or 'auto'/undefined (OpenBLAS when found) for
 * the native backend's kernels; returns the one in effect. The wasm kernels always use OpenBLAS. */
static napi_value js_use_blas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char which[16] = "auto";
  napi_valuetype type = napi_undefined;
  if (argc >= 1) CHECK(napi_typeof(env, argv[0], &type));
  if (type == napi_string) {
    size_t length = 0;
    CHECK(napi_get_value_string_utf8(env, argv[0], which, sizeof which, &length));
  } else if (type != napi_undefined && type != napi_null) {
    napi_throw_type_error(env, NULL, "gpt2_blas.useBlas: expected 'auto', 'openblas' or 'builtin'");
    return NULL;
  }
  int builtin = strcmp(which, "builtin") == 0;
  if (!builtin && strcmp(which, "openblas") != 0 && strcmp(which, "auto") != 0) {
    napi_throw_range_error(env, NULL, "gpt2_blas.useBlas: expected 'auto', 'openblas' or 'builtin'");
    return NULL;
  }
  napi_value out;
  CHECK(napi_create_string_utf8(env, select_blas(!builtin), NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  load_openblas();
  select_blas(1);
  napi_property_descriptor properties[] = {
      {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"sgemmBatch", NULL, js_sgemm_batch, NULL, NULL, NULL, napi_default, NULL},
      {"adamwUpdate", NULL, js_adamw_update, NULL, NULL, NULL, napi_default, NULL},
      {"sumRows", NULL, js_sum_rows, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, js_threads, NULL, NULL, NULL, napi_default, NULL},
      {"describe", NULL, js_describe, NULL, NULL, NULL, napi_default, NULL},
      {"openblas", NULL, js_openblas, NULL, NULL, NULL, napi_default, NULL},
      {"useBlas", NULL, js_use_blas, NULL, NULL, NULL, napi_default, NULL},
      {"gemm", NULL, js_gemm, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties) !=
      napi_ok) {
    return NULL;
  }
  if (gpt2_kernels_init(env, exports) != napi_ok || gpt2_fused_init(env, exports) != napi_ok ||
      gpt2_decode_init(env, exports) != napi_ok || gpt2_memory_init(env, exports) != napi_ok)
    return NULL;
  return exports;
}

#ifndef NODE_GYP_MODULE_NAME
#define NODE_GYP_MODULE_NAME gpt2_blas
#endif

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
