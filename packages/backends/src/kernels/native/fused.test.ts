/**
 * The addon's fused kernels (native/gpt2_fused.c) against plain-JS
 * references in float64: GELU and its gradient, LayerNorm forward and
 * backward, softmax cross-entropy (label smoothing, ignored rows) and causal
 * attention (forward against the definition, backward against finite
 * differences of the forward). They serve the kernel contracts.
 */
import { describe, expect, it } from 'vitest';
import { NATIVE_BUILD_HINT } from '../../providers/native.js';
import { seededFloats } from '../../testing/matmul-reference.js';
import { systemRequirement } from '../../testing/require-system.js';
import type { NativeFusedKernels } from './fused.js';
import { loadNativeBlas } from './native-blas.js';

const loaded = await loadNativeBlas();
const addon = (typeof loaded === 'string' ? undefined : loaded) as
  | (NativeFusedKernels & { setPoolThreads(n: number): number })
  | undefined;
const hasFused = systemRequirement(
  `The native addon's fused kernels (${typeof loaded === 'string' ? loaded : 'ok'})`,
  typeof addon?.gelu === 'function',
  NATIVE_BUILD_HINT,
);

const floats = (n: number, seed: number, scale = 1) => seededFloats(n, seed).map((x) => x * scale);

/** Largest |a − b| / max(1, |b|). */
function error(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

const gelu = (x: number) =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

function layerNormRef(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  rows: number,
  C: number,
) {
  const y = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[r * C + c]!;
    mean /= C;
    let variance = 0;
    for (let c = 0; c < C; c++) variance += (x[r * C + c]! - mean) ** 2;
    variance /= C;
    for (let c = 0; c < C; c++)
      y[r * C + c] = ((x[r * C + c]! - mean) / Math.sqrt(variance + 1e-5)) * gamma[c]! + beta[c]!;
  }
  return y;
}

/** softmax(scale·q·kᵀ, causal)·v per slice, in float64. */
function attentionRef(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  S: number,
  T: number,
  D: number,
  scale: number,
) {
  const y = new Float64Array(S * T * D);
  for (let s = 0; s < S; s++) {
    for (let i = 0; i < T; i++) {
      const scores: number[] = [];
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let e = 0; e < D; e++) dot += q[(s * T + i) * D + e]! * k[(s * T + j) * D + e]!;
        scores.push(dot * scale);
      }
      const max = Math.max(...scores);
      const weights = scores.map((z) => Math.exp(z - max));
      const sum = weights.reduce((a, b) => a + b, 0);
      for (let e = 0; e < D; e++) {
        let acc = 0;
        for (let j = 0; j <= i; j++) acc += (weights[j]! / sum) * v[(s * T + j) * D + e]!;
        y[(s * T + i) * D + e] = acc;
      }
    }
  }
  return y;
}

