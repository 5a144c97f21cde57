/**
 * PyTorch parity: the fixture weights (tools/reference/make_fixtures.py, an
 * independent nanoGPT-style GPT-2) give the same logits, loss and gradients
 * here as in PyTorch, on the cpu backend and on wasm with its stock kernels,
 * with @gpt2/backends' XNNPACK overrides, with the native OpenBLAS kernel
 * (where it is built; otherwise that run repeats the XNNPACK overrides), and
 * on the native backend (on 1 thread and on all, and with its built-in sgemm
 * instead of OpenBLAS), and on webgpu (Dawn on
 * SwiftShader in Node; gated on those system packages). Reads use
 * `await data()` only: synchronous reads crash under Node's WebGPU.
 *
 * Error measure for tensors: max|ours - torch| / max|torch| over the whole
 * tensor (a relative error scaled by the tensor's largest magnitude, so that
 * entries near zero do not blow it up). Scalars: |ours - torch| / |torch|.
 * The reference values were computed in float64 from the float32 weights.
 *
 * The memory-lean paths of the loss (the chunked head + cross-entropy, and
 * recomputed blocks) are held to the same tolerances against PyTorch, and
 * their distance from the plain path is printed.
 */
import { readFileSync } from 'node:fs';
import { initBackend } from '@gpt2/backends';
import { createCpuBackend } from '@gpt2/backends/cpu';
import { createNativeBackend } from '@gpt2/backends/native';
import {
  longTests,
  requireNativeBackend,
  requireSoftwareWebGpu,
  scaledError,
} from '@gpt2/backends/testing';
import { createWasmBackend } from '@gpt2/backends/wasm';
import { createWebgpuBackend } from '@gpt2/backends/webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromHF } from './hf-config.js';
import { GPT2Model, type LossOptions } from './model.js';
import { loadWeights } from './weights/load-weights.js';
import { readSafetensors, type SafetensorsTensor } from './weights/safetensors.js';

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
const FIXTURES = new URL('./__fixtures__/', import.meta.url);
const config = configFromHF(JSON.parse(readFileSync(new URL('config.json', FIXTURES), 'utf8')));
const weights = readFileSync(new URL('reference-model.safetensors', FIXTURES));
const io = readSafetensors(readFileSync(new URL('reference-io.safetensors', FIXTURES))).tensors;

/** Tolerances (see the file comment for the measure). */
const LOGITS_TOLERANCE = 1e-4;
const LOSS_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-3;

function reference(name: string): SafetensorsTensor {
  const tensor = io.get(name);
  if (!tensor) throw new Error(`reference-io.safetensors has no ${name}`);
  return tensor;
}

function asIds(name: string): tf.Tensor2D {
  const { shape, data } = reference(name);
  return tf.tensor2d(data as Int32Array, shape as [number, number], 'int32');
}

/** max|a - b| / max|b|. */
const measured: string[] = [];
afterAll(() => console.log(`PyTorch parity (max|a-b|/max|b|):\n${measured.join('\n')}`));

/** The loss paths checked: plain, and each memory-lean one (chunks of 7 of 32 rows, a remainder of 4). */
const PATHS: ReadonlyArray<{ path: string; options: LossOptions }> = [
  { path: 'plain', options: { crossEntropyChunk: 0 } },
  { path: 'chunked CE', options: { crossEntropyChunk: 7 } },
  { path: 'recompute', options: { crossEntropyChunk: 0, recompute: true } },
  { path: 'recompute + chunked CE', options: { crossEntropyChunk: 7, recompute: true } },
];

const BACKENDS = [
  { label: 'cpu', backend: 'cpu', provider: () => createCpuBackend() },
  {
    label: 'wasm, stock kernels',
    backend: 'wasm',
    provider: () => createWasmBackend({ kernelOverrides: false }),
  },
  {
    label: 'wasm + XNNPACK overrides',
    backend: 'wasm',
    provider: () => createWasmBackend({ nativeBlas: false }),
  },
  { label: 'wasm + native BLAS', backend: 'wasm', provider: () => createWasmBackend() },
  ...((await requireNativeBackend())
    ? [
        { label: 'native', backend: 'native', provider: () => createNativeBackend() } as const,
        {
          label: 'native, one thread',
          backend: 'native',
          provider: () => createNativeBackend({ threads: 1 }),
        } as const,
        {
          // What a machine without OpenBLAS runs.
          label: 'native, built-in sgemm',
          backend: 'native',
          provider: () => createNativeBackend({ blas: 'builtin' }),
        } as const,
      ]
    : []),
  // Minutes on SwiftShader: a long check (the browser suite runs it in Chromium by default).
  ...(requireSoftwareWebGpu({ swiftshaderPath }) && longTests('PyTorch parity on webgpu in Node')
    ? [
        {
          label: 'webgpu (Dawn, SwiftShader)',
          backend: 'webgpu',
          provider: () => createWebgpuBackend({ swiftshaderPath }),
        } as const,
      ]
    : []),
] as const;

