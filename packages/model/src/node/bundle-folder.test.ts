/**
 * The bundle reader on real folders: paths to run, checkpoint and Hugging
 * Face folders, to a checkpoint inside a run (it sees the run's tokenizer),
 * and to a `.safetensors` file; and the errors for paths that are none of these.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { CharTokenizer } from '@gpt2/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelBundleError } from '../bundle/model-bundle-error.js';
import { type GPT2Config, resolveConfig } from '../config.js';
import { configToHF } from '../hf-config.js';
import { GPT2Model } from '../model.js';
import { saveSafetensors } from '../weights/save-safetensors.js';
import { loadModelBundleFromPath, readModelBundleFromPath } from './bundle-folder.js';

let work: string;
let config: GPT2Config;
let model: GPT2Model;
let weights: Uint8Array;
let chars: CharTokenizer;

async function writeFolder(folder: string, files: Record<string, Uint8Array | string>) {
  await mkdir(folder, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(folder, name), content);
}

beforeAll(async () => {
  await initBackend('cpu');
  work = await mkdtemp(join(tmpdir(), 'gpt2-bundle-'));
  chars = await CharTokenizer.fromCorpus(['hello world, a bundle reader test']);
  config = resolveConfig({ preset: 'gpt2-tiny', vocabSize: 64, nPositions: 16, nLayer: 1 });
  model = GPT2Model.create(config, { seed: 11 });
  weights = await saveSafetensors(model);
  const checkpoint = (step: number) => ({
    'model.safetensors': weights,
    'config.json': JSON.stringify(configToHF(config)),
    'trainer_state.json': JSON.stringify({ step, model: config, tokenizer: null }),
  });
  await writeFolder(join(work, 'run'), {
    'tokenizer.json': JSON.stringify(chars.toJSON()),
    'train-config.json': '{}',
  });
  await writeFolder(join(work, 'run', 'checkpoints', 'step-00000002'), checkpoint(2));
  await writeFolder(join(work, 'run', 'checkpoints', 'step-00000004'), checkpoint(4));
  // A half-written checkpoint of the store: never listed.
  await writeFolder(join(work, 'run', 'checkpoints', '.tmp-step-00000006-abc'), checkpoint(6));
  await writeFolder(join(work, 'hf'), {
    'model.safetensors': weights,
    'config.json': JSON.stringify(configToHF(config)),
    'gpt2-tokenizer.json': JSON.stringify(chars.toJSON()),
  });
  await symlink(join(work, 'hf'), join(work, 'hf-link'));
});

afterAll(async () => {
  model.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('readModelBundleFromPath', () => {
  it('a run folder: its latest checkpoint (no best), with the run tokenizer', async () => {
    const bundle = await readModelBundleFromPath(join(work, 'run'));
    expect(bundle.checkpoint).toBe('step-00000004');
    expect(bundle.location).toBe(join(work, 'run', 'checkpoints', 'step-00000004'));
    expect(bundle.sources.tokenizer).toBe(join(work, 'run', 'tokenizer.json'));
    expect(bundle.tokenizer.toJSON()).toEqual(chars.toJSON());
    expect((await readModelBundleFromPath(join(work, 'run', 'checkpoints'))).checkpoint).toBe(
      'step-00000004',
    );
  });

  it('a checkpoint folder inside a run also finds the run tokenizer', async () => {
    const folder = join(work, 'run', 'checkpoints', 'step-00000002');
    const bundle = await readModelBundleFromPath(folder);
    expect(bundle.location).toBe(folder);
    expect(bundle.checkpoint).toBeUndefined();
    expect(bundle.sources.tokenizer).toBe(join(work, 'run', 'tokenizer.json'));
  });

  it('a model folder, through a symlink, and a .safetensors file path', async () => {
    for (const path of [join(work, 'hf'), join(work, 'hf-link')]) {
      const bundle = await readModelBundleFromPath(path);
      expect(bundle.sources.tokenizer).toBe(join(path, 'gpt2-tokenizer.json'));
      expect(bundle.config).toEqual(config);
    }
    const file = await readModelBundleFromPath(join(work, 'hf', 'model.safetensors'));
    expect(file.location).toBe(join(work, 'hf'));
  });

  it('loads the model with identical weights, streaming from the file', async () => {
    const loaded = await loadModelBundleFromPath(join(work, 'run'));
    const ids = [[1, 2, 3, 4]];
    const [a, b] = [model.forward(ids), loaded.model.forward(ids)];
    expect(await b.data()).toEqual(await a.data());
    tf.dispose([a, b]);
    loaded.model.dispose();
  });

  it('names paths that are not bundles', async () => {
    const missing = await readModelBundleFromPath(join(work, 'nope')).catch((e: unknown) => e);
    expect(ModelBundleError.isInstance(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/nope: no such file or folder$/);
    await expect(readModelBundleFromPath(join(work, 'run', 'tokenizer.json'))).rejects.toThrow(
      /a file, but not a \.safetensors one/,
    );
    await expect(readModelBundleFromPath(work)).rejects.toThrow(/no model weights/);
  });
});
