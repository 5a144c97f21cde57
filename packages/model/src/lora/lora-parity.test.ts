/**
 * LoRA parity with the PyTorch reference (tools/reference/make_lora_fixtures.py,
 * PEFT's semantics written independently): a PEFT adapter folder written by
 * Python loads here and gives the same logits, loss and gradients of every A
 * and B, and merging gives the same weights; unmerging restores the originals
 * bit for bit; on cpu, wasm and (where built) native. Error measure as in parity.test.ts: max|ours - torch| / max|torch|.
 */
import { readFileSync } from 'node:fs';
import { initBackend } from '@gpt2/backends';
import { requireNativeBackend, scaledError } from '@gpt2/backends/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromHF } from '../hf-config.js';
import { GPT2Model } from '../model.js';
import { loadWeights } from '../weights/load-weights.js';
import { readSafetensors, type SafetensorsTensor } from '../weights/safetensors.js';
import { type LoraModel, mergeLora, unmergeLora } from './lora-model.js';
import { loadLoraAdapter } from './peft-format.js';

const FIXTURES = new URL('../__fixtures__/', import.meta.url);
const config = configFromHF(JSON.parse(readFileSync(new URL('config.json', FIXTURES), 'utf8')));
const weights = readFileSync(new URL('reference-model.safetensors', FIXTURES));
const base = readSafetensors(weights).tensors;
const adapterConfig = readFileSync(new URL('lora/adapter_config.json', FIXTURES), 'utf8');
const adapterWeights = new Uint8Array(
  readFileSync(new URL('lora/adapter_model.safetensors', FIXTURES)),
);
const io = readSafetensors(readFileSync(new URL('lora/lora-io.safetensors', FIXTURES))).tensors;

const LOGITS_TOLERANCE = 1e-4;
const LOSS_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-3;
const MERGED_TOLERANCE = 1e-6;

function reference(name: string): SafetensorsTensor {
  const tensor = io.get(name);
  if (!tensor) throw new Error(`lora-io.safetensors has no ${name}`);
  return tensor;
}

