/**
 * Seed hashes: turn a seed plus a key into an independent 32-bit seed, without
 * consuming any generator. Two functions because two sets of saved seeds
 * depend on them: {@link hashSeed} keys the model's weight and dropout streams
 * by name, {@link hash32} keys the data streams by numbers (epoch, document).
 * Changing either would change every existing run's weights or batches.
 */

const TWO_POW_32 = 4294967296;

/** A 32-bit hash of a string, mixed with a seed (FNV-1a, then murmur3's finaliser). */
export function hashSeed(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0) ^ Math.floor(seed / 2 ** 32)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hash a list of integers (e.g. `seed, epoch` or `seed, documentIndex`) to one uint32.
 * Used to derive independent seeds for sub-streams without consuming a generator.
 */
export function hash32(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const value of values) {
    // Split into two 32-bit halves so that seeds up to 2^53 all matter.
    const low = value >>> 0;
    const high = Math.floor(value / TWO_POW_32) >>> 0;
    for (const word of [low, high]) {
      h = Math.imul(h ^ word, 0x9e3779b1);
      h ^= h >>> 15;
      h = Math.imul(h, 0x85ebca77);
      h ^= h >>> 13;
    }
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae3d);
  return (h ^ (h >>> 16)) >>> 0;
}
