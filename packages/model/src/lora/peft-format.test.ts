import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { LoraAdapterError, type LoraAdapterProblem } from '../errors/lora-adapter-error.js';
import { GPT2Model } from '../model.js';
import { readSafetensors, writeSafetensors } from '../weights/safetensors.js';
import { addLora, type LoraModel } from './lora-model.js';
import {
  type LoraAdapterFiles,
  loadLoraAdapter,
  loadLoraWeights,
  saveLoraAdapter,
} from './peft-format.js';

const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 64,
  nPositions: 32,
  nEmbd: 16,
  nLayer: 2,
  nHead: 2,
});
const ids = [[1, 2, 3, 4, 5, 6]];

beforeAll(async () => {
  await initBackend('cpu');
});

async function trainedLora(model: GPT2Model, options = {}): Promise<LoraModel> {
  const lora = addLora(model, {
    r: 4,
    alpha: 8,
    dropout: 0.05,
    targets: ['c_attn', 'c_proj'],
    ...options,
  });
  let seed = 10;
  for (const variable of lora.parameters().values()) {
    tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.1, 'float32', seed++)));
  }
  return lora;
}

async function logits(model: { forward(ids: number[][]): tf.Tensor }): Promise<Float32Array> {
  const out = model.forward(ids);
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

/** The error a load throws, checked to be a LoraAdapterError. */
async function loadError(
  model: GPT2Model,
  files: { config: string | Record<string, unknown>; weights: Uint8Array },
): Promise<LoraAdapterError> {
  const error = await loadLoraAdapter(model, files).then(
    (lora) => {
      lora.dispose();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(LoraAdapterError.isInstance(error), String(error)).toBe(true);
  return error as LoraAdapterError;
}

function expectProblem(
  error: LoraAdapterError,
  problem: LoraAdapterProblem,
  message: RegExp,
): void {
  expect(error.problem).toBe(problem);
  expect(error.message).toMatch(message);
}

describe('PEFT adapter files', () => {
  let files: LoraAdapterFiles;
  let expected: Float32Array;

  beforeAll(async () => {
    const model = GPT2Model.create(config, { seed: 1 });
    const lora = await trainedLora(model);
    files = await saveLoraAdapter(lora, { baseModelNameOrPath: 'gpt2' });
    expected = await logits(lora);
    lora.dispose();
    model.dispose();
  });

  it("writes PEFT's config and tensor names, shapes and orientation", async () => {
    const json = JSON.parse(files.config);
    expect(json).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0.05,
      target_modules: ['c_attn', 'c_proj'],
      fan_in_fan_out: true,
      bias: 'none',
      use_rslora: false,
      use_dora: false,
      base_model_name_or_path: 'gpt2',
    });
    const { tensors, metadata } = readSafetensors(files.weights);
    expect(metadata.format).toBe('pt');
    expect([...tensors.keys()].slice(0, 4)).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.0.attn.c_proj.lora_A.weight',
      'base_model.model.transformer.h.0.attn.c_proj.lora_B.weight',
    ]);
    expect(tensors.size).toBe(12); // c_attn, attn.c_proj, mlp.c_proj × 2 blocks × A, B
    expect(tensors.get('base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight')!.shape).toEqual(
      [4, 64],
    );
    expect(tensors.get('base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight')!.shape).toEqual(
      [16, 4],
    );
    expect(
      tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape,
    ).toEqual([48, 4]);
  });

  it('reloads onto the same base exactly (bytes, Blob, parsed JSON), F16 approximately', async () => {
    const model = GPT2Model.create(config, { seed: 1 });
    for (const source of [
      files,
      { config: new Blob([files.config]), weights: new Blob([files.weights.slice()]) },
      { config: JSON.parse(files.config), weights: files.weights.buffer as ArrayBuffer },
    ]) {
      const lora = await loadLoraAdapter(model, source);
      expect(lora.loraConfig).toMatchObject({ r: 4, alpha: 8, dropout: 0.05 });
      expect(await logits(lora)).toEqual(expected);
      // And it saves back to the same bytes.
      expect((await saveLoraAdapter(lora, { baseModelNameOrPath: 'gpt2' })).weights).toEqual(
        files.weights,
      );
      lora.dispose();
    }
    const half = await trainedLora(model);
    const f16 = await saveLoraAdapter(half, { dtype: 'F16' });
    half.dispose();
    expect(f16.weights.byteLength).toBeLessThan(files.weights.byteLength * 0.7);
    const lora = await loadLoraAdapter(model, f16);
    const approx = await logits(lora);
    expect(Math.max(...approx.map((x, i) => Math.abs(x - expected[i]!)))).toBeLessThan(1e-2);
    lora.dispose();
    model.dispose();
  });

  it('reads adapters saved from GPT2Model (no transformer. level) and PEFT options', async () => {
    const model = GPT2Model.create(config, { seed: 1 });
    const { tensors } = readSafetensors(files.weights);
    const renamed = writeSafetensors(
      [...tensors].map(([name, t]): [string, { shape: number[]; data: Float32Array }] => [
        name.replace('model.transformer.', 'model.'),
        { shape: t.shape, data: t.data as Float32Array },
      ]),
    );
    const lora = await loadLoraAdapter(model, { config: files.config, weights: renamed });
    expect(await logits(lora)).toEqual(expected);
    lora.dispose();
    // layers_to_transform and rank_pattern select and size the tensors.
    const custom = addLora(model, {
      targets: ['c_fc'],
      r: 4,
      layers: [1],
      rankPattern: { 'h.1.mlp.c_fc': 2 },
    });
    const saved = await saveLoraAdapter(custom);
    custom.dispose();
    expect(JSON.parse(saved.config)).toMatchObject({
      layers_to_transform: [1],
      rank_pattern: { 'h.1.mlp.c_fc': 2 },
    });
    const back = await loadLoraAdapter(model, saved);
    expect(back.layers.map(({ name, r }) => [name, r])).toEqual([['h.1.mlp.c_fc', 2]]);
    back.dispose();
    model.dispose();
  });

  it('loadLoraWeights refills an existing LoraModel, checked the same way', async () => {
    const model = GPT2Model.create(config, { seed: 1 });
    const lora = addLora(model, { r: 4, alpha: 8, dropout: 0.05, targets: ['c_attn', 'c_proj'] });
    loadLoraWeights(lora, files.weights);
    expect(await logits(lora)).toEqual(expected);
    const other = addLora(GPT2Model.create(config), { r: 2, targets: ['c_attn', 'c_proj'] });
    const error = (() => {
      try {
        loadLoraWeights(other, files.weights, { name: 'checkpoint' });
      } catch (e) {
        return e;
      }
    })();
    expect(LoraAdapterError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/checkpoint: .*has rank 4.*r = 2/);
    other.base.dispose();
    other.dispose();
    lora.dispose();
    model.dispose();
  });

  it('names what is wrong, and leaves the model untouched', async () => {
    const model = GPT2Model.create(config, { seed: 1 });
    const base = await logits(model);
    const json = JSON.parse(files.config);
    const edit = (changes: Record<string, unknown>) => ({
      config: { ...json, ...changes },
      weights: files.weights,
    });

    // Another base shape: an adapter written for a wider or deeper model.
    const wide = GPT2Model.create({ ...config, nEmbd: 32 });
    const others: LoraModel[] = [];
    const adapterOf = async (m: GPT2Model) => {
      others.push(await trainedLora(m));
      return saveLoraAdapter(others.at(-1)!);
    };
    let error = await loadError(model, await adapterOf(wide));
    expectProblem(
      error,
      'base-shape',
      /h\.0\.attn\.c_attn\.lora_A\.weight has shape \[4, 32\].*needs \[4, 16\].*another base model/,
    );
    expect(error.expectedShape).toEqual([4, 16]);
    expect(error.actualShape).toEqual([4, 32]);
    const deep = GPT2Model.create({ ...config, nLayer: 3 });
    error = await loadError(model, await adapterOf(deep));
    expectProblem(error, 'unexpected-tensor', /block 2, but the model has 2.*another base model/);
    const shallow = GPT2Model.create({ ...config, nLayer: 1 });
    error = await loadError(model, await adapterOf(shallow));
    expectProblem(
      error,
      'missing-tensor',
      /lacks 6 of the 12 tensors.*h\.1\.attn\.c_attn\.lora_A\.weight/,
    );

    // A rank that does not match the tensors.
    error = await loadError(model, edit({ r: 8 }));
    expectProblem(error, 'rank', /has rank 4 .*says r = 8/);
    error = await loadError(model, edit({ rank_pattern: { c_attn: 2 } }));
    expectProblem(error, 'rank', /r = 2 for transformer\.h\.0\.attn\.c_attn/);

    // Unknown or unsupported target modules, and target_modules that disagree with the tensors.
    error = await loadError(model, edit({ target_modules: ['q_proj', 'v_proj'] }));
    expectProblem(error, 'target-modules', /unknown target module 'q_proj'/);
    error = await loadError(model, edit({ target_modules: ['wte', 'c_attn'] }));
    expectProblem(error, 'target-modules', /'wte' is a GPT-2 module that is not a Conv1D layer/);
    error = await loadError(model, edit({ target_modules: ['c_attn'] }));
    expectProblem(
      error,
      'unexpected-tensor',
      /c_proj\.lora_A\.weight: adapter_config\.json's target_modules do not select/,
    );
    error = await loadError(model, edit({ target_modules: ['c_attn', 'c_proj', 'c_fc'] }));
    expectProblem(error, 'missing-tensor', /mlp\.c_fc\.lora_A\.weight/);

    // Configs that are not plain LoRA, or not JSON.
    error = await loadError(model, edit({ peft_type: 'IA3' }));
    expectProblem(error, 'unsupported', /peft_type "IA3"; only "LORA"/);
    error = await loadError(model, edit({ use_dora: true }));
    expectProblem(error, 'unsupported', /DoRA/);
    error = await loadError(model, edit({ bias: 'all' }));
    expectProblem(error, 'unsupported', /trained biases/);
    error = await loadError(model, edit({ modules_to_save: ['lm_head'] }));
    expectProblem(error, 'unsupported', /modules_to_save/);
    error = await loadError(model, { config: '{ "peft_type": "LORA",', weights: files.weights });
    expectProblem(error, 'config', /not valid JSON/);
    error = await loadError(model, edit({ r: 0 }));
    expectProblem(error, 'config', /r must be a positive integer/);
    error = await loadError(model, { config: json, weights: files.weights.subarray(0, 100) });
    expectProblem(error, 'config', /adapter_model\.safetensors/);

    // Nothing was attached or changed along the way.
    expect(await logits(model)).toEqual(base);
    expect([...model.parameters().values()].every((v) => v.trainable)).toBe(true);
    const lora = await loadLoraAdapter(model, files);
    lora.dispose();
    for (const other of others) other.dispose();
    for (const m of [model, wide, deep, shallow]) m.dispose();
  });
});
