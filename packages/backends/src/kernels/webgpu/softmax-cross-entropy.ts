/**
 * Softmax cross-entropy on webgpu, over the vocabulary in chunks: a workgroup
 * per row streams the row's logits once, {@link WORKGROUP} at a time, keeping
 * per thread a running maximum and a running sum of exp(x − max) (rescaled
 * when the maximum grows), then combines the threads' pairs. No [N, V]
 * probabilities are written: the forward keeps only the log-sum-exp [N], and
 * the gradient rebuilds softmax from it element-wise, one dispatch.
 *
 * Both kernels take whatever rows they are given, so a caller that runs the
 * head and the loss on row chunks (to hold [chunk, V] rather than [B·T, V]
 * logits) uses them unchanged.
 */
import { type KernelConfig, util } from '@tensorflow/tfjs-core';
import { contractKernelConfig } from '../contracts/register.js';
import {
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
} from '../contracts/softmax-cross-entropy.js';
import type { WebGpuBackendInternals } from './internals.js';
import { runFusedProgram } from './program.js';
import { elementIndex, entryPoint, WORKGROUP } from './wgsl.js';

export const softmaxCrossEntropyKernel: KernelConfig = contractKernelConfig(
  SOFTMAX_CROSS_ENTROPY,
  'webgpu',
  ({ inputs: { logits, targets }, attrs: { ignoreIndex, labelSmoothing }, backend }) => {
    const [N, V] = logits.shape as [number, number];
    return runFusedProgram(
      backend as unknown as WebGpuBackendInternals,
      {
        label: SOFTMAX_CROSS_ENTROPY.name,
        key: 'softmax-cross-entropy',
        inputs: [
          ['logits', 'f32'],
          ['targets', 'i32'],
        ],
        outputs: [
          ['loss', 'f32', [N]],
          ['logsumexp', 'f32', [N]],
        ],
        uniforms: [
          ['vocabulary', ['u32', V]],
          ['ignoreIndex', ['i32', ignoreIndex]],
          ['smoothing', ['f32', labelSmoothing]],
          ['keep', ['f32', 1 - labelSmoothing]],
          ['invalid', ['f32', Number.NaN]],
        ],
        workgroups: N,
        body: () => `
var<workgroup> maxima: array<f32, ${WORKGROUP}>;
var<workgroup> sums: array<f32, ${WORKGROUP}>;
var<workgroup> totals: array<f32, ${WORKGROUP}>;
${entryPoint()} {
  let row = workgroupIndex(wid, nwg);
  if (row >= params.workgroups) { return; }
  let V = params.vocabulary;
  let base = row * V;
  // Online softmax over this thread's stripe of the row.
  var m = -3.0e38;
  var s = 0.0;
  var total = 0.0;
  for (var c = lid; c < V; c += ${WORKGROUP}u) {
    let value = logits[base + c];
    total += value;
    if (value > m) {
      s = s * exp(m - value) + 1.0;
      m = value;
    } else {
      s += exp(value - m);
    }
  }
  maxima[lid] = m;
  sums[lid] = s;
  totals[lid] = total;
  workgroupBarrier();
  for (var stride = ${WORKGROUP / 2}u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) {
      let m1 = maxima[lid];
      let m2 = maxima[lid + stride];
      let mm = max(m1, m2);
      sums[lid] = sums[lid] * exp(m1 - mm) + sums[lid + stride] * exp(m2 - mm);
      maxima[lid] = mm;
      totals[lid] = totals[lid] + totals[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let lse = maxima[0] + log(sums[0]);
    logsumexp[row] = lse;
    let t = targets[row];
    var rowLoss = 0.0;
    if (t != params.ignoreIndex) {
      // −log p(t) = lse − x_t, NaN for a target outside the vocabulary.
      var nll = params.invalid;
      if (t >= 0 && u32(t) < V) { nll = lse - logits[base + u32(t)]; }
      rowLoss = nll;
      if (params.smoothing > 0.0) {
        // −mean over the vocabulary of log p = lse − mean(x).
        rowLoss = nll * params.keep + (lse - totals[0] / f32(V)) * params.smoothing;
      }
    }
    loss[row] = rowLoss;
  }
}`,
      },
      [logits, targets],
    );
  },
);

export const softmaxCrossEntropyGradKernel: KernelConfig = contractKernelConfig(
  SOFTMAX_CROSS_ENTROPY_GRAD,
  'webgpu',
  ({
    inputs: { dloss, logits, targets, logsumexp },
    attrs: { ignoreIndex, labelSmoothing },
    backend,
  }) => {
    const [N, V] = logits.shape as [number, number];
    const size = util.sizeFromShape(logits.shape);
    return runFusedProgram(
      backend as unknown as WebGpuBackendInternals,
      {
        label: SOFTMAX_CROSS_ENTROPY_GRAD.name,
        key: 'softmax-cross-entropy-grad',
        inputs: [
          ['dloss', 'f32'],
          ['logits', 'f32'],
          ['targets', 'i32'],
          ['logsumexp', 'f32'],
        ],
        outputs: [['dlogits', 'f32', [N, V]]],
        uniforms: [
          ['size', ['u32', size]],
          ['vocabulary', ['u32', V]],
          ['ignoreIndex', ['i32', ignoreIndex]],
          ['keep', ['f32', 1 - labelSmoothing]],
          ['spread', ['f32', labelSmoothing / V]],
        ],
        workgroups: Math.ceil(size / WORKGROUP),
        // dloss·(softmax − (1 − ε)·onehot − ε/V) on kept rows, 0 on ignored ones.
        body: () => `
${entryPoint()} {
  ${elementIndex('params.size')}
  let row = i / params.vocabulary;
  let column = i % params.vocabulary;
  let t = targets[row];
  var rowScale = 0.0;
  if (t != params.ignoreIndex) { rowScale = dloss[row]; }
  var wanted = params.spread;
  if (t >= 0 && u32(t) == column) { wanted = params.keep + params.spread; }
  dlogits[i] = (exp(logits[i] - logsumexp[row]) - wanted) * rowScale;
}`,
      },
      [dloss, logits, targets, logsumexp],
    );
  },
);
