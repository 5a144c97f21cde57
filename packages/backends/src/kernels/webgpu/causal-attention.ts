/**
 * Causal attention on webgpu, FlashAttention style (Dao et al. 2022; the
 * backward as in FlashAttention-2): no [B, H, Tq, Tk] tensor is written.
 *
 * Forward: a workgroup per (batch·head, block of {@link QUERY_BLOCK} queries),
 * a thread per query. Keys and values stream through workgroup memory in
 * tiles; each thread keeps its query, a running maximum m, a running sum l and
 * an unnormalised output, rescaled once per tile (the online softmax). It
 * writes y and the row log-sum-exp m + log l.
 *
 * Backward, two dispatches that recompute P = exp(scale·q·kᵀ − lse):
 *   dk, dv: a thread per key, streaming tiles of queries (and their dy, lse and
 *   Δ = rowsum(dy ∘ y)); dv = Σ P·dy, dk = Σ dS·q·scale, dS = P ∘ (dy·vᵀ − Δ).
 *   dq: a thread per query, streaming tiles of keys; dq = Σ dS·k·scale.
 * Query i sees keys 0 … Tk − Tq + i, as the contract says.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import {
  CAUSAL_ATTENTION,
  CAUSAL_ATTENTION_GRAD,
  type CausalAttentionAttrs,
} from '../contracts/causal-attention.js';
import { contractKernelConfig } from '../contracts/register.js';
import type { WebGpuBackendInternals } from './internals.js';
import { type FusedProgram, runFusedProgram } from './program.js';
import { entryPoint } from './wgsl.js';

/** Queries (forward, dq) or keys (dk, dv) per workgroup: one thread each. */
const QUERY_BLOCK = 64;
/**
 * Largest head size served: each thread holds up to four rows of D floats in
 * registers. Past it the kernel runs the contract's reference chain.
 */
export const MAX_HEAD_SIZE = 256;

/** Rows per tile in workgroup memory: two tiles of rows × D floats in 8 KiB. */
function tileRows(D: number): number {
  return Math.max(1, Math.min(QUERY_BLOCK, Math.floor(1024 / D)));
}

interface Shape {
  B: number;
  H: number;
  BH: number;
  Tq: number;
  Tk: number;
  D: number;
}

function shapeOf(q: TensorInfo, k: TensorInfo): Shape {
  const [B, H, Tq, D] = q.shape as [number, number, number, number];
  const Tk = k.shape[2]!;
  if (Tk < Tq) {
    throw new RangeError(
      `${CAUSAL_ATTENTION.name}: keys (${Tk}) must be at least queries (${Tq}).`,
    );
  }
  return { B, H, BH: B * H, Tq, Tk, D };
}

function uniforms(shape: Shape, scale: number, blocks: number): FusedProgram['uniforms'] {
  return [
    ['tq', ['u32', shape.Tq]],
    ['tk', ['u32', shape.Tk]],
    ['blocks', ['u32', blocks]],
    ['scale', ['f32', scale]],
  ];
}

/** Workgroup → (bh, first row of the block); and the query/key offset Tk − Tq. */
const BLOCK_START = `let wg = workgroupIndex(wid, nwg);
  if (wg >= params.workgroups) { return; }
  let bh = wg / params.blocks;
  let start = (wg % params.blocks) * ${QUERY_BLOCK}u;
  let Tq = params.tq;
  let Tk = params.tk;
  let offset = Tk - Tq;`;

/**
 * Load key/value rows [k0, k0 + BC) of this bh into the tiles (zeros past Tk),
 * then a barrier. `kvBase` is the element offset of row 0.
 */
function loadKeyTile(BC: number, D: number): string {
  return `for (var e = lid; e < ${BC * D}u; e += ${QUERY_BLOCK}u) {
      let j = k0 + e / ${D}u;
      var kv = 0.0;
      var vv = 0.0;
      if (j < Tk) {
        kv = k[kvBase + j * ${D}u + e % ${D}u];
        vv = v[kvBase + j * ${D}u + e % ${D}u];
      }
      kTile[e] = kv;
      vTile[e] = vv;
    }
    workgroupBarrier();`;
}