/** [rows, cols] → [cols, rows]. */
function transposed(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

const measured: string[] = [];
afterAll(() => console.log(`LoRA PyTorch parity (max|a-b|/max|b|):\n${measured.join('\n')}`));

// cpu and wasm always; the native backend where it is built (a loud skip otherwise).
const BACKENDS = [
  'cpu',
  'wasm',
  ...((await requireNativeBackend()) ? (['native'] as const) : []),
] as const;

describe.each(BACKENDS)('LoRA parity with PyTorch on %s', (backend) => {
  let model: GPT2Model;
  let lora: LoraModel;
  let ids: tf.Tensor2D;
  let targets: tf.Tensor2D;

  beforeAll(async () => {
    await initBackend(backend);
    expect(tf.getBackend()).toBe(backend);
    model = GPT2Model.create(config, { init: 'zeros' });
    await loadWeights(model, weights);
    lora = await loadLoraAdapter(model, { config: adapterConfig, weights: adapterWeights });
    const asIds = (name: string) => {
      const { data, shape } = reference(name);
      return tf.tensor2d(data as Int32Array, shape as [number, number], 'int32');
    };
    ids = asIds('ids');
    targets = asIds('targets');
  });

  afterAll(() => {
    lora.dispose();
    model.dispose();
    tf.dispose([ids, targets]);
  });

  it('reads the Python-written adapter: 8 layers, PEFT suffix matching', () => {
    expect(lora.layers.map((layer) => layer.name)).toEqual([
      'h.0.attn.c_attn',
      'h.0.attn.c_proj',
      'h.0.mlp.c_fc',
      'h.0.mlp.c_proj',
      'h.1.attn.c_attn',
      'h.1.attn.c_proj',
      'h.1.mlp.c_fc',
      'h.1.mlp.c_proj',
    ]);
    expect(lora.layers.every((layer) => layer.r === 4 && layer.scale === 3)).toBe(true);
    expect(lora.trainableParameterCount()).toBe(6144);
  });

  it('logits and loss with the adapter match', async () => {
    const logits = lora.forward(ids);
    const logitsError = scaledError(await logits.data(), reference('logits').data);
    logits.dispose();
    const loss = lora.loss(ids, targets);
    const value = (await loss.data())[0]!;
    loss.dispose();
    const expected = reference('loss.f64').data[0]!;
    const lossError = Math.abs(value - expected) / expected;
    measured.push(
      `  ${backend}: logits ${logitsError.toExponential(2)}, loss ${lossError.toExponential(2)}`,
    );
    expect(logitsError).toBeLessThanOrEqual(LOGITS_TOLERANCE);
    expect(lossError).toBeLessThanOrEqual(LOSS_TOLERANCE);
  });

  it('cached logits with the adapter match too (the KV-cache path, fused blocks where a backend has them)', async () => {
    const [B, T] = ids.shape;
    const half = T / 2;
    const cache = lora.createKVCache(B);
    const parts = [
      lora.forward(tf.slice(ids, [0, 0], [B, half]), { cache }),
      lora.forward(tf.slice(ids, [0, half], [B, T - half]), { cache }),
    ];
    const logits = tf.concat(parts, 1);
    const error = scaledError(await logits.data(), reference('logits').data);
    tf.dispose([...parts, logits]);
    cache.dispose();
    measured.push(`  ${backend}: cached logits ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(LOGITS_TOLERANCE);
  });

  it('the gradient of every A and B matches, and the base gets none', async () => {
    const before = tf.memory().numTensors;
    // No variable list: every trainable variable, and the base weights are not trainable.
    const { value, grads } = tf.variableGrads(() => lora.loss(ids, targets));
    const parameters = lora.parameters();
    expect(Object.keys(grads).sort()).toEqual([...parameters.values()].map((v) => v.name).sort());
    let worst = { name: '', error: 0 };
    for (const plan of lora.layers) {
      for (const part of ['A', 'B'] as const) {
        const variable = parameters.get(`${plan.name}.lora_${part}`)!;
        const [rows, cols] = variable.shape as [number, number];
        const ours = transposed(await grads[variable.name]!.data(), rows, cols); // PEFT layout
        const name = `grad.${plan.module}.lora_${part}.weight`;
        const error = scaledError(ours, reference(name).data);
        if (error > worst.error) worst = { name, error };
        expect(error, name).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
      }
    }
    measured.push(
      `  ${backend}: worst adapter gradient ${worst.error.toExponential(2)} (${worst.name})`,
    );
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('merged weights match, and unmerging restores the originals exactly', async () => {
    const logitsArray = async () => {
      const logits = lora.forward(ids);
      const values = await logits.array();
      logits.dispose();
      return values;
    };
    const before = await logitsArray();
    const parameters = model.parameters();
    mergeLora(lora);
    let worst = 0;
    for (const plan of lora.layers) {
      const merged = await parameters.get(`${plan.name}.weight`)!.data();
      const error = scaledError(merged, reference(`merged.${plan.module}.weight`).data);
      worst = Math.max(worst, error);
      expect(error, plan.name).toBeLessThanOrEqual(MERGED_TOLERANCE);
    }
    const mergedLogits = lora.forward(ids);
    const logitsError = scaledError(await mergedLogits.data(), reference('logits').data);
    mergedLogits.dispose();
    expect(logitsError).toBeLessThanOrEqual(LOGITS_TOLERANCE);
    measured.push(
      `  ${backend}: merged weights ${worst.toExponential(2)}, merged logits ${logitsError.toExponential(2)}`,
    );
    unmergeLora(lora);
    for (const plan of lora.layers) {
      const restored = await parameters.get(`${plan.name}.weight`)!.data();
      expect(Buffer.from(restored.buffer)).toEqual(
        Buffer.from((base.get(`${plan.name}.weight`)!.data as Float32Array).buffer),
      );
    }
    expect(await logitsArray()).toEqual(before);
  });
});
