/**
 * `@gpt2/data/random`: the project's one seeded random module. No
 * dependencies, no I/O, no tensors: `@gpt2/model` (weight init, dropout
 * seeds), `@gpt2/data` (batch order, validation split) and `@gpt2/sampler`
 * (token sampling) all draw from here, so the same seed gives the same
 * weights, batches and samples on every platform and backend.
 *
 * It holds two generators, on purpose: every saved seed and checkpoint
 * depends on the exact streams, so neither may change.
 * - {@link createRng}: xoshiro128** with a JSON state (`getState`/`setState`),
 *   for streams that must resume bit for bit (batch samplers, sampling).
 *   Derive sub-stream seeds with {@link hash32}; shuffle with {@link shuffleInPlace}.
 * - {@link fillNormal}: sfc32 uniforms through Box–Muller, for one-shot
 *   Gaussian fills keyed by name with {@link hashSeed} (model initialisation).
 */
export { hash32, hashSeed } from './hash.js';
export { fillNormal, uniformGenerator } from './normal.js';
export { shuffleInPlace } from './shuffle.js';
export { createRng, type Rng, type RngState } from './xoshiro.js';
