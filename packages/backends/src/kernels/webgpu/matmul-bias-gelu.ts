/**
 * GELU(x·W + b) on webgpu in one dispatch: a tiled matMul whose epilogue adds
 * the bias and applies GELU, writing both the activation and its input (the
 * gradient's GELU_GRAD needs the latter). Tiles of {@link TILE}×{@link TILE}
 * outputs per workgroup, 4×4 per thread, {@link DEPTH} of K at a time through
 * workgroup memory.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { MATMUL_BIAS_GELU } from '../contracts/matmul-bias-gelu.js';
import { contractKernelConfig } from '../contracts/register.js';
import type { WebGpuBackendInternals } from './internals.js';
import { runFusedProgram } from './program.js';
import { entryPoint, GELU_FUNCTION } from './wgsl.js';

const TILE = 64;
const DEPTH = 16;
const THREADS = (TILE / 4) * (TILE / 4);

export const matMulBiasGeluKernel: KernelConfig = contractKernelConfig(
  MATMUL_BIAS_GELU,
  'webgpu',
  ({ inputs: { x, weight, bias }, backend }) => {
    const [N, K] = x.shape as [number, number];
    const [K2, M] = weight.shape as [number, number];
    if (K !== K2) {
      throw new RangeError(
        `${MATMUL_BIAS_GELU.name}: x [${x.shape}] and weight [${weight.shape}] do not chain.`,
      );
    }
    const withBias = bias !== undefined;
    const columnTiles = Math.ceil(M / TILE);
    return runFusedProgram(
      backend as unknown as WebGpuBackendInternals,
      {
        label: MATMUL_BIAS_GELU.name,
        key: `matmul-bias-gelu${withBias ? '-bias' : ''}`,
        inputs: [['x', 'f32'], ['weight', 'f32'], ...(withBias ? [['bias', 'f32'] as const] : [])],
        outputs: [
          ['y', 'f32', [N, M]],
          ['preactivation', 'f32', [N, M]],
        ],
        uniforms: [
          ['rows', ['u32', N]],
          ['depth', ['u32', K]],
          ['columns', ['u32', M]],
          ['columnTiles', ['u32', columnTiles]],
        ],
        workgroups: Math.ceil(N / TILE) * columnTiles,
        body: () => `${GELU_FUNCTION}
var<workgroup> aTile: array<f32, ${TILE * DEPTH}>;
var<workgroup> bTile: array<f32, ${DEPTH * TILE}>;
${entryPoint(THREADS)} {
  let wg = workgroupIndex(wid, nwg);
  if (wg >= params.workgroups) { return; }
  let N = params.rows;
  let K = params.depth;
  let M = params.columns;
  let row0 = (wg / params.columnTiles) * ${TILE}u;
  let col0 = (wg % params.columnTiles) * ${TILE}u;
  let tx = lid % ${TILE / 4}u;
  let ty = lid / ${TILE / 4}u;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < K; k0 += ${DEPTH}u) {
    for (var e = lid; e < ${TILE * DEPTH}u; e += ${THREADS}u) {
      let r = row0 + e / ${DEPTH}u;
      let c = k0 + e % ${DEPTH}u;
      var a = 0.0;
      if (r < N && c < K) { a = x[r * K + c]; }
      aTile[e] = a;
      let kr = k0 + e / ${TILE}u;
      let kc = col0 + e % ${TILE}u;
      var b = 0.0;
      if (kr < K && kc < M) { b = weight[kr * M + kc]; }
      bTile[e] = b;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${DEPTH}u; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var t = 0u; t < 4u; t++) {
        a[t] = aTile[(ty * 4u + t) * ${DEPTH}u + kk];
        b[t] = bTile[kk * ${TILE}u + tx * 4u + t];
      }
      for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) { acc[r][c] += a[r] * b[c]; }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let row = row0 + ty * 4u + r;
    if (row >= N) { continue; }
    for (var c = 0u; c < 4u; c++) {
      let column = col0 + tx * 4u + c;
      if (column >= M) { continue; }
      let h = acc[r][c]${withBias ? ' + bias[column]' : ''};
      preactivation[row * M + column] = h;
      y[row * M + column] = gelu(h);
    }
  }
}`,
      },
      withBias ? [x, weight, bias] : [x, weight],
    );
  },
);
