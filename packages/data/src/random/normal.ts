/**
 * Seeded Gaussian numbers generated in JavaScript, so one seed gives
 * bit-identical weights on every backend (tfjs's own random ops differ
 * between cpu, wasm and webgpu). `@gpt2/model` fills every initial weight
 * tensor with {@link fillNormal}, seeded by `hashSeed(seed, tensorName)`.
 * Stateless by design: a stream is rebuilt from its seed, never saved.
 */

/**
 * Uniform floats in (0, 1) from sfc32 (Chris Doty-Humphrey's small fast
 * counter generator, period ≥ 2^32, passes PractRand to 2^40+ bytes).
 */
export function uniformGenerator(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next(); // let the state mix before use
  return () => (next() + 0.5) / 4294967296;
}

/** Fill `out` with N(0, std²) samples (Box–Muller), deterministic in `seed`. */
export function fillNormal(out: Float32Array, std: number, seed: number): Float32Array {
  const uniform = uniformGenerator(seed);
  for (let i = 0; i < out.length; i += 2) {
    const radius = std * Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}
