/**
 * Adapter folders on disk: saveLoraAdapterFolder / loadLoraAdapterFolder round
 * trip, atomic writes, clear errors for missing files; and the independent
 * PyTorch reference (tools/reference/check_lora_adapter.py, PEFT's rules)
 * applies what we write and computes the same logits. The PyTorch part needs
 * Debian's /usr/bin/python3 with torch (skipped with a warning where absent,
 * except under CI=true).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { systemRequirement } from '@gpt2/backends/testing';
import { REFERENCE_PYTHON, referenceScript } from '@gpt2/reference';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { LoraAdapterError } from '../errors/lora-adapter-error.js';
import { addLora, type LoraModel } from '../lora/lora-model.js';
import { GPT2Model } from '../model.js';
import { loadLoraAdapterFolder, saveLoraAdapterFolder } from './lora-folder.js';
import { saveModelFolder } from './model-folder.js';

const PYTHON = REFERENCE_PYTHON;
const SCRIPT = referenceScript('check_lora_adapter.py');
const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 96,
  nPositions: 32,
  nEmbd: 24,
  nLayer: 2,
  nHead: 3,
});
const ids = [
  [3, 50, 95, 7, 7],
  [0, 1, 2, 3, 4],
];

function trained(model: GPT2Model): LoraModel {
  const lora = addLora(model, { r: 3, alpha: 5, targets: ['c_attn', 'c_proj', 'c_fc'] });
  let seed = 40;
  for (const variable of lora.parameters().values()) {
    tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.1, 'float32', seed++)));
  }
  return lora;
}

async function logits(model: GPT2Model | LoraModel): Promise<Float32Array> {
  const out = model.forward(ids);
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

let work: string;
beforeAll(async () => {
  await initBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'gpt2-lora-folder-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('adapter folders', () => {
  it('round trip, written atomically', async () => {
    const model = GPT2Model.create(config, { seed: 2 });
    const lora = trained(model);
    const expected = await logits(lora);
    const dir = join(work, 'adapter');
    await saveLoraAdapterFolder(lora, dir, { baseModelNameOrPath: 'gpt2' });
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    lora.dispose();
    const back = await loadLoraAdapterFolder(model, dir);
    expect(await logits(back)).toEqual(expected);

    // A write that fails half-way leaves the old files and no temporary ones.
    let opened = 0;
    await expect(
      saveLoraAdapterFolder(back, dir, {
        openFile: async (path) => {
          if (++opened === 2)
            throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
          const { openFileSink } = await import('./atomic-write.js');
          return openFileSink(path);
        },
      }),
    ).rejects.toThrow(/ENOSPC/);
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    back.dispose();
    const again = await loadLoraAdapterFolder(model, dir);
    expect(await logits(again)).toEqual(expected);
    again.dispose();
    model.dispose();
  });

  it('says which file is missing', async () => {
    const model = GPT2Model.create(config, { seed: 2 });
    await expect(loadLoraAdapterFolder(model, work)).rejects.toThrow(/no adapter_config\.json/);
    const pickled = join(work, 'pickled');
    const lora = trained(model);
    await saveLoraAdapterFolder(lora, pickled);
    lora.dispose();
    rmSync(join(pickled, 'adapter_model.safetensors'));
    writeFileSync(join(pickled, 'adapter_model.bin'), 'not read');
    const error = await loadLoraAdapterFolder(model, pickled).catch((e: unknown) => e);
    expect(LoraAdapterError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/adapter_model\.bin.*safe_serialization=True/);
    expect(existsSync(join(pickled, 'adapter_config.json'))).toBe(true);
    model.dispose();
  });
});

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const ready = systemRequirement(`${PYTHON} with torch`, hasTorch, 'apt-get install python3-torch');

describe.runIf(ready)('PyTorch applies what saveLoraAdapterFolder writes', () => {
  it('strictly, with the same logits', async () => {
    const model = GPT2Model.create(config, { seed: 3 });
    const modelDir = join(work, 'model');
    const adapterDir = join(work, 'interop-adapter');
    await saveModelFolder(model, modelDir);
    const lora = trained(model);
    await saveLoraAdapterFolder(lora, adapterDir);
    const run = spawnSync(PYTHON, [SCRIPT, modelDir, adapterDir, JSON.stringify({ ids })], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const torch = JSON.parse(run.stdout) as { logits: number[]; layers: string[]; tensors: number };
    expect(torch.layers).toEqual(lora.layers.map((layer) => layer.module));
    expect(torch.tensors).toBe(2 * lora.layers.length);
    const ours = await logits(lora);
    let diff = 0;
    let scale = 0;
    torch.logits.forEach((value, i) => {
      diff = Math.max(diff, Math.abs(ours[i]! - value));
      scale = Math.max(scale, Math.abs(value));
    });
    expect(diff / scale).toBeLessThan(1e-5);
    // The adapter matters: without it the logits differ.
    lora.dispose();
    const base = await logits(model);
    expect(Math.max(...base.map((x, i) => Math.abs(x - torch.logits[i]!)))).toBeGreaterThan(1e-2);
    model.dispose();
  });
});
