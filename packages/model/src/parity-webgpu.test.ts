/**
 * PyTorch parity of the forward pass on WebGPU (Dawn on Chromium's SwiftShader
 * in Node): logits and loss from the fixture weights, as in parity.test.ts.
 * Reads only with `await data()`: synchronous reads crash under Node's WebGPU.
 */
import { readFileSync } from 'node:fs';
import { initBackend } from '@gpt2/backends';
import { requireSoftwareWebGpu } from '@gpt2/backends/testing';
import { createWebgpuBackend } from '@gpt2/backends/webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromHF } from './hf-config.js';
import { GPT2Model } from './model.js';
import { loadWeights } from './weights/load-weights.js';
import { readSafetensors } from './weights/safetensors.js';

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
const ready = requireSoftwareWebGpu({ swiftshaderPath });

const FIXTURES = new URL('./__fixtures__/', import.meta.url);
/** Same measures as parity.test.ts: max|a-b|/max|b| for logits, relative error for the loss. */
const LOGITS_TOLERANCE = 1e-4;
const LOSS_TOLERANCE = 1e-5;

function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

describe.runIf(ready)('PyTorch parity on webgpu (SwiftShader)', () => {
  let model: GPT2Model;

  beforeAll(async () => {
    await initBackend(createWebgpuBackend({ swiftshaderPath }));
    expect(tf.getBackend()).toBe('webgpu');
    const config = configFromHF(JSON.parse(readFileSync(new URL('config.json', FIXTURES), 'utf8')));
    model = GPT2Model.create(config, { init: 'zeros' });
    await loadWeights(model, readFileSync(new URL('reference-model.safetensors', FIXTURES)));
  });

  afterAll(() => model?.dispose());

  it('logits and loss match', async () => {
    const io = readSafetensors(readFileSync(new URL('reference-io.safetensors', FIXTURES))).tensors;
    const ids = tf.tensor2d(io.get('ids')!.data as Int32Array, [2, 16], 'int32');
    const targets = tf.tensor2d(io.get('targets')!.data as Int32Array, [2, 16], 'int32');
    const logits = model.forward(ids);
    const logitsError = scaledError(await logits.data(), io.get('logits')!.data);
    const loss = model.loss(ids, targets);
    const expectedLoss = io.get('loss.f64')!.data[0]!;
    const lossError = Math.abs((await loss.data())[0]! - expectedLoss) / expectedLoss;
    tf.dispose([ids, targets, logits, loss]);
    console.log(
      `PyTorch parity on webgpu: logits ${logitsError.toExponential(2)}, loss ${lossError.toExponential(2)}`,
    );
    expect(logitsError).toBeLessThanOrEqual(LOGITS_TOLERANCE);
    expect(lossError).toBeLessThanOrEqual(LOSS_TOLERANCE);
  });
});
