/**
 * LayerNorm on webgpu. Forward: one workgroup per row, two reductions (the
 * mean, then the centred variance, as the chain takes them). Backward: one
 * dispatch for dx (a workgroup per row, two reductions) and one for dγ and
 * dβ (column sums over all rows), instead of the chains' ~20 kernels.
 */
import { type KernelConfig, util } from '@tensorflow/tfjs-core';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../contracts/layer-norm.js';
import { contractKernelConfig } from '../contracts/register.js';
import type { WebGpuBackendInternals } from './internals.js';
import { runFusedProgram } from './program.js';
import { entryPoint, REDUCE_SUM, WORKGROUP } from './wgsl.js';

/** Rows [N] and width C of a [..., C] tensor. */
function rowsOf(shape: readonly number[]): { N: number; C: number } {
  const C = shape.at(-1) ?? 1;
  return { N: C === 0 ? 0 : util.sizeFromShape([...shape]) / C, C };
}

const ROW_START = `let row = workgroupIndex(wid, nwg);
  if (row >= params.workgroups) { return; }
  let C = params.columns;
  let base = row * C;`;

export const layerNormKernel: KernelConfig = contractKernelConfig(
  LAYER_NORM,
  'webgpu',
  ({ inputs: { x, gamma, beta }, attrs: { epsilon }, backend }) => {
    const { N, C } = rowsOf(x.shape);
    const statsShape = [...x.shape.slice(0, -1), 1];
    const withBias = beta !== undefined;
    return runFusedProgram(
      backend as unknown as WebGpuBackendInternals,
      {
        label: LAYER_NORM.name,
        key: `layer-norm${withBias ? '-bias' : ''}`,
        inputs: [['x', 'f32'], ['gamma', 'f32'], ...(withBias ? [['beta', 'f32'] as const] : [])],
        outputs: [
          ['y', 'f32', x.shape],
          ['mean', 'f32', statsShape],
          ['rstd', 'f32', statsShape],
        ],
        uniforms: [
          ['columns', ['u32', C]],
          ['epsilon', ['f32', epsilon]],
        ],
        workgroups: N,
        body: () => `${REDUCE_SUM}
${entryPoint()} {
  ${ROW_START}
  var total = 0.0;
  for (var c = lid; c < C; c += ${WORKGROUP}u) { total += x[base + c]; }
  let mu = reduceSum(lid, total) / f32(C);
  var squares = 0.0;
  for (var c = lid; c < C; c += ${WORKGROUP}u) {
    let centred = x[base + c] - mu;
    squares += centred * centred;
  }
  let r = inverseSqrt(reduceSum(lid, squares) / f32(C) + params.epsilon);
  for (var c = lid; c < C; c += ${WORKGROUP}u) {
    y[base + c] = (x[base + c] - mu) * r * gamma[c]${withBias ? ' + beta[c]' : ''};
  }
  if (lid == 0u) {
    mean[row] = mu;
    rstd[row] = r;
  }
}`,
      },
      withBias ? [x, gamma, beta] : [x, gamma],
    );
  },
);

/** dγ/dβ: columns per workgroup × row lanes per column = {@link WORKGROUP}. */
const COLUMNS = 32;
const LANES = WORKGROUP / COLUMNS;

export const layerNormGradKernel: KernelConfig = contractKernelConfig(
  LAYER_NORM_GRAD,
  'webgpu',
  ({ inputs: { dy, x, gamma, mean, rstd }, backend }) => {
    const webgpu = backend as unknown as WebGpuBackendInternals;
    const { N, C } = rowsOf(x.shape);
    // dx = r·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ, x̂ = (x − mean)·r.
    const [dx] = runFusedProgram(
      webgpu,
      {
        label: `${LAYER_NORM_GRAD.name} (dx)`,
        key: 'layer-norm-grad-dx',
        inputs: [
          ['dy', 'f32'],
          ['x', 'f32'],
          ['gamma', 'f32'],
          ['mean', 'f32'],
          ['rstd', 'f32'],
        ],
        outputs: [['dx', 'f32', x.shape]],
        uniforms: [['columns', ['u32', C]]],
        workgroups: N,
        body: () => `${REDUCE_SUM}
${entryPoint()} {
  ${ROW_START}
  let mu = mean[row];
  let r = rstd[row];
  var sumG = 0.0;
  var sumGX = 0.0;
  for (var c = lid; c < C; c += ${WORKGROUP}u) {
    let xhat = (x[base + c] - mu) * r;
    let g = dy[base + c] * gamma[c];
    sumG += g;
    sumGX += g * xhat;
  }
  let meanG = reduceSum(lid, sumG) / f32(C);
  let meanGX = reduceSum(lid, sumGX) / f32(C);
  for (var c = lid; c < C; c += ${WORKGROUP}u) {
    let xhat = (x[base + c] - mu) * r;
    let g = dy[base + c] * gamma[c];
    dx[base + c] = r * ((g - meanG) - xhat * meanGX);
  }
}`,
      },
      [dy, x, gamma, mean, rstd],
    );
    // Each workgroup sums COLUMNS columns over all rows, LANES rows at a time.
    const [dgamma, dbeta] = runFusedProgram(
      webgpu,
      {
        label: `${LAYER_NORM_GRAD.name} (dγ, dβ)`,
        key: 'layer-norm-grad-dgamma',
        inputs: [
          ['dy', 'f32'],
          ['x', 'f32'],
          ['mean', 'f32'],
          ['rstd', 'f32'],
        ],
        outputs: [
          ['dgamma', 'f32', [C]],
          ['dbeta', 'f32', [C]],
        ],
        uniforms: [
          ['columns', ['u32', C]],
          ['rows', ['u32', N]],
        ],
        workgroups: Math.ceil(C / COLUMNS),
        body: () => `
var<workgroup> partialGamma: array<f32, ${WORKGROUP}>;
var<workgroup> partialBeta: array<f32, ${WORKGROUP}>;
${entryPoint()} {
  let wg = workgroupIndex(wid, nwg);
  if (wg >= params.workgroups) { return; }
  let C = params.columns;
  let column = wg * ${COLUMNS}u + lid % ${COLUMNS}u;
  let lane = lid / ${COLUMNS}u;
  var sumGamma = 0.0;
  var sumBeta = 0.0;
  if (column < C) {
    for (var row = lane; row < params.rows; row += ${LANES}u) {
      let g = dy[row * C + column];
      sumGamma += g * ((x[row * C + column] - mean[row]) * rstd[row]);
      sumBeta += g;
    }
  }
  partialGamma[lid] = sumGamma;
  partialBeta[lid] = sumBeta;
  workgroupBarrier();
  if (lane == 0u && column < C) {
    var totalGamma = 0.0;
    var totalBeta = 0.0;
    for (var l = 0u; l < ${LANES}u; l++) {
      totalGamma += partialGamma[l * ${COLUMNS}u + lid];
      totalBeta += partialBeta[l * ${COLUMNS}u + lid];
    }
    dgamma[column] = totalGamma;
    dbeta[column] = totalBeta;
  }
}`,
      },
      [dy, x, mean, rstd],
    );
    return [dx!, dgamma!, dbeta!];
  },
);
