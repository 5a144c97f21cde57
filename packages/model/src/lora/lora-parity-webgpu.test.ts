/**
 * LoRA parity with the PyTorch reference on WebGPU (Dawn on Chromium's
 * SwiftShader in Node): the fixture adapter gives PyTorch's logits, loss and
 * gradient of every A and B, as lora-parity.test.ts checks on cpu, wasm and
 * native. Reads only with `await data()`: synchronous reads crash under
 * Node's WebGPU. Merging is left to the other backends (SwiftShader is slow).
 */
import { readFileSync } from 'node:fs';
import { initBackend } from '@gpt2/backends';
import { requireSoftwareWebGpu, scaledError } from '@gpt2/backends/testing';
import { createWebgpuBackend } from '@gpt2/backends/webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromHF } from '../hf-config.js';
import { GPT2Model } from '../model.js';
import { loadWeights } from '../weights/load-weights.js';
import { readSafetensors } from '../weights/safetensors.js';
import type { LoraModel } from './lora-model.js';
import { loadLoraAdapter } from './peft-format.js';

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
const ready = requireSoftwareWebGpu({ swiftshaderPath });

const FIXTURES = new URL('../__fixtures__/', import.meta.url);
/** Same measures and bounds as lora-parity.test.ts. */
const LOGITS_TOLERANCE = 1e-4;
const LOSS_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-3;

/** [rows, cols] → [cols, rows] (our A/B layout to PEFT's). */
function transposed(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

describe.runIf(ready)('LoRA parity with PyTorch on webgpu (SwiftShader)', () => {
  let model: GPT2Model;
  let lora: LoraModel;
  const io = readSafetensors(readFileSync(new URL('lora/lora-io.safetensors', FIXTURES))).tensors;

  beforeAll(async () => {
    await initBackend(createWebgpuBackend({ swiftshaderPath }));
    expect(tf.getBackend()).toBe('webgpu');
    const config = configFromHF(JSON.parse(readFileSync(new URL('config.json', FIXTURES), 'utf8')));
    model = GPT2Model.create(config, { init: 'zeros' });
    await loadWeights(model, readFileSync(new URL('reference-model.safetensors', FIXTURES)));
    lora = await loadLoraAdapter(model, {
      config: readFileSync(new URL('lora/adapter_config.json', FIXTURES), 'utf8'),
      weights: new Uint8Array(readFileSync(new URL('lora/adapter_model.safetensors', FIXTURES))),
    });
  });

  afterAll(() => {
    lora?.dispose();
    model?.dispose();
  });

  it('logits, loss and the gradient of every A and B match', async () => {
    const ids = tf.tensor2d(io.get('ids')!.data as Int32Array, [2, 16], 'int32');
    const targets = tf.tensor2d(io.get('targets')!.data as Int32Array, [2, 16], 'int32');
    const logits = lora.forward(ids);
    const logitsError = scaledError(await logits.data(), io.get('logits')!.data);
    const { value, grads } = tf.variableGrads(() => lora.loss(ids, targets));
    const expectedLoss = io.get('loss.f64')!.data[0]!;
    const lossError = Math.abs((await value.data())[0]! - expectedLoss) / expectedLoss;
    const parameters = lora.parameters();
    let worst = { name: '', error: 0 };
    for (const plan of lora.layers) {
      for (const part of ['A', 'B'] as const) {
        const variable = parameters.get(`${plan.name}.lora_${part}`)!;
        const [rows, cols] = variable.shape as [number, number];
        const ours = transposed(await grads[variable.name]!.data(), rows, cols);
        const name = `grad.${plan.module}.lora_${part}.weight`;
        const error = scaledError(ours, io.get(name)!.data);
        if (error > worst.error) worst = { name, error };
        expect(error, name).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
      }
    }
    tf.dispose([ids, targets, logits, value, ...Object.values(grads)]);
    console.log(
      `LoRA PyTorch parity on webgpu: logits ${logitsError.toExponential(2)}, loss ${lossError.toExponential(2)}, worst adapter gradient ${worst.error.toExponential(2)} (${worst.name})`,
    );
    expect(logitsError).toBeLessThanOrEqual(LOGITS_TOLERANCE);
    expect(lossError).toBeLessThanOrEqual(LOSS_TOLERANCE);
  });
});
