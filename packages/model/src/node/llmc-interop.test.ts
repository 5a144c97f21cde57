/**
 * llm.c interchange against the independent PyTorch reference
 * (tools/reference/llmc_io.py, which lays files out as karpathy/llm.c's
 * train_gpt2.py does): our model.bin read by the reference gives our logits
 * and loss, and the reference writes back the very same bytes; the files the
 * reference writes (model.bin in both precisions, a run folder with ZeRO-1
 * state files, tokenizer.bin) import to exactly its weights. Needs Debian's
 * /usr/bin/python3 with torch; skipped with a warning where it is absent,
 * except under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { systemRequirement } from '@gpt2/backends/testing';
import { REFERENCE_PYTHON, type ReferenceScript, referenceScript } from '@gpt2/reference';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { decodeLlmcTokenizer, encodeLlmcTokenizer } from '../llmc/llmc-tokenizer.js';
import { loadLlmcCheckpoint } from '../llmc/load-llmc.js';
import { GPT2Model } from '../model.js';
import { bfloat16ToFloat32, float32ToBfloat16 } from '../weights/dtypes.js';
import { readSafetensors } from '../weights/safetensors.js';
import { loadLlmcCheckpointFile, saveLlmcCheckpointFile } from './llmc-files.js';

const PYTHON = REFERENCE_PYTHON;

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const ready = systemRequirement(`${PYTHON} with torch`, hasTorch, 'apt-get install python3-torch');

function python(script: ReferenceScript, args: string[]): string {
  const run = spawnSync(PYTHON, [referenceScript(script), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) throw new Error(`${script} failed:\n${run.stderr}`);
  return run.stdout;
}

/** max |a - b| / max |b|: the logits' relative error. */
function relativeError(ours: ArrayLike<number>, reference: number[]): number {
  let diff = 0;
  let scale = 0;
  reference.forEach((value, i) => {
    diff = Math.max(diff, Math.abs(ours[i]! - value));
    scale = Math.max(scale, Math.abs(value));
  });
  return diff / scale;
}

async function logitsAndLoss(model: GPT2Model, ids: number[][], targets: number[][]) {
  const logits = model.forward(ids);
  const loss = model.loss(ids, targets);
  const result = { logits: await logits.data(), loss: (await loss.data())[0]! };
  tf.dispose([logits, loss]);
  return result;
}

function bits(array: Float32Array): Uint32Array {
  return new Uint32Array(array.buffer, array.byteOffset, array.length);
}

