import type { GPT2Config } from './config.js';

/** Names of the built-in configs. */
export type PresetName =
  | 'gpt2'
  | 'gpt2-medium'
  | 'gpt2-large'
  | 'gpt2-xl'
  | 'gpt2-tiny'
  | 'gpt2-mini'
  | 'gpt2-small-char';

// GPT-2's released hyper-parameters (Radford et al. 2019, Table 2; the HF
// config.json files). Dropout 0.1 and eps 1e-5 are what those files say.
const GPT2_BASE = {
  vocabSize: 50257,
  nPositions: 1024,
  layerNormEpsilon: 1e-5,
  embdPdrop: 0.1,
  attnPdrop: 0.1,
  residPdrop: 0.1,
  bias: true,
  tieWordEmbeddings: true,
  positionEmbedding: 'learned',
} as const;

/**
 * Built-in configs. Parameter counts (tied embeddings, learned positions) are
 * what {@link countParameters} gives and what Hugging Face reports.
 */
export const PRESETS: Readonly<Record<PresetName, Readonly<GPT2Config>>> = {
  gpt2: { ...GPT2_BASE, nEmbd: 768, nLayer: 12, nHead: 12 }, //             124,439,808
  'gpt2-medium': { ...GPT2_BASE, nEmbd: 1024, nLayer: 24, nHead: 16 }, //   354,823,168
  'gpt2-large': { ...GPT2_BASE, nEmbd: 1280, nLayer: 36, nHead: 20 }, //    774,030,080
  'gpt2-xl': { ...GPT2_BASE, nEmbd: 1600, nLayer: 48, nHead: 25 }, //     1,557,611,200
  // For unit tests: milliseconds per step on the cpu backend. Set vocabSize to your tokenizer's.
  'gpt2-tiny': {
    ...GPT2_BASE,
    vocabSize: 512,
    nPositions: 64,
    nEmbd: 32,
    nLayer: 2,
    nHead: 2,
    embdPdrop: 0,
    attnPdrop: 0,
    residPdrop: 0,
  }, // 43,904
  // For quick experiments with the GPT-2 BPE vocabulary.
  'gpt2-mini': { ...GPT2_BASE, nPositions: 256, nEmbd: 256, nLayer: 4, nHead: 4 }, // 16,090,880
  // nanoGPT's shakespeare_char config (6 layers, 6 heads, 384 wide, 256 context,
  // dropout 0.2, no biases) over a byte vocabulary.
  'gpt2-small-char': {
    ...GPT2_BASE,
    vocabSize: 256,
    nPositions: 256,
    nEmbd: 384,
    nLayer: 6,
    nHead: 6,
    embdPdrop: 0.2,
    attnPdrop: 0.2,
    residPdrop: 0.2,
    bias: false,
  }, // 10,818,432
};
