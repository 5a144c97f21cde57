/*
 * One instruction-set level of the built-in sgemm (gpt2_gemm.c includes this
 * file once per level, inside a `#pragma GCC target` region, with these set):
 *
 *   GEMM_SUFFIX  name suffix of this level's functions (sse, avx2, …)
 *   GEMM_WIDTH   floats per vector register (4, 8, 16)
 *   GEMM_NV      vectors per micro-tile row: NR = GEMM_NV · GEMM_WIDTH columns
 *   GEMM_MR      rows per micro-tile (MR · NV accumulators + NV + 1 must fit the registers)
 *   GEMM_MC, GEMM_KC, GEMM_NC  cache blocks (L2 holds an MC × KC block of A,
 *                L1 a KC × NR sliver of B, L3 a KC × NC block of B)
 *
 * The BLIS loop nest: for each NC block of columns, each KC block of the
 * inner dimension: pack op(B) into NR-column slivers; for each MC block of
 * rows: pack alpha·op(A) into MR-row slivers; then one MR × NR micro-tile
 * per (sliver of A, sliver of B), accumulated in registers over KC.
 */
#define GEMM_CAT2(a, b) a##_##b
#define GEMM_CAT(a, b) GEMM_CAT2(a, b)
#define GEMM_NAME(name) GEMM_CAT(name, GEMM_SUFFIX)
#define GEMM_NR (GEMM_NV * GEMM_WIDTH)

typedef float GEMM_NAME(vec) __attribute__((vector_size(GEMM_WIDTH * 4)));

