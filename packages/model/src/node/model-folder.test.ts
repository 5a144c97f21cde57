import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/config-error.js';
import { configFromHF, configToHF } from '../hf-config.js';
import { GPT2Model } from '../model.js';
import { loadWeights } from '../weights/load-weights.js';
import type { SafetensorsReader } from '../weights/readers.js';
import { SafetensorsFormatError } from '../weights/safetensors-format-error.js';
import { type FileSink, openFileSink } from './atomic-write.js';
import { fileReader } from './file-reader.js';
import { loadModelFolder, loadWeightsFromFile, saveModelFolder } from './model-folder.js';

const FIXTURES = fileURLToPath(new URL('../__fixtures__/', import.meta.url));
const FIXTURE_WEIGHTS = join(FIXTURES, 'reference-model.safetensors');
const config = configFromHF(JSON.parse(readFileSync(join(FIXTURES, 'config.json'), 'utf8')));
const ids = [
  [5, 17, 4000, 3],
  [9, 9, 1, 0],
];

let work: string;

beforeAll(async () => {
  await initBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'gpt2-model-folder-'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function logits(model: GPT2Model): Promise<Float32Array> {
  const out = model.forward(ids);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

/** Sinks that write through to the real files, then fail with ENOSPC after `limit` bytes in all. */
function failingAfter(limit: number) {
  const opened: string[] = [];
  let written = 0;
  const open = async (path: string): Promise<FileSink> => {
    opened.push(path);
    const inner = await openFileSink(path);
    return {
      async write(bytes) {
        if (written + bytes.byteLength > limit) {
          await inner.write(bytes.subarray(0, limit - written));
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
            code: 'ENOSPC',
          });
        }
        written += bytes.byteLength;
        await inner.write(bytes);
      },
      sync: () => inner.sync(),
      close: () => inner.close(),
    };
  };
  return { open, opened };
}

describe('model folders', () => {
  it('loads a Python-written checkpoint from a file, one tensor per read', async () => {
    const model = GPT2Model.create(config, { init: 'zeros' });
    const reader = await fileReader(FIXTURE_WEIGHTS);
    let largest = 0;
    let closed = false;
    const spy: SafetensorsReader = {
      name: reader.name,
      byteLength: reader.byteLength,
      read: (offset, length) => {
        largest = Math.max(largest, length);
        return reader.read(offset, length);
      },
      close: async () => {
        closed = true;
        await reader.close?.();
      },
    };
    await loadWeights(model, spy);
    expect(largest).toBe(4096 * 48 * 4); // wte, the largest tensor: never the whole file
    expect(closed).toBe(true);

    const viaPath = GPT2Model.create(config, { init: 'zeros' });
    await loadWeightsFromFile(viaPath, FIXTURE_WEIGHTS);
    expect(await logits(viaPath)).toEqual(await logits(model));
    model.dispose();
    viaPath.dispose();
  });

  it('saves and reloads a folder: HF config.json, identical logits, no leaks', async () => {
    const dir = join(work, 'round-trip');
    const model = GPT2Model.create(config, { seed: 3 });
    await saveModelFolder(model, dir);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual(configToHF(config));

    const before = tf.memory().numTensors;
    const loaded = await loadModelFolder(dir);
    expect(loaded.config).toEqual(model.config);
    expect(await logits(loaded)).toEqual(await logits(model));
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before + 1); // the original model's cached causal mask
    model.dispose();
  });

  it('loads a folder with the fixture files (PyTorch config.json + weights)', async () => {
    const dir = join(work, 'python');
    const model = GPT2Model.create(config, { init: 'zeros' });
    await saveModelFolder(model, dir); // creates the folder
    copyFileSync(join(FIXTURES, 'config.json'), join(dir, 'config.json'));
    copyFileSync(FIXTURE_WEIGHTS, join(dir, 'model.safetensors'));
    const loaded = await loadModelFolder(dir);
    const expected = GPT2Model.create(config, { init: 'zeros' });
    await loadWeightsFromFile(expected, FIXTURE_WEIGHTS);
    expect(await logits(loaded)).toEqual(await logits(expected));
    for (const m of [model, loaded, expected]) m.dispose();
  });

  it('reports a missing or corrupt config.json as a ConfigError naming the file', async () => {
    const dir = join(work, 'bad-config');
    mkdirSync(dir, { recursive: true });
    await expect(loadModelFolder(dir)).rejects.toThrow(/config\.json: the file does not exist/);
    writeFileSync(join(dir, 'config.json'), '{ not json');
    const error = await loadModelFolder(dir).catch((e: unknown) => e);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/is not valid JSON/);
  });

  it('keeps the previous files when a write fails (weights or config), and removes the temporary files', async () => {
    const dir = join(work, 'atomic');
    const original = GPT2Model.create(config, { seed: 1 });
    await saveModelFolder(original, dir);
    const weightsBefore = readFileSync(join(dir, 'model.safetensors'));
    const configBefore = readFileSync(join(dir, 'config.json'), 'utf8');

    const other = GPT2Model.create({ ...config, layerNormEpsilon: 1e-6 }, { seed: 2 });
    const size = weightsBefore.byteLength;
    for (const limit of [0, 5000, size - 1, size + 10]) {
      const failing = failingAfter(limit); // size + 10: the weights succeed, config.json fails
      await expect(saveModelFolder(other, dir, { openFile: failing.open })).rejects.toThrow(
        /ENOSPC/,
      );
      expect(failing.opened.length).toBe(limit > size ? 2 : 1);
      expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
      expect(readFileSync(join(dir, 'model.safetensors')).equals(weightsBefore)).toBe(true);
      expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(configBefore);
    }
    await saveModelFolder(other, dir);
    expect(readFileSync(join(dir, 'model.safetensors')).equals(weightsBefore)).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).layer_norm_epsilon).toBe(
      1e-6,
    );
    original.dispose();
    other.dispose();
  });

  it('gives clear errors for a missing config, a truncated file and a mismatched folder', async () => {
    await expect(loadModelFolder(join(work, 'nowhere'))).rejects.toThrow(
      /Cannot read the model config .*nowhere/,
    );
    const dir = join(work, 'truncated');
    const model = GPT2Model.create(config, { init: 'zeros' });
    await saveModelFolder(model, dir);
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.byteLength - 10));
    const before = tf.memory().numTensors;
    const error = await loadModelFolder(dir).catch((e: unknown) => e);
    expect(SafetensorsFormatError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(join(dir, 'model.safetensors'));
    expect(tf.memory().numTensors).toBe(before); // the half-built model was disposed
    model.dispose();
  });
});
