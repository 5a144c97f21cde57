/**
 * AdamW on webgpu: {@link ADAMW_UPDATE_MULTI}, every parameter of a step in
 * one kernel call.
 *
 * A dispatch can bind 7 buffers for one tensor (param, m, v, grad in; param',
 * m', v' out) under the default limit of 8 storage buffers per stage, so a
 * dispatch cannot see many separate tensors. Tensors of at least
 * {@link DIRECT_ELEMENTS} elements (matMul weights, embeddings) run one
 * dispatch each on their own buffers: a dispatch costs little beside their
 * size, and packing them would copy megabytes to save it. The small ones
 * (biases, LayerNorm gains: most of GPT-2's tensors by count) are packed per
 * decay value into one buffer per role with buffer-to-buffer copies (transfer
 * commands, not shader dispatches), updated by one dispatch per group, and
 * copied back out.
 *
 * Every operation is rounded to float32 in the reference chain's order, with
 * the same constants (1 − β as JavaScript computes it, then rounded), so the
 * results equal the chain's bit for bit on the same device.
 */
import { type KernelConfig, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { ADAMW_UPDATE_MULTI } from '../contracts/adamw-update-multi.js';
import { contractKernelConfig } from '../contracts/register.js';
import type { WebGpuBackendInternals } from './internals.js';
import { bindingByteLimit, copyBetween, type FusedProgram, runFusedProgram } from './program.js';
import { elementIndex, entryPoint, WORKGROUP } from './wgsl.js';

/** Tensors of this many elements or more get a dispatch of their own (256 KiB of float32). */
export const DIRECT_ELEMENTS = 65_536;
/** Largest packed group, in elements (16 Mi float32 = 64 MiB per role). */
const MAX_GROUP_ELEMENTS = 16 * 1024 * 1024;

interface Scalars {
  beta1: number;
  beta2: number;
  eps: number;
  stepSize: number;
  biasCorrection2Sqrt: number;
  gradScale: number;
}

function updateProgram(shape: readonly number[], decay: number, attrs: Scalars): FusedProgram {
  const size = util.sizeFromShape([...shape]);
  return {
    label: ADAMW_UPDATE_MULTI.name,
    key: 'adamw-update',
    inputs: [
      ['param', 'f32'],
      ['m', 'f32'],
      ['v', 'f32'],
      ['grad', 'f32'],
    ],
    outputs: [
      ['paramOut', 'f32', shape],
      ['mOut', 'f32', shape],
      ['vOut', 'f32', shape],
    ],
    uniforms: [
      ['size', ['u32', size]],
      ['beta1', ['f32', attrs.beta1]],
      ['oneMinusBeta1', ['f32', 1 - attrs.beta1]],
      ['beta2', ['f32', attrs.beta2]],
      ['oneMinusBeta2', ['f32', 1 - attrs.beta2]],
      ['eps', ['f32', attrs.eps]],
      ['negativeStepSize', ['f32', -attrs.stepSize]],
      ['biasCorrection2Sqrt', ['f32', attrs.biasCorrection2Sqrt]],
      ['decay', ['f32', decay]],
      ['gradScale', ['f32', attrs.gradScale]],
    ],
    workgroups: Math.ceil(size / WORKGROUP),
    // The reference's operations and order (multiplying by exactly 1 changes nothing).
    body: () => `
${entryPoint()} {
  ${elementIndex('params.size')}
  let g = grad[i] * params.gradScale;
  let decayed = param[i] * params.decay;
  let m1 = m[i] * params.beta1 + g * params.oneMinusBeta1;
  let v1 = v[i] * params.beta2 + (g * g) * params.oneMinusBeta2;
  let denominator = sqrt(v1) / params.biasCorrection2Sqrt + params.eps;
  paramOut[i] = decayed + (m1 / denominator) * params.negativeStepSize;
  mOut[i] = m1;
  vOut[i] = v1;
}`,
  };
}

interface Item {
  index: number;
  tensors: [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  size: number;
  decay: number;
}

/** Small tensors grouped by decay, each group at most `limit` elements. */
function packGroups(items: readonly Item[], limit: number): Item[][] {
  const groups: Item[][] = [];
  const open = new Map<number, { items: Item[]; size: number }>();
  for (const item of items) {
    let group = open.get(item.decay);
    if (!group || group.size + item.size > limit) {
      group = { items: [], size: 0 };
      open.set(item.decay, group);
      groups.push(group.items);
    }
    group.items.push(item);
    group.size += item.size;
  }
  return groups;
}

export const adamWUpdateMultiKernel: KernelConfig = contractKernelConfig(
  ADAMW_UPDATE_MULTI,
  'webgpu',
  ({ inputs, attrs, backend }) => {
    const webgpu = backend as unknown as WebGpuBackendInternals;
    const { decays, ...scalars } = attrs;
    const items: Item[] = decays.map((decay, index) => {
      const tensors = (['param', 'm', 'v', 'grad'] as const).map((role) => {
        const tensor = inputs[`${role}${index}`];
        if (!tensor) throw new TypeError(`${ADAMW_UPDATE_MULTI.name}: no input ${role}${index}.`);
        return tensor;
      }) as Item['tensors'];
      const size = util.sizeFromShape(tensors[0].shape);
      for (const tensor of tensors) {
        if (tensor.dtype !== 'float32' || util.sizeFromShape(tensor.shape) !== size) {
          throw new TypeError(
            `${ADAMW_UPDATE_MULTI.name}: param${index}, m${index}, v${index} and grad${index} must be float32 of one size, got ${tensors.map((t) => `${t.dtype} [${t.shape}]`).join(', ')}.`,
          );
        }
      }
      return { index, tensors, size, decay };
    });
    const outputs: TensorInfo[] = new Array(items.length * 3);
    const small: Item[] = [];
    for (const item of items) {
      if (item.size > 0 && item.size < DIRECT_ELEMENTS) {
        small.push(item);
        continue;
      }
      // Large tensors (and empty ones, which record nothing) on their own buffers.
      const results = runFusedProgram(
        webgpu,
        updateProgram(item.tensors[0].shape, item.decay, scalars),
        item.tensors,
      );
      results.forEach((result, role) => {
        outputs[item.index * 3 + role] = result;
      });
    }
    const limit = Math.min(MAX_GROUP_ELEMENTS, Math.floor(bindingByteLimit(webgpu) / 4));
    for (const group of packGroups(small, limit)) {
      const size = group.reduce((sum, item) => sum + item.size, 0);
      const packed = [0, 1, 2, 3].map(() => webgpu.makeTensorInfo([size], 'float32'));
      let offset = 0;
      for (const item of group) {
        item.tensors.forEach((tensor, role) => {
          copyBetween(webgpu, tensor, 0, packed[role]!, offset * 4, item.size * 4);
        });
        offset += item.size;
      }
      const results = runFusedProgram(
        webgpu,
        updateProgram([size], group[0]!.decay, scalars),
        packed,
      );
      offset = 0;
      for (const item of group) {
        results.forEach((result, role) => {
          const output = webgpu.makeTensorInfo([...item.tensors[0].shape], 'float32');
          copyBetween(webgpu, result, offset * 4, output, 0, item.size * 4);
          outputs[item.index * 3 + role] = output;
        });
        offset += item.size;
      }
      for (const temporary of [...packed, ...results]) webgpu.disposeData(temporary.dataId);
    }
    return outputs;
  },
);
