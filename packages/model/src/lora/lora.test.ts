import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { flopsPerToken } from '../count.js';
import { GPT2Model } from '../model.js';
import { planLoraLayers, resolveLoraConfig } from './lora-config.js';
import { loraFlopsPerToken, loraFootprint } from './lora-footprint.js';
import { addLora, mergeLora, unmergeLora } from './lora-model.js';

const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 64,
  nPositions: 32,
  nEmbd: 16,
  nLayer: 2,
  nHead: 2,
});
const ids = [
  [1, 2, 3, 4, 5, 6, 7, 8],
  [9, 10, 11, 12, 13, 14, 15, 16],
];
const targets = ids.map((row) => row.map((v) => (v + 3) % 64));

async function values(tensor: tf.Tensor): Promise<Float32Array> {
  const data = (await tensor.data()) as Float32Array;
  tensor.dispose();
  return data;
}

/** Give every B random values, so the adapters change the outputs. */
function randomizeB(parameters: Map<string, tf.Variable>, seed = 1): void {
  for (const [name, variable] of parameters) {
    if (name.endsWith('lora_B')) {
      tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.2, 'float32', seed++)));
    }
  }
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('target modules (PEFT semantics)', () => {
  const names = (targets: string[] | string, extra = {}) =>
    planLoraLayers(config, resolveLoraConfig({ targets, ...extra })).map((layer) => layer.name);

  it('matches names exactly or by suffix; c_proj is both projections', () => {
    expect(names(['c_attn'])).toEqual(['h.0.attn.c_attn', 'h.1.attn.c_attn']);
    expect(names(['c_attn', 'c_proj'])).toEqual([
      'h.0.attn.c_attn',
      'h.0.attn.c_proj',
      'h.0.mlp.c_proj',
      'h.1.attn.c_attn',
      'h.1.attn.c_proj',
      'h.1.mlp.c_proj',
    ]);
    expect(names(['attn.c_proj'])).toEqual(['h.0.attn.c_proj', 'h.1.attn.c_proj']);
    expect(names(['transformer.h.1.mlp.c_fc'])).toEqual(['h.1.mlp.c_fc']);
    expect(names('all-linear')).toHaveLength(8);
    expect(names('.*\\.0\\.mlp\\..*')).toEqual(['h.0.mlp.c_fc', 'h.0.mlp.c_proj']);
    expect(names(['c_fc'], { layers: [1] })).toEqual(['h.1.mlp.c_fc']);
  });

  it('per-module ranks and alphas, and rsLoRA scaling', () => {
    const plans = planLoraLayers(
      config,
      resolveLoraConfig({
        targets: ['c_attn', 'c_fc'],
        r: 8,
        alpha: 16,
        rankPattern: { 'h.1.attn.c_attn': 2 },
        alphaPattern: { c_fc: 4 },
      }),
    );
    expect(plans.map(({ name, r, scale }) => [name, r, scale])).toEqual([
      ['h.0.attn.c_attn', 8, 2],
      ['h.0.mlp.c_fc', 8, 0.5],
      ['h.1.attn.c_attn', 2, 8],
      ['h.1.mlp.c_fc', 8, 0.5],
    ]);
    const [rs] = planLoraLayers(config, resolveLoraConfig({ r: 4, alpha: 8, useRslora: true }));
    expect(rs!.scale).toBe(4);
  });

  it('rejects unknown targets and bad settings with errors that name them', () => {
    expect(() => names(['c_atn'])).toThrow(/unknown target module 'c_atn' names no module/);
    expect(() => names(['wte'])).toThrow(/'wte' is a GPT-2 module that is not a Conv1D layer/);
    expect(() => names(['lm_head'])).toThrow(/not a Conv1D layer/);
    expect(() => names('q_proj')).toThrow(/matches no Conv1D layer/);
    expect(() => names(['c_attn'], { layers: [2] })).toThrow(/block 2 does not exist/);
    expect(() => resolveLoraConfig({ r: 0 })).toThrow(/r must be a positive integer/);
    expect(() => resolveLoraConfig({ dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => resolveLoraConfig({ targets: [] })).toThrow(/non-empty list/);
    expect(() => resolveLoraConfig({ rank: 8 } as never)).toThrow(/unknown key 'rank'/);
  });
});

describe('LoraModel', () => {
  it('starts as the base model (B = 0), with PEFT-initialised A', async () => {
    const model = GPT2Model.create(config, { seed: 3 });
    const baseLogits = await values(model.forward(ids));
    const lora = addLora(model, { r: 4, alpha: 8, targets: ['c_attn', 'c_proj', 'c_fc'] });
    expect(await values(lora.forward(ids))).toEqual(baseLogits);
    const parameters = lora.parameters();
    expect([...parameters.keys()].slice(0, 2)).toEqual([
      'h.0.attn.c_attn.lora_A',
      'h.0.attn.c_attn.lora_B',
    ]);
    expect(parameters.get('h.0.attn.c_attn.lora_A')!.shape).toEqual([16, 4]);
    expect(parameters.get('h.0.attn.c_attn.lora_B')!.shape).toEqual([4, 48]);
    expect(parameters.get('h.0.mlp.c_proj.lora_A')!.shape).toEqual([64, 4]);
    // Kaiming-uniform with a = √5: U(-1/√in, 1/√in), so |A| < 1/√in and its variance is bound²/3.
    const a = (await parameters.get('h.0.mlp.c_proj.lora_A')!.data()) as Float32Array;
    const bound = 1 / Math.sqrt(64);
    expect(Math.max(...a.map(Math.abs))).toBeLessThan(bound);
    const variance = a.reduce((sum, x) => sum + x * x, 0) / a.length;
    expect(variance).toBeGreaterThan((bound * bound) / 3 / 1.5);
    expect(variance).toBeLessThan(((bound * bound) / 3) * 1.5);
    expect([...(await parameters.get('h.0.mlp.c_proj.lora_B')!.data())].every((x) => x === 0)).toBe(
      true,
    );
    // 3 layers × 2 blocks: c_attn 4·(16+48), both c_proj 4·(16+16) and 4·(64+16), c_fc 4·(16+64).
    expect(lora.trainableParameterCount()).toBe(2 * 4 * (64 + 32 + 80 + 80));
    // Seeded: the same A again, on any backend.
    lora.dispose();
    const again = addLora(model, { r: 4, alpha: 8, targets: ['c_attn', 'c_proj', 'c_fc'] });
    expect(await again.parameters().get('h.0.mlp.c_proj.lora_A')!.data()).toEqual(a);
    again.dispose();
    model.dispose();
  });

  it('adds x·A·B·(alpha/r) to the layer output', async () => {
    const model = GPT2Model.create(config, { seed: 4 });
    const lora = addLora(model, { r: 2, alpha: 6, targets: ['h.0.attn.c_attn'] });
    randomizeB(lora.parameters());
    const got = await values(lora.forward(ids));
    // A second model whose c_attn weight is W + A·B·3 by hand gives the same logits.
    const twin = GPT2Model.create(config, { seed: 4 });
    const parameters = lora.parameters();
    tf.tidy(() => {
      const a = parameters.get('h.0.attn.c_attn.lora_A')!;
      const b = parameters.get('h.0.attn.c_attn.lora_B')!;
      const weight = twin.parameters().get('h.0.attn.c_attn.weight')!;
      weight.assign(tf.add(weight, tf.mul(tf.matMul(a, b), 3)));
    });
    const expected = await values(twin.forward(ids));
    const error = Math.max(...got.map((x, i) => Math.abs(x - expected[i]!)));
    expect(error).toBeLessThan(1e-5);
    expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(0.1);
    lora.dispose();
    twin.dispose();
    model.dispose();
  });

  it('merges exactly reversibly; a final merge survives dispose', async () => {
    const model = GPT2Model.create(config, { seed: 5 });
    const weight = model.parameters().get('h.1.mlp.c_fc.weight')!;
    const original = await weight.data();
    const lora = addLora(model, { r: 4, alpha: 4, targets: 'all-linear' });
    randomizeB(lora.parameters());
    const adapted = await values(lora.forward(ids));
    const start = tf.memory().numTensors;
    for (let round = 0; round < 3; round++) {
      mergeLora(lora);
      expect(lora.merged).toBe(true);
      expect(await weight.data()).not.toEqual(original);
      const merged = await values(lora.forward(ids));
      expect(Math.max(...merged.map((x, i) => Math.abs(x - adapted[i]!)))).toBeLessThan(1e-5);
      expect(() => mergeLora(lora)).toThrow(/merged already/);
      expect(() => lora.loss(ids, targets, { training: true })).toThrow(
        /unmergeLora\(\) before training/,
      );
      unmergeLora(lora);
      expect(await weight.data()).toEqual(original);
      expect(await values(lora.forward(ids))).toEqual(adapted);
      expect(tf.memory().numTensors).toBe(start);
    }
    expect(() => unmergeLora(lora)).toThrow(/not merged/);
    mergeLora(lora, { keepOriginals: false });
    expect(() => unmergeLora(lora)).toThrow(/original weights are gone/);
    lora.dispose();
    // merge_and_unload: the base model now computes the adapted outputs on its own.
    const unloaded = await values(model.forward(ids));
    expect(Math.max(...unloaded.map((x, i) => Math.abs(x - adapted[i]!)))).toBeLessThan(1e-5);
    expect(weight.trainable).toBe(true);
    model.dispose();
  });

  it('freezes the base: gradients and trainable variables are the adapters only', async () => {
    const model = GPT2Model.create(config, { seed: 6 });
    const baseParameters = model.parameters();
    const full = tf.variableGrads(() => model.loss(ids, targets));
    const fullBytes = Object.values(full.grads).reduce((sum, g) => sum + g.size * 4, 0);
    tf.dispose([full.value, ...Object.values(full.grads)]);

    const lora = addLora(model, { r: 2, alpha: 4, targets: ['c_attn', 'c_proj'] });
    randomizeB(lora.parameters());
    expect([...baseParameters.values()].every((v) => !v.trainable)).toBe(true);
    const adapterNames = [...lora.parameters().values()].map((v) => v.name).sort();
    const { value, grads } = tf.variableGrads(() => lora.loss(ids, targets));
    expect(Object.keys(grads).sort()).toEqual(adapterNames);
    const loraBytes = Object.values(grads).reduce((sum, g) => sum + g.size * 4, 0);
    expect(loraBytes).toBe(lora.trainableParameterCount() * 4);
    expect(loraBytes * 10).toBeLessThan(fullBytes);
    for (const grad of Object.values(grads)) {
      expect(Math.max(...(await grad.data()).map(Math.abs))).toBeGreaterThan(0);
    }
    // Naming a base weight explicitly still yields no gradient for it.
    const explicit = tf.variableGrads(
      () => lora.loss(ids, targets),
      [baseParameters.get('h.0.attn.c_attn.weight')!, ...lora.parameters().values()],
    );
    expect(explicit.grads[baseParameters.get('h.0.attn.c_attn.weight')!.name]).toBeNull();
    tf.dispose([value, ...Object.values(grads), explicit.value]);
    tf.dispose(Object.values(explicit.grads).filter((g): g is tf.Tensor => g !== null));
    lora.dispose();
    expect([...baseParameters.values()].every((v) => v.trainable)).toBe(true);
    model.dispose();
  });

  it('LoRA dropout applies while training only, reproducibly from the model state', async () => {
    const model = GPT2Model.create(config, { seed: 7 });
    const lora = addLora(model, { r: 4, alpha: 8, dropout: 0.5, targets: ['c_fc'] });
    randomizeB(lora.parameters());
    const evaluation = await values(lora.forward(ids));
    expect(await values(lora.forward(ids))).toEqual(evaluation);
    const state = lora.getRandomState();
    const first = await values(lora.forward(ids, { training: true }));
    expect(first).not.toEqual(evaluation);
    lora.setRandomState(state);
    expect(await values(lora.forward(ids, { training: true }))).toEqual(first);
    lora.dispose();
    model.dispose();
  });

  it('no tensor leaks over training steps, merges and dispose', () => {
    const start = tf.memory().numTensors;
    const model = GPT2Model.create(config, { seed: 8 });
    const lora = addLora(model, { r: 4, alpha: 8, dropout: 0.1, targets: 'all-linear' });
    tf.dispose(lora.forward(ids));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) {
      const { value, grads } = tf.variableGrads(() => lora.loss(ids, targets, { training: true }));
      tf.dispose([value, ...Object.values(grads)]);
      if (i % 10 === 0) {
        mergeLora(lora);
        tf.dispose(lora.forward(ids));
        unmergeLora(lora);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    lora.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('one adapter at a time; no use after dispose', () => {
    const model = GPT2Model.create(config, { seed: 9 });
    const lora = addLora(model, { targets: ['c_attn'] });
    expect(() => addLora(model, { targets: ['c_proj', 'c_attn'] })).toThrow(/already has a branch/);
    // The failed second adapter left nothing behind: c_proj has no branch.
    const second = (() => {
      lora.dispose();
      return addLora(model, { targets: ['c_proj'] });
    })();
    expect(() => lora.parameters()).toThrow(/after dispose/);
    second.dispose();
    model.dispose();
  });
});

describe('loraFootprint', () => {
  /**
   * Bytes of distinct data buffers. tf.memory().numBytes counts every tensor,
   * also the many that share a buffer (reshapes, the tape's saved clones), so
   * this follows the engine's buffer bookkeeping instead (test-only internals:
   * a buffer appears in trackTensor and goes in removeDataId).
   */
  const live = new Map<object, number>();
  beforeAll(() => {
    type Engine = {
      trackTensor(a: tf.Tensor, backend: unknown): void;
      removeDataId(dataId: object, backend: unknown): void;
    };
    const engine = tf.engine() as unknown as Engine;
    const track = engine.trackTensor.bind(engine);
    const remove = engine.removeDataId.bind(engine);
    engine.trackTensor = (a, backend) => {
      if (!live.has(a.dataId)) live.set(a.dataId, a.size * 4);
      track(a, backend);
    };
    engine.removeDataId = (dataId, backend) => {
      live.delete(dataId);
      remove(dataId, backend);
    };
  });
  const bufferBytes = () => [...live.values()].reduce((sum, bytes) => sum + bytes, 0);

  /** Bytes alive at the end of a recorded forward pass: tfjs's peak for a training step's forward. */
  function forwardBytes(model: { loss: GPT2Model['loss'] }, variables: tf.Variable[]): number {
    let bytes = 0;
    const before = bufferBytes();
    const { value, grads } = tf.variableGrads(() => {
      const loss = model.loss(ids, targets, { training: true });
      bytes = bufferBytes() - before;
      return loss;
    }, variables);
    tf.dispose([value, ...Object.values(grads)]);
    return bytes;
  }

  it.each([0, 0.1])(
    'predicts the extra activation memory (dropout %s) and the adapter sizes',
    (dropout) => {
      const model = GPT2Model.create(config, { seed: 10 });
      tf.dispose(model.forward(ids)); // the cached causal mask
      const base = forwardBytes(model, [...model.parameters().values()]);
      const options = { r: 4, alpha: 8, dropout, targets: ['c_attn', 'c_proj'] };
      const lora = addLora(model, options);
      const adapted = forwardBytes(lora, [...lora.parameters().values()]);
      const footprint = loraFootprint(config, options);
      expect(footprint.trainableParameters).toBe(lora.trainableParameterCount());
      expect(footprint.layers).toBe(6);
      expect(footprint.trainingStateBytes).toBe(3 * footprint.adapterBytes);
      const measured = adapted - base;
      const predicted = footprint.activationBytesPerToken * ids.length * ids[0]!.length;
      expect(Math.abs(measured - predicted) / predicted).toBeLessThan(0.02);
      lora.dispose();
      model.dispose();
    },
  );
});

describe('loraFlopsPerToken', () => {
  it('counts the frozen weights at 4 FLOPs per token and the adapters at 6 when training', () => {
    const options = { r: 4, targets: ['c_attn'] };
    const T = 16;
    const full = flopsPerToken(config, { sequenceLength: T });
    const attention = 12 * config.nLayer * config.nEmbd * T;
    const N = (full - attention) / 6;
    const adapters = loraFootprint(config, options).trainableParameters;
    expect(loraFlopsPerToken(config, options, { sequenceLength: T })).toBe(
      4 * N + 6 * adapters + attention,
    );
    expect(loraFlopsPerToken(config, options, { sequenceLength: T, training: false })).toBe(
      flopsPerToken(config, { sequenceLength: T, training: false }) + 2 * adapters,
    );
    const model = GPT2Model.create(config);
    const lora = addLora(model, options);
    expect(lora.flopsPerToken({ sequenceLength: T })).toBe(4 * N + 6 * adapters + attention);
    lora.dispose();
    model.dispose();
  });
});