function forwardProgram(shape: Shape, scale: number): FusedProgram {
  const { D } = shape;
  const BC = tileRows(D);
  const blocks = Math.ceil(shape.Tq / QUERY_BLOCK);
  return {
    label: CAUSAL_ATTENTION.name,
    key: `causal-attention-d${D}`,
    inputs: [
      ['q', 'f32'],
      ['k', 'f32'],
      ['v', 'f32'],
    ],
    outputs: [
      ['y', 'f32', [shape.B, shape.H, shape.Tq, D]],
      ['logsumexp', 'f32', [shape.B, shape.H, shape.Tq]],
    ],
    uniforms: uniforms(shape, scale, blocks),
    workgroups: shape.BH * blocks,
    body: () => `
var<workgroup> kTile: array<f32, ${BC * D}>;
var<workgroup> vTile: array<f32, ${BC * D}>;
${entryPoint(QUERY_BLOCK)} {
  ${BLOCK_START}
  let i = start + lid;
  let valid = i < Tq;
  let row = bh * Tq + min(i, Tq - 1u);
  var query: array<f32, ${D}>;
  var acc: array<f32, ${D}>;
  for (var d = 0u; d < ${D}u; d++) {
    query[d] = q[row * ${D}u + d] * params.scale;
    acc[d] = 0.0;
  }
  var m = -3.0e38;
  var l = 0.0;
  let visible = offset + i + 1u;
  let keyEnd = offset + min(start + ${QUERY_BLOCK}u, Tq);
  let kvBase = bh * Tk * ${D}u;
  var scores: array<f32, ${BC}>;
  for (var k0 = 0u; k0 < keyEnd; k0 += ${BC}u) {
    ${loadKeyTile(BC, D)}
    if (valid && k0 < visible) {
      var tileMax = -3.0e38;
      for (var jj = 0u; jj < ${BC}u; jj++) {
        var s = -3.0e38;
        if (k0 + jj < visible) {
          s = 0.0;
          for (var d = 0u; d < ${D}u; d++) { s += query[d] * kTile[jj * ${D}u + d]; }
          tileMax = max(tileMax, s);
        }
        scores[jj] = s;
      }
      let mNew = max(m, tileMax);
      let correction = exp(m - mNew);
      l = l * correction;
      for (var d = 0u; d < ${D}u; d++) { acc[d] = acc[d] * correction; }
      for (var jj = 0u; jj < ${BC}u; jj++) {
        if (k0 + jj < visible) {
          let p = exp(scores[jj] - mNew);
          l += p;
          for (var d = 0u; d < ${D}u; d++) { acc[d] += p * vTile[jj * ${D}u + d]; }
        }
      }
      m = mNew;
    }
    workgroupBarrier();
  }
  if (valid) {
    let inverse = 1.0 / l;
    for (var d = 0u; d < ${D}u; d++) { y[row * ${D}u + d] = acc[d] * inverse; }
    logsumexp[row] = m + log(l);
  }
}`,
  };
}

const GRAD_INPUTS = [
  ['dy', 'f32'],
  ['q', 'f32'],
  ['k', 'f32'],
  ['v', 'f32'],
  ['y', 'f32'],
  ['logsumexp', 'f32'],
] as const;

/** dk and dv: a thread per key, streaming tiles of queries. */
function keyGradProgram(shape: Shape, scale: number): FusedProgram {
  const { D } = shape;
  const BQ = tileRows(D);
  const blocks = Math.ceil(shape.Tk / QUERY_BLOCK);
  return {
    label: `${CAUSAL_ATTENTION_GRAD.name} (dk, dv)`,
    key: `causal-attention-grad-kv-d${D}`,
    inputs: GRAD_INPUTS,
    outputs: [
      ['dk', 'f32', [shape.B, shape.H, shape.Tk, D]],
      ['dv', 'f32', [shape.B, shape.H, shape.Tk, D]],
    ],
    uniforms: uniforms(shape, scale, blocks),
    workgroups: shape.BH * blocks,
    body: () => `
var<workgroup> qTile: array<f32, ${BQ * D}>;
var<workgroup> dyTile: array<f32, ${BQ * D}>;
var<workgroup> lseTile: array<f32, ${BQ}>;
var<workgroup> deltaTile: array<f32, ${BQ}>;
${entryPoint(QUERY_BLOCK)} {
  ${BLOCK_START}
  let j = start + lid;
  let valid = j < Tk;
  let keyRow = bh * Tk + min(j, Tk - 1u);
  var key: array<f32, ${D}>;
  var value: array<f32, ${D}>;
  var dkAcc: array<f32, ${D}>;
  var dvAcc: array<f32, ${D}>;
  for (var d = 0u; d < ${D}u; d++) {
    key[d] = k[keyRow * ${D}u + d];
    value[d] = v[keyRow * ${D}u + d];
    dkAcc[d] = 0.0;
    dvAcc[d] = 0.0;
  }
  // The first query that sees key \`start\`: i with offset + i ≥ start.
  var i0 = 0u;
  if (start > offset) { i0 = start - offset; }
  let qBase = bh * Tq;
  for (; i0 < Tq; i0 += ${BQ}u) {
    for (var e = lid; e < ${BQ * D}u; e += ${QUERY_BLOCK}u) {
      let i = i0 + e / ${D}u;
      var qv = 0.0;
      var dyv = 0.0;
      if (i < Tq) {
        qv = q[(qBase + i) * ${D}u + e % ${D}u] * params.scale;
        dyv = dy[(qBase + i) * ${D}u + e % ${D}u];
      }
      qTile[e] = qv;
      dyTile[e] = dyv;
    }
    if (lid < ${BQ}u) {
      let i = i0 + lid;
      var lse = 0.0;
      var delta = 0.0;
      if (i < Tq) {
        lse = logsumexp[qBase + i];
        for (var d = 0u; d < ${D}u; d++) {
          delta += dy[(qBase + i) * ${D}u + d] * y[(qBase + i) * ${D}u + d];
        }
      }
      lseTile[lid] = lse;
      deltaTile[lid] = delta;
    }
    workgroupBarrier();
    if (valid) {
      for (var t = 0u; t < ${BQ}u; t++) {
        let i = i0 + t;
        if (i < Tq && offset + i >= j) {
          var s = 0.0;
          var dp = 0.0;
          for (var d = 0u; d < ${D}u; d++) {
            s += qTile[t * ${D}u + d] * key[d];
            dp += dyTile[t * ${D}u + d] * value[d];
          }
          let p = exp(s - lseTile[t]);
          let ds = p * (dp - deltaTile[t]);
          for (var d = 0u; d < ${D}u; d++) {
            dvAcc[d] += p * dyTile[t * ${D}u + d];
            dkAcc[d] += ds * qTile[t * ${D}u + d];
          }
        }
      }
    }
    workgroupBarrier();
  }
  if (valid) {
    for (var d = 0u; d < ${D}u; d++) {
      dk[keyRow * ${D}u + d] = dkAcc[d];
      dv[keyRow * ${D}u + d] = dvAcc[d];
    }
  }
}`,
  };
}