describe.runIf(ready)('llm.c files against the PyTorch reference (train_gpt2.py layout)', () => {
  let work: string;
  const batch = {
    ids: [
      [3, 299, 0, 7, 7, 120],
      [0, 1, 2, 3, 4, 5],
    ],
    targets: [
      [299, 0, 7, 7, 2, 9],
      [1, 2, 3, 4, 5, 6],
    ],
  };
  // Shapes as GPT-2's (tied, biased, eps 1e-5); V = 300 pads to Vp = 384.
  const config = resolveConfig({
    preset: 'gpt2-tiny',
    vocabSize: 300,
    nPositions: 16,
    nEmbd: 24,
    nHead: 3,
    nLayer: 2,
  });

  beforeAll(async () => {
    await initBackend('cpu');
    work = mkdtempSync(join(tmpdir(), 'gpt2-llmc-interop-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('export → reference: same logits and loss, and the reference writes back the same bytes', async () => {
    const model = GPT2Model.create(config, { seed: 21 });
    const fp32 = join(work, 'ours.bin');
    const bf16 = join(work, 'ours_bf16.bin');
    await saveLlmcCheckpointFile(model, fp32);
    await saveLlmcCheckpointFile(model, bf16, { dtype: 'bfloat16' });
    const rewritten = join(work, 'reference.bin');
    const rewrittenBf16 = join(work, 'reference_bf16.bin');
    const reference = JSON.parse(
      python('check_llmc.py', [fp32, JSON.stringify(batch), rewritten]),
    ) as { loss: number; logits: number[]; header: Record<string, number> };
    expect(reference.header).toEqual({ version: 3, maxT: 16, V: 300, L: 2, NH: 3, C: 24, Vp: 384 });
    const ours = await logitsAndLoss(model, batch.ids, batch.targets);
    const logitsError = relativeError(ours.logits, reference.logits);
    const lossError = Math.abs(ours.loss - reference.loss) / reference.loss;
    console.log(
      `llm.c export parity (float32): logits rel. error ${logitsError.toExponential(2)}, loss rel. error ${lossError.toExponential(2)}`,
    );
    expect(logitsError).toBeLessThan(1e-5);
    expect(lossError).toBeLessThan(1e-5);
    expect(readFileSync(rewritten)).toEqual(readFileSync(fp32));

    // bfloat16: torch's rounding of our float32 weights is byte for byte our version 5 file.
    python('check_llmc.py', [fp32, JSON.stringify(batch), rewrittenBf16, 'bfloat16']);
    expect(readFileSync(rewrittenBf16)).toEqual(readFileSync(bf16));
    // And the bfloat16 weights compute the same in both.
    const referenceBf16 = JSON.parse(python('check_llmc.py', [bf16, JSON.stringify(batch)])) as {
      loss: number;
      logits: number[];
    };
    const loaded = await loadLlmcCheckpointFile(bf16);
    const oursBf16 = await logitsAndLoss(loaded.model, batch.ids, batch.targets);
    expect(relativeError(oursBf16.logits, referenceBf16.logits)).toBeLessThan(1e-5);
    expect(Math.abs(oursBf16.loss - referenceBf16.loss) / referenceBf16.loss).toBeLessThan(1e-5);
    loaded.model.dispose();
    model.dispose();
  });

  describe('files the reference writes, imported', () => {
    let written: string;
    let weights: Map<string, Float32Array>;
    let expected: { ids: number[][]; targets: number[][]; loss: number; logits: number[] };
    beforeAll(() => {
      written = join(work, 'written');
      python('write_llmc.py', [written, '{}']);
      const file = readSafetensors(readFileSync(join(written, 'reference.safetensors')));
      weights = new Map([...file.tensors].map(([name, t]) => [name, t.data as Float32Array]));
      expected = JSON.parse(readFileSync(join(written, 'reference.json'), 'utf8'));
    });

    async function expectWeights(model: GPT2Model, round: (v: number) => number = (v) => v) {
      for (const [name, variable] of model.parameters()) {
        const want = weights.get(name)!.map(round);
        expect(bits((await variable.data()) as Float32Array), name).toEqual(bits(want));
      }
    }

    it('model.bin (float32): byte-identical weights, the reference logits and loss', async () => {
      const { model, header } = await loadLlmcCheckpointFile(join(written, 'model.bin'));
      expect(header.dtype).toBe('float32');
      await expectWeights(model);
      const ours = await logitsAndLoss(model, expected.ids, expected.targets);
      expect(relativeError(ours.logits, expected.logits)).toBeLessThan(1e-5);
      expect(Math.abs(ours.loss - expected.loss) / expected.loss).toBeLessThan(1e-5);
      model.dispose();
    });

    it('model_bf16.bin: exactly the bfloat16-rounded reference weights', async () => {
      const { model, weights: from } = await loadLlmcCheckpointFile(
        join(written, 'model_bf16.bin'),
      );
      expect(from).toBe('model-file');
      await expectWeights(model, (v) => bfloat16ToFloat32(float32ToBfloat16(v)));
      model.dispose();
    });

    it('a run folder: the latest checkpoint, with float32 master weights from ZeRO-1 state files', async () => {
      const loaded = await loadLlmcCheckpointFile(join(written, 'run'));
      expect(loaded.path).toMatch(/model_00000020\.bin$/);
      expect(loaded.weights).toBe('master-weights');
      await expectWeights(loaded.model);
      loaded.model.dispose();
      const plain = await loadLlmcCheckpointFile(join(written, 'run'), { masterWeights: 'never' });
      expect(plain.weights).toBe('model-file');
      plain.model.dispose();
    });

    it('tokenizer.bin: decoded, and re-encoded to the same bytes', () => {
      const bytes = new Uint8Array(readFileSync(join(written, 'tokenizer.bin')));
      const table = decodeLlmcTokenizer(bytes);
      expect(table.tokens).toHaveLength(300);
      expect(new TextDecoder().decode(table.tokens[table.eotToken])).toBe('<|endoftext|>');
      expect(new TextDecoder().decode(table.tokens[258])).toBe(' the');
      expect(encodeLlmcTokenizer(table)).toEqual(bytes);
    });

    it('loadLlmcCheckpoint takes the same bytes in memory', async () => {
      const { model } = await loadLlmcCheckpoint(readFileSync(join(written, 'model.bin')));
      await expectWeights(model);
      model.dispose();
    });
  });
});
