/*
 * Vectorisable float math for the addon's kernels, and HOT: compile a
 * function once per x86-64 level (target_clones, picked when the addon
 * loads), so a build copied to another machine never runs an instruction
 * its CPU lacks, and gets AVX2/AVX-512 where the CPU has them.
 */
#ifndef GPT2_MATH_H
#define GPT2_MATH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if (defined(__x86_64__)) && defined(__linux__) && defined(__GNUC__) && !defined(GPT2_NO_CLONES)
#define HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HOT
#endif

static inline float as_float(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static inline uint32_t as_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

/* Round to nearest with the 1.5·2²³ trick: plain arithmetic, so it vectorises at every level. */
static inline float round_nearest(float x) {
  const float magic = 12582912.0f;
  return (x + magic) - magic;
}

/* expf after Cephes: e^x = 2^n · e^r, |r| ≤ ln2/2, a degree-6 polynomial. */
static inline float exp_approx(float x) {
  float c = x > 88.7228f ? 88.7228f : x;
  c = c < -104.0f ? -104.0f : c;
  c = x != x ? 0.0f : c;
  float n = round_nearest(c * 1.44269504088896341f);
  float r = c - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * z + r + 1.0f;
  /* 2^n in two factors, so n from -150 to 128 needs no special case. */
  int32_t k = (int32_t)n;
  int32_t k1 = k >> 1, k2 = k - k1;
  float y = p * as_float((uint32_t)(k1 + 127) << 23) * as_float((uint32_t)(k2 + 127) << 23);
  y = x > 88.7228f ? INFINITY : y;
  return x != x ? x : y;
}

/* logf after Cephes: x = m·2^e with m in [√½, √2), a degree-9 polynomial in m − 1. */
static inline float log_approx(float x) {
  bool tiny = x < 1.17549435e-38f; /* subnormals: scale up first */
  float s = tiny ? x * 8388608.0f : x;
  uint32_t u = as_bits(s);
  int32_t e = (int32_t)((u >> 23) & 0xff) - 126;
  float m = as_float((u & 0x007fffffu) | 0x3f000000u); /* [0.5, 1) */
  bool low = m < 0.707106781186547524f;
  e = low ? e - 1 : e;
  m = low ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  float fe = (float)(tiny ? e - 23 : e);
  y = y + fe * -2.12194440e-4f;
  y = y - 0.5f * z;
  float r = m + y;
  r = r + fe * 0.693359375f;
  r = x < 0.0f ? NAN : r;
  r = x == 0.0f ? -INFINITY : r;
  r = x == INFINITY ? INFINITY : r;
  return x != x ? x : r;
}

/* tanhf after Cephes: an odd polynomial below 0.625, 1 − 2/(e^{2|x|} + 1) above. */
static inline float tanh_approx(float x) {
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = p * z * x + x;
  float a = x < 0.0f ? -x : x;
  float large = 1.0f - 2.0f / (exp_approx(a + a) + 1.0f);
  large = x < 0.0f ? -large : large;
  return a < 0.625f ? small : large;
}

static inline float sigmoid_approx(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

/*
 * One LayerNorm row: mean and variance summed in double (float sums drift at
 * GPT-2's widths), then y = (x − mean)·rstd·γ (+ β). Shared by the LayerNorm
 * kernel and the decode block, so both round alike. Returns rstd; *mean_out
 * gets the mean.
 */
static inline float layer_norm_row(const float *x, const float *gamma, const float *beta, float *y,
                                   int64_t C, float eps, float *mean_out) {
  double sum = 0;
  for (int64_t c = 0; c < C; c++) sum += x[c];
  float mean = (float)(sum / (double)C);
  double squares = 0;
  for (int64_t c = 0; c < C; c++) {
    float d = x[c] - mean;
    squares += (double)d * d;
  }
  float rstd = 1.0f / sqrtf((float)(squares / (double)C) + eps);
  for (int64_t c = 0; c < C; c++) {
    float v = (x[c] - mean) * rstd * gamma[c];
    y[c] = beta ? v + beta[c] : v;
  }
  *mean_out = mean;
  return rstd;
}

#endif
