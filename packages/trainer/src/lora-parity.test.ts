/**
 * LoRA training parity: 10 AdamW steps on the adapters only, from the PEFT
 * adapter that tools/reference/make_lora_fixtures.py wrote, give PyTorch's
 * losses, gradient norms and final adapter (torch.optim.AdamW over lora_A and
 * lora_B, base frozen). The optimizer holds moments for the adapters alone.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@gpt2/backends';
import { requireNativeBackend } from '@gpt2/backends/testing';
import {
  addLora,
  configFromHF,
  countParameters,
  GPT2Model,
  loadLoraAdapter,
  loadWeights,
  readSafetensors,
  resolveConfig,
} from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { TrainingBatchSource } from './batch-source.js';
import type { StepEvent } from './events.js';
import { createTrainer } from './trainer.js';

const fixtures = fileURLToPath(new URL('../../model/src/__fixtures__/', import.meta.url));

function repeatBatch(
  inputs: Int32Array,
  targets: Int32Array,
  B: number,
  T: number,
): TrainingBatchSource {
  return {
    async next() {
      return { inputs, targets, batchSize: B, blockSize: T };
    },
    getState: () => ({}),
    setState: () => undefined,
  };
}

function transposed(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

const BACKENDS = [
  'cpu',
  'wasm',
  ...((await requireNativeBackend()) ? (['native'] as const) : []),
] as const;

describe.each(BACKENDS)('LoRA AdamW parity with PyTorch on %s', (backend) => {
  it('10 steps on the adapters only: losses and final adapter within 1e-4', async () => {
    await initBackend(backend);
    const read = async (name: string) => new Uint8Array(await readFile(join(fixtures, name)));
    const config = configFromHF(JSON.parse(await readFile(join(fixtures, 'config.json'), 'utf8')));
    const model = GPT2Model.create(config, { init: 'zeros' });
    await loadWeights(model, await read('reference-model.safetensors'));
    const lora = await loadLoraAdapter(model, {
      config: await readFile(join(fixtures, 'lora/adapter_config.json'), 'utf8'),
      weights: await read('lora/adapter_model.safetensors'),
    });
    const io = readSafetensors(await read('lora/lora-io.safetensors'));
    const hyper = JSON.parse(io.metadata.adamw!) as Record<string, number>;
    const ids = io.tensors.get('ids')!;
    const targets = io.tensors.get('targets')!;
    const [B, T] = ids.shape as [number, number];
    const events: StepEvent[] = [];
    const trainer = createTrainer({
      model: lora,
      train: repeatBatch(ids.data as Int32Array, targets.data as Int32Array, B, T),
      config: {
        maxSteps: hyper.steps!,
        schedule: { type: 'constant', lr: hyper.lr! },
        optimizer: {
          beta1: hyper.beta1!,
          beta2: hyper.beta2!,
          eps: hyper.eps!,
          weightDecay: hyper.weight_decay!,
        },
        gradClip: hyper.grad_clip!,
      },
      onEvent: (e) => e.type === 'step' && events.push(e),
    });
    expect(trainer.trainableParameterNames).toEqual([...lora.parameters().keys()]);
    const result = await trainer.run();
    const expected = Array.from(io.tensors.get('adamw.losses.f64')!.data);
    const norms = Array.from(io.tensors.get('adamw.grad_norms.f64')!.data);
    const lossError = Math.max(
      ...result.losses.map((l, i) => Math.abs(l - expected[i]!) / expected[i]!),
    );
    const normError = Math.max(
      ...events.map((e, i) => Math.abs(e.gradNorm - norms[i]!) / norms[i]!),
    );
    let weightError = 0;
    const parameters = lora.parameters();
    for (const plan of lora.layers) {
      for (const part of ['A', 'B'] as const) {
        const variable = parameters.get(`${plan.name}.lora_${part}`)!;
        const [rows, cols] = variable.shape as [number, number];
        const ours = transposed(await variable.data(), rows, cols);
        const reference = io.tensors.get(`adamw.final.${plan.module}.lora_${part}.weight`)!.data;
        let diff = 0;
        let scale = 0;
        reference.forEach((value, i) => {
          diff = Math.max(diff, Math.abs(ours[i]! - value));
          scale = Math.max(scale, Math.abs(value));
        });
        weightError = Math.max(weightError, diff / scale);
      }
    }
    console.log(
      `[${backend}] LoRA AdamW parity: losses ${lossError.toExponential(2)}, grad norms ` +
        `${normError.toExponential(2)}, final adapter ${weightError.toExponential(2)} (max|a-b|/max|b|)`,
    );
    expect(result.losses).toHaveLength(10);
    expect(lossError).toBeLessThan(1e-4);
    expect(normError).toBeLessThan(1e-4);
    expect(weightError).toBeLessThan(1e-4);
    trainer.dispose();
    lora.dispose();
    model.dispose();
  });
});

describe('LoRA optimizer state', () => {
  it('AdamW keeps moments for the adapters only: memory drops with the trainable set', async () => {
    await initBackend('cpu');
    const config = resolveConfig({
      preset: 'gpt2-tiny',
      vocabSize: 128,
      nPositions: 16,
      nEmbd: 32,
      nLayer: 2,
      nHead: 2,
    });
    const tokens = Int32Array.from({ length: 2 * 16 }, (_, i) => (i * 5) % 128);
    const source = () =>
      repeatBatch(
        tokens,
        tokens.map((t) => (t + 1) % 128),
        2,
        16,
      );
    /** Bytes that stay allocated after one step: the optimizer's moments. */
    async function stateBytes(
      model: { parameters(): Map<string, tf.Variable> } & Parameters<
        typeof createTrainer
      >[0]['model'],
    ) {
      const before = tf.memory().numBytes;
      const trainer = createTrainer({
        model,
        train: source(),
        config: { maxSteps: 1, evalAtStart: false },
      });
      await trainer.run();
      const bytes = tf.memory().numBytes - before;
      trainer.dispose();
      return bytes;
    }
    const model = GPT2Model.create(config, { seed: 1 });
    tf.dispose(model.forward([[1, 2]])); // builds the cached causal mask, which would count
    const full = await stateBytes(model);
    const lora = addLora(model, { r: 4, alpha: 8, targets: ['c_attn', 'c_proj'] });
    const adapters = await stateBytes(lora);
    console.log(
      `AdamW state: full ${full} bytes (${countParameters(config)} parameters), LoRA ${adapters} bytes (${lora.trainableParameterCount()} parameters)`,
    );
    expect(full).toBe(2 * 4 * countParameters(config));
    expect(adapters).toBe(2 * 4 * lora.trainableParameterCount());
    lora.dispose();
    model.dispose();
  });
});
