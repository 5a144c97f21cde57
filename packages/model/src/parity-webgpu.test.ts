/**
 * PyTorch parity of the forward pass on WebGPU (Dawn on Chromium's SwiftShader
 * in Node): logits and loss from the fixture weights, as in parity.test.ts.
 * Reads only with `await data()`: synchronous reads crash under Node's WebGPU.
 */
import { existsSync, readFileSync } from 'node:fs';
import { initBackend } from '@gpt2/backends';
import { findSwiftShader } from '@gpt2/backends/swiftshader';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromHF } from './hf-config.js';
import { GPT2Model } from './model.js';
import { loadWeights } from './weights/load-weights.js';
import { readSafetensors } from './weights/safetensors.js';

/**
 * For tests that need a system package: skipped loudly on a developer machine
 * without it, a failure under CI=true (never a silent skip there).
 */
function systemRequirement(what: string, present: boolean, install: string): boolean {
  if (present) return true;
  const message = `\n*** ${what} is not installed: ${install}\n`;
  if (process.env.CI === 'true') throw new Error(`CI requires ${what}. ${message}`);
  console.warn(`${message}*** Skipping the tests that need it.\n`);
  return false;
}

const hasVulkanLoader = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
].some((path) => existsSync(path));
const ready = systemRequirement(
  'Chromium (SwiftShader) and the Vulkan loader',
  findSwiftShader() !== undefined && hasVulkanLoader,
  'apt-get install chromium libvulkan1',
);

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
    await initBackend('webgpu', { env: {} });
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
