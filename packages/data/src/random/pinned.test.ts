/**
 * Pinned outputs of both generators, taken from the code before it moved here
 * (model/src/random.ts and data/src/rng.ts). Saved seeds, checkpoints and
 * published results depend on these exact streams: if a value here changes,
 * every run's weights, batches or samples change with it.
 */
import { describe, expect, it } from 'vitest';
import {
  createRng,
  fillNormal,
  hash32,
  hashSeed,
  shuffleInPlace,
  uniformGenerator,
} from './index.js';

describe('sfc32 + Box–Muller (model initialisation)', () => {
  it('hashSeed keys streams by seed and name, high seed bits included', () => {
    expect(hashSeed(1337, 'wte.weight')).toBe(1953033042);
    expect(hashSeed(0, '')).toBe(2872998923);
    expect(hashSeed(2 ** 40 + 5, 'dropout:3')).toBe(1458954126);
  });

  it('uniformGenerator and fillNormal reproduce the same numbers', () => {
    const uniform = uniformGenerator(42);
    expect([uniform(), uniform(), uniform()]).toEqual([
      0.25562830350827426, 0.42550155601929873, 0.00314413255546242,
    ]);
    const values = fillNormal(new Float32Array(5), 0.02, hashSeed(1337, 'wte.weight'));
    expect(Array.from(values)).toEqual([
      -0.023507900536060333, -0.013079667463898659, 0.0037828427739441395, 0.008916426450014114,
      0.0027209152467548847,
    ]);
  });
});

describe('xoshiro128** (data and sampling)', () => {
  it('createRng(1337) starts from the same state and stream', () => {
    const rng = createRng(1337);
    expect(rng.getState()).toEqual({
      algorithm: 'xoshiro128**',
      state: [2160953645, 4090966704, 1564408296, 2354390099],
    });
    expect([rng.next(), rng.next(), rng.next()]).toEqual([1777630057, 802638987, 1318032335]);
    expect(rng.nextFloat()).toBe(0.4362698405401516);
    expect(rng.nextInt(1000)).toBe(240);
  });

  it('hash32 and shuffleInPlace give the same sub-seeds and orders', () => {
    expect([hash32(1337), hash32(1337, 0), hash32(2 ** 40, 7)]).toEqual([
      3341898759, 1225727293, 3478359663,
    ]);
    expect(shuffleInPlace([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], createRng(5))).toEqual([
      3, 4, 8, 9, 5, 6, 2, 0, 7, 1,
    ]);
  });
});
