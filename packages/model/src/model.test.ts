import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { countParameters } from './count.js';
import { ContextLengthError } from './errors/context-length-error.js';
import { TokenIdError } from './errors/token-id-error.js';
import { crossEntropy } from './loss.js';
import { GPT2Model } from './model.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const tiny = resolveConfig({ preset: 'gpt2-tiny', vocabSize: 97, nPositions: 16 });

function stats(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}

describe('parameters', () => {
  it('uses HF names, order and Conv1D shapes', () => {
    const model = GPT2Model.create(resolveConfig({ preset: 'gpt2-tiny', nLayer: 1 }));
    const shapes = [...model.parameters()].map(([name, v]) => `${name} ${v.shape.join('x')}`);
    expect(shapes).toEqual([
      'wte.weight 512x32',
      'wpe.weight 64x32',
      'h.0.ln_1.weight 32',
      'h.0.ln_1.bias 32',
      'h.0.attn.c_attn.weight 32x96',
      'h.0.attn.c_attn.bias 96',
      'h.0.attn.c_proj.weight 32x32',
      'h.0.attn.c_proj.bias 32',
      'h.0.ln_2.weight 32',
      'h.0.ln_2.bias 32',
      'h.0.mlp.c_fc.weight 32x128',
      'h.0.mlp.c_fc.bias 128',
      'h.0.mlp.c_proj.weight 128x32',
      'h.0.mlp.c_proj.bias 32',
      'ln_f.weight 32',
      'ln_f.bias 32',
    ]);
    model.dispose();
  });

  it('matches countParameters, without biases, wpe, or with an untied head', () => {
    for (const overrides of [
      {},
      { bias: false },
      { positionEmbedding: 'sinusoidal' as const },
      { tieWordEmbeddings: false },
    ]) {
      const config = { ...tiny, ...overrides };
      const model = GPT2Model.create(config);
      const total = [...model.parameters().values()].reduce((n, v) => n + v.size, 0);
      expect(total).toBe(countParameters(config));
      model.dispose();
    }
    const untied = GPT2Model.create({ ...tiny, tieWordEmbeddings: false });
    expect([...untied.parameters().keys()].at(-1)).toBe('lm_head.weight');
    untied.dispose();
  });

  it('has GPT-2 init statistics', () => {
    const config = resolveConfig({ preset: 'gpt2-tiny', nEmbd: 128, nHead: 4, nLayer: 4 });
    const model = GPT2Model.create(config, { seed: 7 });
    const residualStd = 0.02 / Math.sqrt(2 * config.nLayer);
    for (const [name, variable] of model.parameters()) {
      const values = variable.dataSync() as Float32Array;
      const { mean, std } = stats(values);
      if (name.endsWith('.bias')) {
        expect(
          values.every((v) => v === 0),
          name,
        ).toBe(true);
      } else if (/ln_\d|ln_f/.test(name)) {
        expect(
          values.every((v) => v === 1),
          name,
        ).toBe(true);
      } else if (name.endsWith('c_proj.weight')) {
        expect(std / residualStd, name).toBeCloseTo(1, 1);
        expect(Math.abs(mean), name).toBeLessThan(residualStd / 20);
      } else {
        expect(std / 0.02, name).toBeCloseTo(1, 1);
        expect(Math.abs(mean), name).toBeLessThan(0.02 / 20);
      }
    }
    model.dispose();
  });

  it('is deterministic in the seed, per tensor name', () => {
    const a = GPT2Model.create(tiny, { seed: 42 });
    const b = GPT2Model.create(tiny, { seed: 42 });
    const c = GPT2Model.create(tiny, { seed: 43 });
    const deeper = GPT2Model.create({ ...tiny, nLayer: 3 }, { seed: 42 });
    for (const [name, variable] of a.parameters()) {
      expect(b.parameters().get(name)!.dataSync(), name).toEqual(variable.dataSync());
      // Residual projections' std depends on depth; every other tensor is the same.
      if (!name.endsWith('c_proj.weight')) {
        expect(deeper.parameters().get(name)!.dataSync(), name).toEqual(variable.dataSync());
      }
    }
    expect(c.parameters().get('wte.weight')!.dataSync()).not.toEqual(
      a.parameters().get('wte.weight')!.dataSync(),
    );
    for (const model of [a, b, c, deeper]) model.dispose();
  });

  it('reproduces the pinned initial weights of seed 7 (weights from before the random module moved)', () => {
    const model = GPT2Model.create(resolveConfig({ preset: 'gpt2-tiny' }), { seed: 7 });
    const first = (name: string, count: number) =>
      Array.from(model.parameters().get(name)!.dataSync().slice(0, count));
    expect(first('wte.weight', 4)).toEqual([
      0.019387872889637947, 0.02712761051952839, -0.023629598319530487, -0.0006553815328516066,
    ]);
    expect(first('h.0.attn.c_attn.weight', 3)).toEqual([
      -0.04143565520644188, 0.05534770339727402, 0.0020476842764765024,
    ]);
    expect(first('h.0.attn.c_proj.weight', 3)).toEqual([
      0.006600541062653065, 0.012978150509297848, -0.011022605933248997,
    ]);
    model.dispose();
  });

  it("init: 'zeros' skips the random numbers", () => {
    const model = GPT2Model.create(tiny, { init: 'zeros' });
    expect(
      model
        .parameters()
        .get('wte.weight')!
        .dataSync()
        .every((v) => v === 0),
    ).toBe(true);
    expect(
      model
        .parameters()
        .get('ln_f.weight')!
        .dataSync()
        .every((v) => v === 1),
    ).toBe(true);
    model.dispose();
  });
});