describe.runIf(hasFused)('native fused kernels', () => {
  const a = addon!;

  it.each([1, 2])('GELU and its gradient match the tanh formula (%i threads)', (threads) => {
    a.setPoolThreads(threads);
    const x = floats(100_000, 1, 6);
    const y = new Float32Array(x.length);
    const dy = floats(x.length, 2);
    const dx = new Float32Array(x.length);
    a.gelu(x, y);
    a.geluGrad(dy, x, dx);
    expect(error(y, Array.from(x, gelu))).toBeLessThan(1e-6);
    const h = 1e-3;
    const slope = Array.from(x, (v, i) => (dy[i]! * (gelu(v + h) - gelu(v - h))) / (2 * h));
    expect(error(dx, slope)).toBeLessThan(1e-5);
  });

  it('LayerNorm forward, and its gradient by finite differences', () => {
    const rows = 300;
    const C = 96;
    const x = floats(rows * C, 3, 3);
    const gamma = floats(C, 4);
    const beta = floats(C, 5);
    const y = new Float32Array(rows * C);
    const mean = new Float32Array(rows);
    const rstd = new Float32Array(rows);
    a.layerNorm(x, gamma, beta, y, mean, rstd, rows, C, 1e-5);
    expect(error(y, layerNormRef(x, gamma, beta, rows, C))).toBeLessThan(2e-6);
    const dy = floats(rows * C, 6);
    const dx = new Float32Array(rows * C);
    const dgamma = new Float32Array(C);
    const dbeta = new Float32Array(C);
    a.layerNormGrad(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, C);
    const loss = (xs: ArrayLike<number>, gs: ArrayLike<number>) =>
      layerNormRef(xs, gs, beta, rows, C).reduce((s, v, i) => s + v * dy[i]!, 0);
    const h = 1e-4;
    for (const index of [7, 5 * C + 11, rows * C - 1]) {
      const plus = Float64Array.from(x);
      plus[index]! += h;
      const minus = Float64Array.from(x);
      minus[index]! -= h;
      expect(dx[index]).toBeCloseTo((loss(plus, gamma) - loss(minus, gamma)) / (2 * h), 3);
    }
    for (const c of [0, 50]) {
      const plus = Float64Array.from(gamma);
      plus[c]! += h;
      const minus = Float64Array.from(gamma);
      minus[c]! -= h;
      expect(dgamma[c]).toBeCloseTo((loss(x, plus) - loss(x, minus)) / (2 * h), 2);
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += dy[r * C + c]!;
      expect(dbeta[c]).toBeCloseTo(sum, 4);
    }
  });

  it('softmax cross-entropy with label smoothing and ignored rows, and its gradient', () => {
    const N = 50;
    const V = 1000;
    const logits = floats(N * V, 7, 4);
    const targets = Int32Array.from({ length: N }, (_, i) => (i === 3 ? -1 : (i * 37) % V));
    const loss = new Float32Array(N);
    const lse = new Float32Array(N);
    a.softmaxCrossEntropy(logits, targets, loss, lse, -1, 0.1);
    const expected = Array.from({ length: N }, (_, r) => {
      const row = logits.subarray(r * V, (r + 1) * V);
      const max = Math.max(...row);
      const l = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      const mean = row.reduce((s, v) => s + v, 0) / V;
      return targets[r] === -1 ? 0 : 0.9 * (l - row[targets[r]!]!) + 0.1 * (l - mean);
    });
    expect(error(loss, expected)).toBeLessThan(1e-5);
    const dloss = floats(N, 8);
    const dlogits = new Float32Array(N * V);
    a.softmaxCrossEntropyGrad(dloss, logits, targets, lse, dlogits, -1, 0.1);
    expect(dlogits.subarray(3 * V, 4 * V).every((v) => v === 0)).toBe(true);
    const r = 5;
    const t = targets[r]!;
    const p = Math.exp(logits[r * V + t]! - lse[r]!);
    expect(dlogits[r * V + t]).toBeCloseTo(dloss[r]! * (p - 0.1 / V - 0.9), 5);
    const rowSum = dlogits.subarray(r * V, (r + 1) * V).reduce((s, v) => s + v, 0);
    expect(rowSum).toBeCloseTo(0, 5);
  });

  it.each([1, 2])('causal attention, forward and backward (%i threads)', (threads) => {
    a.setPoolThreads(threads);
    const S = 6;
    const T = 40;
    const D = 16;
    const scale = 1 / Math.sqrt(D);
    const [q, k, v, dy] = [11, 12, 13, 14].map((seed) => floats(S * T * D, seed)) as Float32Array[];
    const y = new Float32Array(S * T * D);
    const lse = new Float32Array(S * T);
    a.causalAttention(q!, k!, v!, y, lse, S, T, T, D, scale);
    expect(error(y, attentionRef(q!, k!, v!, S, T, D, scale))).toBeLessThan(1e-5);
    const grads = [0, 1, 2].map(() => new Float32Array(S * T * D));
    a.causalAttentionGrad(
      dy!,
      q!,
      k!,
      v!,
      y,
      lse,
      grads[0]!,
      grads[1]!,
      grads[2]!,
      S,
      T,
      T,
      D,
      scale,
    );
    const loss = (qq: Float32Array, kk: Float32Array, vv: Float32Array) =>
      attentionRef(qq, kk, vv, S, T, D, scale).reduce((s, value, i) => s + value * dy![i]!, 0);
    const h = 1e-2;
    for (const [which, index] of [
      [0, 3 * T * D + 20 * D + 5],
      [1, 2 * T * D + 7 * D + 1],
      [2, 5 * T * D + 39 * D + 15],
    ] as const) {
      const inputs = [q!, k!, v!];
      const plus = inputs.map((t, j) => (j === which ? Float32Array.from(t) : t));
      const minus = inputs.map((t, j) => (j === which ? Float32Array.from(t) : t));
      plus[which]![index]! += h;
      minus[which]![index]! -= h;
      const numeric =
        (loss(plus[0]!, plus[1]!, plus[2]!) - loss(minus[0]!, minus[1]!, minus[2]!)) / (2 * h);
      expect(grads[which]![index]).toBeCloseTo(numeric, 3);
    }
  });
});
