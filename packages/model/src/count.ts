import type { GPT2Config } from './config.js';

/**
 * Number of trainable parameters. The tied output projection is counted once;
 * a sinusoidal position table is a constant and is not counted.
 * `countParameters(PRESETS.gpt2) === 124_439_808`.
 */
export function countParameters(config: GPT2Config): number {
  const { vocabSize: V, nPositions: P, nEmbd: C, nLayer: L } = config;
  const b = config.bias ? 1 : 0;
  const layerNorm = C + b * C;
  const block =
    layerNorm + // ln_1
    (C * 3 * C + b * 3 * C) + // attn.c_attn
    (C * C + b * C) + // attn.c_proj
    layerNorm + // ln_2
    (C * 4 * C + b * 4 * C) + // mlp.c_fc
    (4 * C * C + b * C); // mlp.c_proj
  const wte = V * C;
  const wpe = config.positionEmbedding === 'learned' ? P * C : 0;
  const lmHead = config.tieWordEmbeddings ? 0 : V * C;
  return wte + wpe + L * block + layerNorm + lmHead;
}

/** Options for {@link flopsPerToken}. */
export interface FlopsPerTokenOptions {
  /** Count the backward pass too (×3 of the forward matmul FLOPs). Default: `true`. */
  training?: boolean;
  /** Sequence length T the attention term is evaluated at. Default: `config.nPositions`. */
  sequenceLength?: number;
}

/** Default of {@link FlopsPerTokenOptions.training}. */
export const DEFAULT_FLOPS_TRAINING = true;

/**
 * Model FLOPs per token, for model FLOP utilisation (MFU), as in nanoGPT's
 * `estimate_mfu` (after the PaLM paper, appendix B): every weight in a matmul
 * costs 2 FLOPs per token forward and 4 backward, so 6N for a training step,
 * plus the attention score and value products, 12·L·C·T (4·L·C·T forward
 * only). N excludes the position table and, when untied, the token lookup
 * table: neither is a matmul.
 */
export function flopsPerToken(config: GPT2Config, options: FlopsPerTokenOptions = {}): number {
  const training = options.training ?? DEFAULT_FLOPS_TRAINING;
  const T = options.sequenceLength ?? config.nPositions;
  const { vocabSize: V, nPositions: P, nEmbd: C, nLayer: L } = config;
  const lookupOnly =
    (config.positionEmbedding === 'learned' ? P * C : 0) + (config.tieWordEmbeddings ? 0 : V * C);
  const N = countParameters(config) - lookupOnly;
  return training ? 6 * N + 12 * L * C * T : 2 * N + 4 * L * C * T;
}
