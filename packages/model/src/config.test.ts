import { describe, expect, it } from 'vitest';
import { resolveConfig, validateConfig } from './config.js';
import { countParameters, flopsPerToken } from './count.js';
import { ConfigError } from './errors/config-error.js';
import { configFromHF, configToHF } from './hf-config.js';
import { PRESETS } from './presets.js';

// The config.json of the released `gpt2` checkpoint on the HF hub.
const HF_GPT2_CONFIG = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  summary_first_dropout: 0.1,
  summary_proj_to_labels: true,
  summary_type: 'cls_index',
  summary_use_proj: true,
  task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
  vocab_size: 50257,
};

describe('parameter counts', () => {
  it.each([
    ['gpt2', 124_439_808],
    ['gpt2-medium', 354_823_168],
    ['gpt2-large', 774_030_080],
    ['gpt2-xl', 1_557_611_200],
  ] as const)('%s has the published %d parameters', (name, count) => {
    expect(countParameters(PRESETS[name])).toBe(count);
  });

  it('adds an untied head, drops biases and the sinusoidal table', () => {
    const base = PRESETS.gpt2;
    const { vocabSize: V, nPositions: P, nEmbd: C, nLayer: L } = base;
    expect(countParameters({ ...base, tieWordEmbeddings: false })).toBe(124_439_808 + V * C);
    expect(countParameters({ ...base, positionEmbedding: 'sinusoidal' })).toBe(124_439_808 - P * C);
    // Biases per block: ln_1 C, c_attn 3C, c_proj C, ln_2 C, c_fc 4C, mlp.c_proj C = 11C; ln_f C.
    expect(countParameters({ ...base, bias: false })).toBe(124_439_808 - L * 11 * C - C);
  });
});

describe('flopsPerToken', () => {
  it("matches nanoGPT's estimate_mfu for gpt2 at T=1024", () => {
    const { nPositions: P, nEmbd: C, nLayer: L } = PRESETS.gpt2;
    const N = 124_439_808 - P * C; // nanoGPT's get_num_params() drops wpe
    expect(flopsPerToken(PRESETS.gpt2)).toBe(6 * N + 12 * L * C * 1024);
    expect(flopsPerToken(PRESETS.gpt2, { training: false, sequenceLength: 128 })).toBe(
      2 * N + 4 * L * C * 128,
    );
  });
});

describe('resolveConfig', () => {
  it('starts from gpt2 and applies overrides', () => {
    expect(resolveConfig()).toEqual(PRESETS.gpt2);
    const config = resolveConfig({
      preset: 'gpt2-tiny',
      vocabSize: 65,
      positionEmbedding: 'sinusoidal',
    });
    expect(config).toEqual({
      ...PRESETS['gpt2-tiny'],
      vocabSize: 65,
      positionEmbedding: 'sinusoidal',
    });
  });

  it.each([
    [{ nHead: 5 }, 'nHead', /divisible/],
    [{ nEmbd: 0 }, 'nEmbd', /positive integer/],
    [{ nLayer: 1.5 }, 'nLayer', /positive integer/],
    [{ vocabSize: Number.NaN }, 'vocabSize', /positive integer/],
    [{ layerNormEpsilon: 0 }, 'layerNormEpsilon', /> 0/],
    [{ attnPdrop: 1 }, 'attnPdrop', /\[0, 1\)/],
    [{ bias: 'yes' as unknown as boolean }, 'bias', /boolean/],
    [{ positionEmbedding: 'rope' as 'learned' }, 'positionEmbedding', /sinusoidal/],
    [{ preset: 'gpt3' as 'gpt2' }, 'preset', /Unknown preset/],
    [{ nEmbed: 3 } as object, 'nEmbed', /Unknown config field/],
  ])('rejects %o', (options, field, message) => {
    try {
      resolveConfig(options);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError);
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as ConfigError).field).toBe(field);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('validateConfig returns a valid config unchanged', () => {
    expect(validateConfig(PRESETS['gpt2-xl'])).toBe(PRESETS['gpt2-xl']);
  });
});

describe('HF config.json', () => {
  it('reads the released gpt2 config.json, ignoring unrelated keys', () => {
    expect(configFromHF(HF_GPT2_CONFIG)).toEqual(PRESETS.gpt2);
  });

  it('round-trips every preset and our extensions', () => {
    for (const config of Object.values(PRESETS)) {
      expect(configFromHF(configToHF(config))).toEqual(config);
    }
    const custom = {
      ...PRESETS['gpt2-tiny'],
      positionEmbedding: 'sinusoidal' as const,
      tieWordEmbeddings: false,
    };
    expect(configFromHF(configToHF(custom))).toEqual(custom);
  });

  it('writes the fields GPT2Config.from_dict expects', () => {
    const json = configToHF(PRESETS['gpt2-medium']);
    expect(json).toMatchObject({
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      activation_function: 'gelu_new',
      n_inner: null,
      n_embd: 1024,
      n_layer: 24,
      n_head: 16,
      vocab_size: 50257,
      n_positions: 1024,
      tie_word_embeddings: true,
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('takes n_ctx when n_positions is missing', () => {
    expect(configFromHF({ n_ctx: 512 }).nPositions).toBe(512);
  });

  it.each([
    [{ model_type: 'llama' }, 'model_type'],
    [{ activation_function: 'relu' }, 'activation_function'],
    [{ n_inner: 1000 }, 'n_inner'],
    [{ scale_attn_by_inverse_layer_idx: true }, 'scale_attn_by_inverse_layer_idx'],
    [{ n_head: 7 }, 'nHead'],
  ])('rejects %o', (json, field) => {
    expect(() => configFromHF(json)).toThrow(RangeError);
    try {
      configFromHF(json);
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
    }
  });
});
