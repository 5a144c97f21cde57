import { type GPT2Config, validateConfig } from './config.js';
import { ConfigError } from './errors/config-error.js';
import { PRESETS } from './presets.js';

// HF name → our name. `position_embedding` is our extension; HF ignores it.
const HF_NAMES = {
  vocab_size: 'vocabSize',
  n_positions: 'nPositions',
  n_embd: 'nEmbd',
  n_layer: 'nLayer',
  n_head: 'nHead',
  layer_norm_epsilon: 'layerNormEpsilon',
  embd_pdrop: 'embdPdrop',
  attn_pdrop: 'attnPdrop',
  resid_pdrop: 'residPdrop',
  bias: 'bias',
  tie_word_embeddings: 'tieWordEmbeddings',
  position_embedding: 'positionEmbedding',
} as const satisfies Record<string, keyof GPT2Config>;

// The activation GPT-2 uses, under both of the names HF gives it.
const TANH_GELU = ['gelu_new', 'gelu_pytorch_tanh'];

function unsupported(key: string, value: unknown, why: string): ConfigError {
  return new ConfigError({
    field: key,
    value,
    message: `config.json: ${key}=${JSON.stringify(value)} is not supported: ${why}`,
  });
}

/**
 * Read a Hugging Face GPT-2 `config.json` (or one written by
 * {@link configToHF}). Keys that do not change the computation (token ids,
 * `summary_*`, `use_cache`, …) are ignored; missing fields take `GPT2Config`'s
 * defaults, which are the `gpt2` preset's. Settings that would change the
 * computation in a way this model does not implement are rejected.
 *
 * @throws ConfigError (a RangeError) for unsupported or invalid values.
 */
export function configFromHF(json: Record<string, unknown>): GPT2Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError('configFromHF expects the parsed config.json object.');
  }
  if (json.model_type !== undefined && json.model_type !== 'gpt2') {
    throw unsupported('model_type', json.model_type, "only 'gpt2' models load here.");
  }
  const activation = json.activation_function;
  if (activation !== undefined && !TANH_GELU.includes(activation as string)) {
    throw unsupported('activation_function', activation, 'GPT-2 uses gelu_new (tanh GELU).');
  }
  const config: GPT2Config = { ...PRESETS.gpt2 };
  // Older checkpoints name the context n_ctx; n_positions wins when both exist.
  const withCtx = json.n_positions === undefined && json.n_ctx !== undefined;
  const source = withCtx ? { ...json, n_positions: json.n_ctx } : json;
  for (const [hfName, name] of Object.entries(HF_NAMES)) {
    const value = source[hfName];
    if (value !== undefined) (config as unknown as Record<string, unknown>)[name] = value;
  }
  const nInner = json.n_inner;
  if (nInner !== undefined && nInner !== null && nInner !== 4 * config.nEmbd) {
    throw unsupported(
      'n_inner',
      nInner,
      `the MLP width is fixed at 4 * n_embd (${4 * config.nEmbd}).`,
    );
  }
  if (json.scale_attn_weights === false) {
    throw unsupported(
      'scale_attn_weights',
      false,
      'attention is always scaled by 1/sqrt(head_dim).',
    );
  }
  if (json.scale_attn_by_inverse_layer_idx === true) {
    throw unsupported('scale_attn_by_inverse_layer_idx', true, 'not implemented.');
  }
  return validateConfig(config);
}

/**
 * A `config.json` object that Hugging Face `GPT2Config.from_dict` (and
 * `GPT2LMHeadModel.from_pretrained`) accepts, plus our `bias` and
 * `position_embedding` fields, which HF keeps as unused attributes.
 */
export function configToHF(config: GPT2Config): Record<string, unknown> {
  validateConfig(config);
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    activation_function: 'gelu_new',
    vocab_size: config.vocabSize,
    n_positions: config.nPositions,
    n_ctx: config.nPositions,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_inner: null,
    layer_norm_epsilon: config.layerNormEpsilon,
    embd_pdrop: config.embdPdrop,
    attn_pdrop: config.attnPdrop,
    resid_pdrop: config.residPdrop,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: config.tieWordEmbeddings,
    bias: config.bias,
    position_embedding: config.positionEmbedding,
    use_cache: true,
  };
}