describe('forward and loss', () => {
  it('returns float32 logits [B, T, V] for arrays and int32 tensors', () => {
    const model = GPT2Model.create(tiny);
    const logits = model.forward([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(logits.shape).toEqual([2, 3, 97]);
    expect(logits.dtype).toBe('float32');
    const ids = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const again = model.forward(ids);
    expect(again.arraySync()[0]).toEqual(logits.arraySync()[0]);
    tf.dispose([logits, ids, again]);
    model.dispose();
  });

  it('is causal: a later token does not change earlier logits', () => {
    const model = GPT2Model.create(tiny);
    const a = model.forward([[5, 6, 7, 8]]);
    const b = model.forward([[5, 6, 7, 90]]);
    const first3 = (t: tf.Tensor3D) => tf.tidy(() => tf.slice(t, [0, 0, 0], [1, 3, 97]).dataSync());
    expect(first3(b)).toEqual(first3(a));
    expect(b.dataSync()).not.toEqual(a.dataSync());
    tf.dispose([a, b]);
    model.dispose();
  });

  it('starts near ln(V) loss', () => {
    const config = resolveConfig({ preset: 'gpt2-tiny', vocabSize: 512 });
    const model = GPT2Model.create(config, { seed: 3 });
    const ids = Array.from({ length: 4 }, (_, b) =>
      Array.from({ length: 32 }, (_, t) => (b * 131 + t * 17) % 512),
    );
    const targets = ids.map((row) => row.map((v) => (v + 1) % 512));
    const loss = model.loss(ids, targets);
    expect(loss.dataSync()[0]).toBeCloseTo(Math.log(512), 1);
    loss.dispose();
    model.dispose();
  });

  it('dropout applies only in training, reproducibly per seed', () => {
    const config = { ...tiny, embdPdrop: 0.5, attnPdrop: 0.5, residPdrop: 0.5 };
    const a = GPT2Model.create(config, { seed: 9 });
    const b = GPT2Model.create(config, { seed: 9 });
    const ids = [[1, 2, 3, 4]];
    const [evalA, evalB, trainA, trainB] = [
      a.forward(ids),
      a.forward(ids),
      a.forward(ids, { training: true }),
      b.forward(ids, { training: true }),
    ];
    expect(evalB.dataSync()).toEqual(evalA.dataSync());
    expect(trainA.dataSync()).not.toEqual(evalA.dataSync());
    // b's first dropout call matches a's first: same seed, same masks.
    const trainB2 = b.forward(ids, { training: true });
    expect(trainB.dataSync()).not.toEqual(trainB2.dataSync());
    tf.dispose([evalA, evalB, trainA, trainB, trainB2]);
    a.dispose();
    b.dispose();
  });

  it('runs with sinusoidal positions (a constant, not a parameter)', () => {
    const model = GPT2Model.create({ ...tiny, positionEmbedding: 'sinusoidal' });
    expect(model.parameters().has('wpe.weight')).toBe(false);
    const logits = model.forward([[1, 2, 3, 3]]);
    const rows = logits.arraySync()[0]!;
    // Same token at positions 2 and 3: different logits, because positions differ.
    expect(rows[3]).not.toEqual(rows[2]);
    logits.dispose();
    model.dispose();
  });
});

describe('crossEntropy semantics (hand computation)', () => {
  // One sequence, T = 3, V = 4.
  const rows = [
    [1.0, 2.0, 0.5, -1.0],
    [0.0, 0.0, 3.0, 1.0],
    [-2.0, 1.5, 0.25, 0.0],
  ];
  const logSoftmax = (row: number[]) => {
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    return row.map((v) => v - lse);
  };
  const targets = [1, 3, 0];

  it('is the mean nll, leaving out ignored targets', () => {
    const logits = tf.tensor3d([rows]);
    const nll = rows.map((row, i) => -logSoftmax(row)[targets[i]!]!);
    const all = crossEntropy(logits, [targets]);
    expect(all.dataSync()[0]).toBeCloseTo((nll[0]! + nll[1]! + nll[2]!) / 3, 5);
    const ignored = crossEntropy(logits, [[1, -100, 0]], { ignoreIndex: -100 });
    expect(ignored.dataSync()[0]).toBeCloseTo((nll[0]! + nll[2]!) / 2, 5);
    const none = crossEntropy(logits, [[-1, -1, -1]]);
    expect(none.dataSync()[0]).toBe(0);
    tf.dispose([logits, all, ignored, none]);
  });

  it("smooths labels as PyTorch's F.cross_entropy(label_smoothing)", () => {
    const epsilon = 0.1;
    const logits = tf.tensor3d([rows]);
    const perToken = rows.map((row, i) => {
      const logp = logSoftmax(row);
      const uniform = -logp.reduce((s, v) => s + v, 0) / logp.length;
      return (1 - epsilon) * -logp[targets[i]!]! + epsilon * uniform;
    });
    const loss = crossEntropy(logits, [[1, -1, 0]], { labelSmoothing: epsilon });
    expect(loss.dataSync()[0]).toBeCloseTo((perToken[0]! + perToken[2]!) / 2, 5);
    tf.dispose([logits, loss]);
  });

  it('rejects bad targets and options', () => {
    const logits = tf.tensor3d([rows]);
    expect(() => crossEntropy(logits, [[1, 4, 0]])).toThrow(TokenIdError);
    expect(() => crossEntropy(logits, [[1, 2]])).toThrow(/targets have shape \[1,2\]/);
    expect(() => crossEntropy(logits, [targets], { labelSmoothing: 2 })).toThrow(RangeError);
    expect(() => crossEntropy(logits, [targets], { ignoreIndex: 0.5 })).toThrow(RangeError);
    logits.dispose();
  });
});

describe('bad input', () => {
  let model: GPT2Model;
  beforeAll(() => {
    model = GPT2Model.create(tiny);
  });

  it.each([
    [[[1, 97]], TokenIdError, /token id 97 at \[0, 1\] is out of range \[0, 97\)/],
    [[[-1]], TokenIdError, /token id -1/],
    [[[1.5]], TokenIdError, /1.5 at \[0, 0\] is not an integer/],
    [[[1, 2], [3]], RangeError, /ragged/],
    [[], RangeError, /empty/],
    [[[0]], undefined, undefined],
  ])('ids %j', (ids, kind, message) => {
    const call = () => tf.dispose(model.forward(ids as number[][]));
    if (kind === undefined) {
      expect(call).not.toThrow();
    } else {
      expect(call).toThrow(kind);
      expect(call).toThrow(message);
    }
  });

  it('checks tensor dtype, rank and range', () => {
    const float = tf.tensor2d([[1, 2]]);
    const rank1 = tf.tensor1d([1, 2], 'int32');
    const high = tf.tensor2d([[1, 200]], [1, 2], 'int32');
    expect(() => model.forward(float)).toThrow(/must be an int32 tensor, got float32/);
    expect(() => model.forward(rank1 as unknown as tf.Tensor2D)).toThrow(/shape \[B, T\]/);
    expect(() => model.forward(high)).toThrow(TokenIdError);
    tf.dispose([float, rank1, high]);
  });

  it('rejects sequences longer than nPositions', () => {
    const long = [Array.from({ length: 17 }, () => 1)];
    expect(() => model.forward(long)).toThrow(ContextLengthError);
    expect(() => model.forward(long)).toThrow(/17 tokens exceeds nPositions 16/);
  });

  it('rejects a cache overflow and a batch mismatch', () => {
    const cache = model.createKVCache(1);
    tf.dispose(model.forward([Array.from({ length: 10 }, () => 1)], { cache }));
    expect(() => model.forward([Array.from({ length: 7 }, () => 1)], { cache })).toThrow(
      /10 cached \+ 7 new tokens exceeds nPositions 16/,
    );
    expect(() => model.forward([[1], [2]], { cache })).toThrow(/batch size 2, the KV cache 1/);
    expect(cache.length).toBe(10);
    expect(() => cache.crop(11)).toThrow(RangeError);
    cache.dispose();
    expect(() => model.forward([[1]], { cache })).toThrow(/disposed/);
  });

  it('rejects bad seeds and a disposed model', () => {
    expect(() => GPT2Model.create(tiny, { seed: 0.5 })).toThrow(RangeError);
    const gone = GPT2Model.create(tiny);
    gone.dispose();
    expect(() => gone.forward([[1]])).toThrow(/after dispose/);
  });
});
