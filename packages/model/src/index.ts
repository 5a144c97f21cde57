/**
 * @gpt2/model: GPT-2 in tfjs-core. Config and presets (HF-compatible),
 * parameter and FLOP counts, the model with GPT-2 initialisation, loss, a
 * KV cache for incremental decoding, and LoRA adapters in Hugging Face PEFT's
 * format. Brings no backend: call `initBackend`
 * from `@gpt2/backends` (or set one yourself) first.
 */
export * from './bundle/index.js';
export {
  DEFAULT_PRESET,
  type GPT2Config,
  type PositionEmbedding,
  type ResolveConfigOptions,
  resolveConfig,
  validateConfig,
} from './config.js';
export {
  countParameters,
  DEFAULT_FLOPS_TRAINING,
  type FlopsPerTokenOptions,
  flopsPerToken,
} from './count.js';
export { ConfigError } from './errors/config-error.js';
export { ContextLengthError } from './errors/context-length-error.js';
export { LoraAdapterError, type LoraAdapterProblem } from './errors/lora-adapter-error.js';
export { TokenIdError } from './errors/token-id-error.js';
export { configFromHF, configToHF } from './hf-config.js';
export type { TokenIds } from './inputs.js';
export { KVCache, type KVCacheOptions } from './kv-cache.js';
export * from './llmc/index.js';
export * from './lora/index.js';
export { type CrossEntropyOptions, crossEntropy, DEFAULT_IGNORE_INDEX } from './loss.js';
export * from './memory/index.js';
export {
  DEFAULT_CROSS_ENTROPY_CHUNK,
  DEFAULT_SEED,
  type ForwardOptions,
  type GPT2Init,
  GPT2Model,
  type GPT2ModelOptions,
  type LinearBranch,
  type LossOptions,
} from './model.js';
export {
  CHUNKED_CROSS_ENTROPY_MIN_BYTES,
  crossEntropyChunkRows,
  MIN_CROSS_ENTROPY_CHUNK,
} from './ops/lm-head-cross-entropy.js';
export { PRESETS, type PresetName } from './presets.js';
export * from './weights/index.js';

/** Package version, kept in step with package.json by changesets. */
export const VERSION = '0.1.0';
