/**
 * A small seeded random number generator (xoshiro128**, seeded through splitmix32).
 *
 * Why xoshiro128**: it passes BigCrush, needs only 32-bit integer maths (fast in JS), and its
 * whole state is four uint32s, so it serialises to JSON and restores exactly. The trainer and the
 * batch sampler share it so that a run can be resumed bit for bit.
 */

import { hash32 } from './hash.js';

/** JSON-serialisable state of an {@link Rng}. */
export interface RngState {
  /** Always `'xoshiro128**'`; checked on restore. */
  algorithm: 'xoshiro128**';
  /** The four 32-bit state words, as unsigned integers. */
  state: [number, number, number, number];
}

/** A seeded, serialisable pseudo-random number generator. */
export interface Rng {
  /** Next uniformly distributed unsigned 32-bit integer. */
  next(): number;
  /** Next float in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Unbiased integer in [0, n), for any safe integer n ≥ 1. */
  nextInt(n: number): number;
  /** Snapshot of the state; `setState(getState())` continues the identical sequence. */
  getState(): RngState;
  /** Restore a state from {@link Rng.getState}. */
  setState(state: RngState): void;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** splitmix32 step: turns any seed into well-mixed state words (xoshiro must not start at zero). */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function assertSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`createRng: seed must be a safe integer, got ${String(seed)}`);
  }
}

function assertState(state: RngState): void {
  const words = state?.state;
  const valid =
    state?.algorithm === 'xoshiro128**' &&
    Array.isArray(words) &&
    words.length === 4 &&
    words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32) &&
    words.some((w) => w !== 0);
  if (!valid) {
    throw new TypeError(
      `Rng.setState: expected { algorithm: 'xoshiro128**', state: four uint32s, not all zero }, got ${JSON.stringify(state)}`,
    );
  }
}

/**
 * Create a seeded generator. The same seed always gives the same sequence, on every platform.
 *
 * @param seed - any safe integer (negative and values above 2^32 are fine), or a saved {@link RngState}.
 * @example
 * const rng = createRng(1337);
 * const saved = rng.getState();
 * const a = rng.next();
 * rng.setState(saved);
 * rng.next() === a; // true
 */
export function createRng(seed: number | RngState): Rng {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;

  const setState = (state: RngState): void => {
    assertState(state);
    [s0, s1, s2, s3] = state.state;
  };

  if (typeof seed === 'number') {
    assertSeed(seed);
    const mix = splitmix32(hash32(seed));
    s0 = mix();
    s1 = mix();
    s2 = mix();
    s3 = mix();
    if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  } else {
    setState(seed);
  }

  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    s0 >>>= 0;
    s1 >>>= 0;
    s2 >>>= 0;
    s3 >>>= 0;
    return result;
  };

  const next53 = (): number => (next() >>> 11) * TWO_POW_32 + next();

  return {
    next,
    nextFloat: () => next53() / TWO_POW_53,
    nextInt(n: number): number {
      if (!Number.isSafeInteger(n) || n < 1) {
        throw new RangeError(`Rng.nextInt: n must be a safe integer ≥ 1, got ${String(n)}`);
      }
      // Rejection sampling: drop the top partial range so every value is equally likely.
      if (n <= TWO_POW_32) {
        const limit = TWO_POW_32 - (TWO_POW_32 % n);
        let x = next();
        while (x >= limit) x = next();
        return x % n;
      }
      const limit = TWO_POW_53 - (TWO_POW_53 % n);
      let x = next53();
      while (x >= limit) x = next53();
      return x % n;
    },
    getState: () => ({
      algorithm: 'xoshiro128**',
      state: [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0],
    }),
    setState,
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