describe.each(BACKENDS)('PyTorch parity on $label', ({ label, backend, provider }) => {
  let model: GPT2Model;
  let ids: tf.Tensor2D;
  let targets: tf.Tensor2D;

  beforeAll(async () => {
    await initBackend(provider());
    expect(tf.getBackend()).toBe(backend);
    model = GPT2Model.create(config, { init: 'zeros' });
    await loadWeights(model, weights, { name: 'reference-model.safetensors' });
    ids = asIds('ids');
    targets = asIds('targets');
  });

  afterAll(() => {
    model.dispose();
    tf.dispose([ids, targets]);
  });

  it('logits and losses match', async () => {
    const logits = model.forward(ids);
    expect(logits.shape).toEqual(reference('logits').shape);
    const logitsError = scaledError(await logits.data(), reference('logits').data);
    logits.dispose();
    expect(logitsError).toBeLessThanOrEqual(LOGITS_TOLERANCE);
    measured.push(`  ${label}: logits ${logitsError.toExponential(2)}`);

    for (const { path, options } of PATHS) {
      const loss = model.loss(ids, targets, options);
      const lossValue = (await loss.data())[0]!;
      loss.dispose();
      const expectedLoss = reference('loss.f64').data[0]!;
      const lossError = Math.abs(lossValue - expectedLoss) / Math.abs(expectedLoss);

      const masked = asIds('targets_masked');
      const maskedLoss = model.loss(ids, masked, { ...options, ignoreIndex: -1 });
      const maskedValue = (await maskedLoss.data())[0]!;
      tf.dispose([masked, maskedLoss]);
      const expectedMasked = reference('loss_masked.f64').data[0]!;
      const maskedError = Math.abs(maskedValue - expectedMasked) / Math.abs(expectedMasked);

      measured.push(
        `  ${label}, ${path}: loss ${lossError.toExponential(2)}, masked loss ${maskedError.toExponential(2)}`,
      );
      expect(lossError, path).toBeLessThanOrEqual(LOSS_TOLERANCE);
      expect(maskedError, path).toBeLessThanOrEqual(LOSS_TOLERANCE);
    }
  });

  it.each(PATHS)(
    'every parameter gradient matches ($path), without leaks',
    async ({ path, options }) => {
      const before = tf.memory().numTensors;
      const parameters = model.parameters();
      const lossOf = (o: LossOptions) =>
        tf.variableGrads(() => model.loss(ids, targets, o), [...parameters.values()]);
      const { value, grads } = lossOf(options);
      const plain = path === 'plain' ? undefined : lossOf(PATHS[0]!.options);
      let worst = { name: '', error: 0 };
      let fromPlain = 0;
      for (const [name, variable] of parameters) {
        const grad = grads[variable.name];
        expect(grad, `gradient of ${name}`).toBeDefined();
        const expected = reference(`grad.${name}`);
        expect(grad!.shape, name).toEqual(expected.shape);
        const data = await grad!.data();
        const error = scaledError(data, expected.data);
        if (error > worst.error) worst = { name, error };
        expect(error, `gradient of ${name}`).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
        if (plain) {
          fromPlain = Math.max(
            fromPlain,
            scaledError(data, await plain.grads[variable.name]!.data()),
          );
        }
      }
      measured.push(
        `  ${label}, ${path}: worst gradient ${worst.error.toExponential(2)} (${worst.name})` +
          (plain ? `; from the plain path ${fromPlain.toExponential(2)}` : ''),
      );
      tf.dispose([value, ...Object.values(grads)]);
      if (plain) tf.dispose([plain.value, ...Object.values(plain.grads)]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
