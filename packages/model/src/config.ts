import { ConfigError } from './errors/config-error.js';
import { PRESETS, type PresetName } from './presets.js';

/** How positions enter the model. */
export type PositionEmbedding = 'learned' | 'sinusoidal';

/**
 * The shape of a GPT-2 model. Field names are the camelCase forms of Hugging
 * Face's `GPT2Config` (`vocab_size` → `vocabSize`); {@link configToHF} and
 * {@link configFromHF} convert to and from `config.json`.
 */
export interface GPT2Config {
  /** Number of token ids (50257 for GPT-2's BPE). */
  vocabSize: number;
  /** Context length: the most positions one sequence (plus cache) may use. */
  nPositions: number;
  /** Width of the residual stream, C. */
  nEmbd: number;
  /** Number of transformer blocks, L. */
  nLayer: number;
  /** Attention heads per block; must divide `nEmbd`. */
  nHead: number;
  /** LayerNorm epsilon (1e-5 in GPT-2). */
  layerNormEpsilon: number;
  /** Dropout after the token + position embedding sum, in training mode. */
  embdPdrop: number;
  /** Dropout on the attention probabilities, in training mode. */
  attnPdrop: number;
  /** Dropout on each residual branch's output, in training mode. */
  residPdrop: number;
  /** Biases in the Linear (Conv1D) layers and LayerNorms; GPT-2 has them. */
  bias: boolean;
  /** Share the output projection with the token embedding (GPT-2 does). */
  tieWordEmbeddings: boolean;
  /**
   * `'learned'`: a trained `wpe` table, as in GPT-2. `'sinusoidal'`: the fixed
   * table of "Attention Is All You Need" (§3.5), a constant, not a parameter.
   */
  positionEmbedding: PositionEmbedding;
}

/** What {@link resolveConfig} takes: any fields, on top of a preset. */
export type ResolveConfigOptions = Partial<GPT2Config> & {
  /** Starting point; the fields given override it. Default: `'gpt2'`. */
  preset?: PresetName;
};

/** The preset {@link resolveConfig} starts from when none is named. */
export const DEFAULT_PRESET: PresetName = 'gpt2';

const FIELDS: readonly (keyof GPT2Config)[] = [
  'vocabSize',
  'nPositions',
  'nEmbd',
  'nLayer',
  'nHead',
  'layerNormEpsilon',
  'embdPdrop',
  'attnPdrop',
  'residPdrop',
  'bias',
  'tieWordEmbeddings',
  'positionEmbedding',
];

/**
 * A complete, validated config: a preset (default `'gpt2'`) with the given
 * fields overriding it.
 *
 * @example resolveConfig({ preset: 'gpt2-tiny', vocabSize: 256 })
 * @throws ConfigError (a RangeError) naming the field that is wrong.
 */
export function resolveConfig(options: ResolveConfigOptions = {}): GPT2Config {
  const { preset = DEFAULT_PRESET, ...fields } = options;
  if (!Object.hasOwn(PRESETS, preset)) {
    throw new ConfigError({
      field: 'preset',
      value: preset,
      message: `Unknown preset '${String(preset)}'. Valid: ${Object.keys(PRESETS).join(', ')}.`,
    });
  }
  for (const key of Object.keys(fields)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw new ConfigError({
        field: key,
        value: (fields as Record<string, unknown>)[key],
        message: `Unknown config field '${key}'. Valid: preset, ${FIELDS.join(', ')}.`,
      });
    }
  }
  const config: GPT2Config = { ...PRESETS[preset] };
  for (const key of FIELDS) {
    const value = fields[key];
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  return validateConfig(config);
}

/**
 * Check every field of a config; returns it unchanged when valid.
 *
 * @throws ConfigError (a RangeError) naming the first field that is wrong.
 */
export function validateConfig(config: GPT2Config): GPT2Config {
  if (typeof config !== 'object' || config === null) {
    throw new TypeError(`A GPT2Config must be an object, got ${String(config)}.`);
  }
  for (const field of ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead'] as const) {
    const value = config[field];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ConfigError({
        field,
        value,
        message: `config.${field} must be a positive integer, got ${String(value)}.`,
      });
    }
  }
  if (config.nEmbd % config.nHead !== 0) {
    throw new ConfigError({
      field: 'nHead',
      value: config.nHead,
      message: `config.nEmbd (${config.nEmbd}) must be divisible by config.nHead (${config.nHead}).`,
    });
  }
  const eps = config.layerNormEpsilon;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) {
    throw new ConfigError({
      field: 'layerNormEpsilon',
      value: eps,
      message: `config.layerNormEpsilon must be a finite number > 0, got ${String(eps)}.`,
    });
  }
  for (const field of ['embdPdrop', 'attnPdrop', 'residPdrop'] as const) {
    const value = config[field];
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
      throw new ConfigError({
        field,
        value,
        message: `config.${field} must be a dropout probability in [0, 1), got ${String(value)}.`,
      });
    }
  }
  for (const field of ['bias', 'tieWordEmbeddings'] as const) {
    if (typeof config[field] !== 'boolean') {
      throw new ConfigError({
        field,
        value: config[field],
        message: `config.${field} must be a boolean, got ${String(config[field])}.`,
      });
    }
  }
  if (config.positionEmbedding !== 'learned' && config.positionEmbedding !== 'sinusoidal') {
    throw new ConfigError({
      field: 'positionEmbedding',
      value: config.positionEmbedding,
      message: `config.positionEmbedding must be 'learned' or 'sinusoidal', got ${String(config.positionEmbedding)}.`,
    });
  }
  return config;
}
