import { describe, expect, it } from 'vitest';
import { createRng, hash32, shuffleInPlace } from './index.js';

describe('createRng', () => {
  it('matches the reference xoshiro128** output for state [1, 2, 3, 4]', () => {
    // Expected values from the reference C implementation (prng.di.unimi.it), compiled with gcc.
    const rng = createRng({ algorithm: 'xoshiro128**', state: [1, 2, 3, 4] });
    const got = Array.from({ length: 8 }, () => rng.next());
    expect(got).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849,
    ]);
  });

  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 16 }, () => a.next());
    expect(Array.from({ length: 16 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 16 }, () => c.next())).not.toEqual(sa);
  });

  it('restores its JSON state exactly', () => {
    const rng = createRng(7);
    for (let i = 0; i < 10; i++) rng.next();
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    const expected = [rng.next(), rng.nextFloat(), rng.nextInt(1000), rng.nextInt(2 ** 40)];
    const restored = createRng(0);
    restored.setState(saved);
    expect([
      restored.next(),
      restored.nextFloat(),
      restored.nextInt(1000),
      restored.nextInt(2 ** 40),
    ]).toEqual(expected);
  });

  it('draws roughly uniform floats and bounded integers', () => {
    const rng = createRng(1);
    const counts = new Array(10).fill(0);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 20000; i++) {
      const f = rng.nextFloat();
      if (f < 0 || f >= 1) outside++;
      sum += f;
      counts[rng.nextInt(10)]++;
    }
    expect(outside).toBe(0);
    expect(sum / 20000).toBeCloseTo(0.5, 1);
    for (const c of counts) expect(c).toBeGreaterThan(1800);
  });

  it('rejects bad seeds and states with clear errors', () => {
    expect(() => createRng(1.5)).toThrow(/seed must be a safe integer/);
    expect(() => createRng(0).setState({ algorithm: 'xoshiro128**', state: [0, 0, 0, 0] })).toThrow(
      /not all zero/,
    );
    expect(() => createRng(0).nextInt(0)).toThrow(RangeError);
  });

  it('hash32 depends on every argument, including the high bits of large seeds', () => {
    expect(hash32(1, 2)).not.toBe(hash32(2, 1));
    expect(hash32(2 ** 40)).not.toBe(hash32(0));
  });

  it('shuffleInPlace is a seeded permutation', () => {
    const a = shuffleInPlace(
      Array.from({ length: 100 }, (_, i) => i),
      createRng(5),
    );
    const b = shuffleInPlace(
      Array.from({ length: 100 }, (_, i) => i),
      createRng(5),
    );
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