/** dq: a thread per query, streaming tiles of keys. */
function queryGradProgram(shape: Shape, scale: number): FusedProgram {
  const { D } = shape;
  const BC = tileRows(D);
  const blocks = Math.ceil(shape.Tq / QUERY_BLOCK);
  return {
    label: `${CAUSAL_ATTENTION_GRAD.name} (dq)`,
    key: `causal-attention-grad-q-d${D}`,
    inputs: GRAD_INPUTS,
    outputs: [['dq', 'f32', [shape.B, shape.H, shape.Tq, D]]],
    uniforms: uniforms(shape, scale, blocks),
    workgroups: shape.BH * blocks,
    body: () => `
var<workgroup> kTile: array<f32, ${BC * D}>;
var<workgroup> vTile: array<f32, ${BC * D}>;
${entryPoint(QUERY_BLOCK)} {
  ${BLOCK_START}
  let i = start + lid;
  let valid = i < Tq;
  let row = bh * Tq + min(i, Tq - 1u);
  var query: array<f32, ${D}>;
  var upstream: array<f32, ${D}>;
  var dqAcc: array<f32, ${D}>;
  var delta = 0.0;
  for (var d = 0u; d < ${D}u; d++) {
    query[d] = q[row * ${D}u + d] * params.scale;
    upstream[d] = dy[row * ${D}u + d];
    delta += upstream[d] * y[row * ${D}u + d];
    dqAcc[d] = 0.0;
  }
  let lse = logsumexp[row];
  let visible = offset + i + 1u;
  let keyEnd = offset + min(start + ${QUERY_BLOCK}u, Tq);
  let kvBase = bh * Tk * ${D}u;
  for (var k0 = 0u; k0 < keyEnd; k0 += ${BC}u) {
    ${loadKeyTile(BC, D)}
    if (valid) {
      for (var jj = 0u; jj < ${BC}u; jj++) {
        if (k0 + jj < visible) {
          var s = 0.0;
          var dp = 0.0;
          for (var d = 0u; d < ${D}u; d++) {
            s += query[d] * kTile[jj * ${D}u + d];
            dp += upstream[d] * vTile[jj * ${D}u + d];
          }
          let ds = exp(s - lse) * (dp - delta);
          for (var d = 0u; d < ${D}u; d++) { dqAcc[d] += ds * kTile[jj * ${D}u + d]; }
        }
      }
    }
    workgroupBarrier();
  }
  if (valid) {
    for (var d = 0u; d < ${D}u; d++) { dq[row * ${D}u + d] = dqAcc[d] * params.scale; }
  }
}`,
  };
}

export function createCausalAttentionKernels(
  fallback: (name: string, inputs: object, attrs: CausalAttentionAttrs) => TensorInfo[],
): KernelConfig[] {
  const forward = contractKernelConfig(CAUSAL_ATTENTION, 'webgpu', ({ inputs, attrs, backend }) => {
    const { q, k, v } = inputs;
    const shape = shapeOf(q, k);
    if (shape.D > MAX_HEAD_SIZE) return fallback(CAUSAL_ATTENTION.name, inputs, attrs);
    return runFusedProgram(
      backend as unknown as WebGpuBackendInternals,
      forwardProgram(shape, attrs.scale),
      [q, k, v],
    );
  });
  const gradient = contractKernelConfig(
    CAUSAL_ATTENTION_GRAD,
    'webgpu',
    ({ inputs, attrs, backend }) => {
      const { dy, q, k, v, y, logsumexp } = inputs;
      const shape = shapeOf(q, k);
      if (shape.D > MAX_HEAD_SIZE) return fallback(CAUSAL_ATTENTION_GRAD.name, inputs, attrs);
      const webgpu = backend as unknown as WebGpuBackendInternals;
      const all = [dy, q, k, v, y, logsumexp];
      const [dk, dv] = runFusedProgram(webgpu, keyGradProgram(shape, attrs.scale), all);
      const [dq] = runFusedProgram(webgpu, queryGradProgram(shape, attrs.scale), all);
      return [dq!, dk!, dv!];
    },
  );
  return [forward, gradient];
}