static inline GEMM_NAME(vec) GEMM_NAME(load)(const float *p) {
  GEMM_NAME(vec) v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void GEMM_NAME(store)(float *p, GEMM_NAME(vec) v) { memcpy(p, &v, sizeof v); }

/* rows [i0, i0 + mc) × columns [p0, p0 + kc) of alpha·op(A), in MR-row slivers, rows past m zero. */
static void GEMM_NAME(pack_a)(int ta, const float *a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                              float alpha, float *restrict out) {
  for (int64_t i = 0; i < mc; i += GEMM_MR) {
    const int64_t rows = mc - i < GEMM_MR ? mc - i : GEMM_MR;
    float *restrict sliver = out + i * kc;
    if (ta) {
      /* op(A)[r][p] = A[p][r]: each p reads `rows` contiguous floats. */
      for (int64_t p = 0; p < kc; p++) {
        const float *src = a + (p0 + p) * lda + i0 + i;
        float *restrict dst = sliver + p * GEMM_MR;
        int64_t r = 0;
        for (; r < rows; r++) dst[r] = alpha * src[r];
        for (; r < GEMM_MR; r++) dst[r] = 0.0f;
      }
    } else {
      const float *src = a + (i0 + i) * lda + p0;
      if (rows == GEMM_MR) {
        /* Write the sliver in order, reading MR rows side by side. */
        for (int64_t p = 0; p < kc; p++)
          for (int r = 0; r < GEMM_MR; r++) sliver[p * GEMM_MR + r] = alpha * src[r * lda + p];
      } else {
        for (int64_t p = 0; p < kc; p++) {
          int64_t r = 0;
          for (; r < rows; r++) sliver[p * GEMM_MR + r] = alpha * src[r * lda + p];
          for (; r < GEMM_MR; r++) sliver[p * GEMM_MR + r] = 0.0f;
        }
      }
    }
  }
}

/* rows [p0, p0 + kc) × columns [j0, j0 + nc) of op(B), in NR-column slivers, columns past n zero. */
static void GEMM_NAME(pack_b)(int tb, const float *b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                              float *restrict out) {
  for (int64_t j = 0; j < nc; j += GEMM_NR) {
    const int64_t cols = nc - j < GEMM_NR ? nc - j : GEMM_NR;
    float *restrict sliver = out + j * kc;
    if (tb) {
      /* op(B)[p][c] = B[c][p]: each column reads kc contiguous floats. */
      for (int64_t c = 0; c < cols; c++) {
        const float *src = b + (j0 + j + c) * ldb + p0;
        for (int64_t p = 0; p < kc; p++) sliver[p * GEMM_NR + c] = src[p];
      }
      for (int64_t c = cols; c < GEMM_NR; c++)
        for (int64_t p = 0; p < kc; p++) sliver[p * GEMM_NR + c] = 0.0f;
    } else if (cols == GEMM_NR) {
      for (int64_t p = 0; p < kc; p++) memcpy(sliver + p * GEMM_NR, b + (p0 + p) * ldb + j0 + j, GEMM_NR * sizeof(float));
    } else {
      for (int64_t p = 0; p < kc; p++) {
        const float *src = b + (p0 + p) * ldb + j0 + j;
        float *restrict dst = sliver + p * GEMM_NR;
        int64_t c = 0;
        for (; c < cols; c++) dst[c] = src[c];
        for (; c < GEMM_NR; c++) dst[c] = 0.0f;
      }
    }
  }
}

/*
 * C[0:mr, 0:nr] = beta·C + alpha·Σ_p a[·, p]·b[p] for MR rows of A (element
 * (r, p) at a[r·ars + p·acs]: a packed sliver has ars 1, acs MR) and one
 * NR-column sliver of B, kc deep (all MR rows of A are read). beta 0
 * never reads C (it may hold NaNs). Inlined, so the packed case gets its
 * strides as constants.
 */
static inline __attribute__((always_inline)) void GEMM_NAME(micro)(int64_t kc, const float *restrict a, int64_t ars,
                                                                    int64_t acs, const float *restrict b, float *c,
                                                                    int64_t ldc, int64_t mr, int64_t nr, float alpha,
                                                                    float beta) {
  GEMM_NAME(vec) acc[GEMM_MR][GEMM_NV];
  /* C's rows are often 4 KiB apart (ldc 1024) and would evict each other: fetch them while the sums run. */
  for (int64_t r = 0; r < mr; r++) {
    __builtin_prefetch(c + r * ldc, 1);
    __builtin_prefetch(c + r * ldc + GEMM_NR - 1, 1);
  }
  for (int r = 0; r < GEMM_MR; r++)
    for (int v = 0; v < GEMM_NV; v++) acc[r][v] = (GEMM_NAME(vec)){0};
  for (int64_t p = 0; p < kc; p++) {
    GEMM_NAME(vec) bv[GEMM_NV];
    for (int v = 0; v < GEMM_NV; v++) bv[v] = GEMM_NAME(load)(b + p * GEMM_NR + v * GEMM_WIDTH);
    for (int r = 0; r < GEMM_MR; r++) {
      const float ar = a[r * ars + p * acs];
      for (int v = 0; v < GEMM_NV; v++) acc[r][v] += bv[v] * ar;
    }
  }
  if (alpha != 1.0f)
    for (int r = 0; r < GEMM_MR; r++)
      for (int v = 0; v < GEMM_NV; v++) acc[r][v] *= alpha;
  if (mr == GEMM_MR && nr == GEMM_NR) {
    for (int r = 0; r < GEMM_MR; r++) {
      float *row = c + r * ldc;
      for (int v = 0; v < GEMM_NV; v++) {
        float *at = row + v * GEMM_WIDTH;
        if (beta == 0.0f) GEMM_NAME(store)(at, acc[r][v]);
        else if (beta == 1.0f) GEMM_NAME(store)(at, GEMM_NAME(load)(at) + acc[r][v]);
        else GEMM_NAME(store)(at, GEMM_NAME(load)(at) * beta + acc[r][v]);
      }
    }
    return;
  }
  float tile[GEMM_MR * GEMM_NR];
  for (int r = 0; r < GEMM_MR; r++)
    for (int v = 0; v < GEMM_NV; v++) GEMM_NAME(store)(tile + r * GEMM_NR + v * GEMM_WIDTH, acc[r][v]);
  for (int64_t r = 0; r < mr; r++) {
    float *row = c + r * ldc;
    const float *t = tile + r * GEMM_NR;
    if (beta == 0.0f)
      for (int64_t x = 0; x < nr; x++) row[x] = t[x];
    else if (beta == 1.0f)
      for (int64_t x = 0; x < nr; x++) row[x] += t[x];
    else
      for (int64_t x = 0; x < nr; x++) row[x] = beta * row[x] + t[x];
  }
}

/* C = alpha·op(A)·op(B) + beta·C, row-major, m, n, k ≥ 1; false when the packing buffers cannot be allocated. */
static int GEMM_NAME(gemm)(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                           int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  const int64_t mc_max = m < GEMM_MC ? (m + GEMM_MR - 1) / GEMM_MR * GEMM_MR : GEMM_MC;
  const int64_t nc_max = n < GEMM_NC ? (n + GEMM_NR - 1) / GEMM_NR * GEMM_NR : GEMM_NC;
  const int64_t kc_max = k < GEMM_KC ? k : GEMM_KC;
  float *packed = gemm_buffers((size_t)((mc_max + nc_max) * kc_max));
  if (packed == NULL) return 0;
  float *pa = packed, *pb = packed + mc_max * kc_max;
  if (n <= GEMM_NR) {
    /* One sliver of columns: each element of A is used once, so multiply from A in place rather than pack it. */
    const int64_t ars = ta ? 1 : lda, acs = ta ? lda : 1;
    for (int64_t p0 = 0; p0 < k; p0 += GEMM_KC) {
      const int64_t kc = k - p0 < GEMM_KC ? k - p0 : GEMM_KC;
      GEMM_NAME(pack_b)(tb, b, ldb, p0, kc, 0, n, pb);
      for (int64_t i = 0; i < m; i += GEMM_MR) {
        const int64_t mr = m - i < GEMM_MR ? m - i : GEMM_MR;
        const float *at = a + i * ars + p0 * acs;
        if (mr == GEMM_MR) {
          GEMM_NAME(micro)(kc, at, ars, acs, pb, c + i * ldc, ldc, mr, n, alpha, p0 == 0 ? beta : 1.0f);
        } else {
          /* The last rows: pack them, zero-padded, so the kernel reads no row past m. */
          GEMM_NAME(pack_a)(ta, a, lda, i, mr, p0, kc, alpha, pa);
          GEMM_NAME(micro)(kc, pa, 1, GEMM_MR, pb, c + i * ldc, ldc, mr, n, 1.0f, p0 == 0 ? beta : 1.0f);
        }
      }
    }
    return 1;
  }
  for (int64_t j0 = 0; j0 < n; j0 += GEMM_NC) {
    const int64_t nc = n - j0 < GEMM_NC ? n - j0 : GEMM_NC;
    for (int64_t p0 = 0; p0 < k; p0 += GEMM_KC) {
      const int64_t kc = k - p0 < GEMM_KC ? k - p0 : GEMM_KC;
      /* The first KC block applies beta; the later ones add to what it wrote. */
      const float beta_block = p0 == 0 ? beta : 1.0f;
      GEMM_NAME(pack_b)(tb, b, ldb, p0, kc, j0, nc, pb);
      for (int64_t i0 = 0; i0 < m; i0 += GEMM_MC) {
        const int64_t mc = m - i0 < GEMM_MC ? m - i0 : GEMM_MC;
        GEMM_NAME(pack_a)(ta, a, lda, i0, mc, p0, kc, alpha, pa);
        for (int64_t j = 0; j < nc; j += GEMM_NR) {
          const int64_t nr = nc - j < GEMM_NR ? nc - j : GEMM_NR;
          for (int64_t i = 0; i < mc; i += GEMM_MR) {
            const int64_t mr = mc - i < GEMM_MR ? mc - i : GEMM_MR;
            GEMM_NAME(micro)(kc, pa + i * kc, 1, GEMM_MR, pb + j * kc, c + (i0 + i) * ldc + j0 + j, ldc, mr, nr,
                             1.0f, beta_block);
          }
        }
      }
    }
  }
  return 1;
}

#undef GEMM_NR
#undef GEMM_NAME
#undef GEMM_CAT
#undef GEMM_CAT2
/* The parameters too, so the next level defines its own. */
#undef GEMM_SUFFIX
#undef GEMM_WIDTH
#undef GEMM_NV
#undef GEMM_MR
#undef GEMM_MC
#undef GEMM_KC
#undef GEMM_NC
