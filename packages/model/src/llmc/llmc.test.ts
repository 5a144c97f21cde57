import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { ConfigError } from '../errors/config-error.js';
import { GPT2Model } from '../model.js';
import { bfloat16ToFloat32, float32ToBfloat16 } from '../weights/dtypes.js';
import type { SafetensorsReader } from '../weights/readers.js';
import {
  LLMC_HEADER_BYTES,
  LLMC_STATE_MAGIC,
  LLMC_TOKENIZER_MAGIC,
  llmcLayout,
  paddedVocabSize,
  parseLlmcHeader,
} from './llmc-format.js';
import { LlmcFormatError } from './llmc-format-error.js';
import { decodeLlmcTokenizer, encodeLlmcTokenizer } from './llmc-tokenizer.js';
import { loadLlmcCheckpoint } from './load-llmc.js';
import { saveLlmcCheckpoint } from './save-llmc.js';

// V = 300 is not a multiple of 128: Vp = 384, so padding is exercised.
const CONFIG = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: 300,
  nPositions: 16,
  nEmbd: 24,
  nHead: 3,
  nLayer: 2,
});

async function values(model: GPT2Model): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, variable] of model.parameters())
    out.set(name, (await variable.data()) as Float32Array);
  return out;
}

/** Bit patterns, so -0 and NaN compare exactly. */
function bits(array: Float32Array): Uint32Array {
  return new Uint32Array(array.buffer, array.byteOffset, array.length);
}

async function llmcError(run: () => Promise<unknown>): Promise<LlmcFormatError> {
  try {
    await run();
  } catch (error) {
    if (!LlmcFormatError.isInstance(error)) throw error;
    return error;
  }
  throw new Error('expected an LlmcFormatError');
}

function setInt(bytes: Uint8Array, index: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setInt32(index * 4, value, true);
  return copy;
}

/** A forward-only reader with no known size (a stream without Content-Length). */
function streamOf(bytes: Uint8Array): SafetensorsReader {
  return {
    name: 'stream',
    byteLength: undefined,
    read: async (offset, length) => bytes.slice(offset, offset + length),
  };
}

describe('llm.c model.bin', () => {
  let model: GPT2Model;
  beforeAll(async () => {
    await initBackend('cpu');
    model = GPT2Model.create(CONFIG, { seed: 5 });
  });

  it("writes train_gpt2.py's header and layout: nn.Linear matrices, zero-padded wte", async () => {
    const bytes = await saveLlmcCheckpoint(model);
    const header = parseLlmcHeader(bytes, { byteLength: bytes.byteLength });
    expect(header).toEqual({
      version: 3,
      dtype: 'float32',
      maxT: 16,
      V: 300,
      L: 2,
      NH: 3,
      C: 24,
      Vp: 384,
    });
    const layout = llmcLayout(header);
    const C = 24;
    // wte + wpe + per layer (12C² + 13C) + final LN, with Vp rows.
    expect(layout.numParameters).toBe(384 * C + 16 * C + 2 * (12 * C * C + 13 * C) + 2 * C);
    expect(bytes.byteLength).toBe(LLMC_HEADER_BYTES + 4 * layout.numParameters);
    const view = new DataView(bytes.buffer);
    const at = (tensor: string, element: number) =>
      view.getFloat32(
        layout.tensors.find((t) => t.name === tensor)!.byteOffset + 4 * element,
        true,
      );
    const ours = await values(model);
    // Padding rows are zero; real rows are ours.
    for (let i = 300 * C; i < 384 * C; i++) expect(at('wte', i)).toBe(0);
    expect(at('wte', 299 * C + 5)).toBe(ours.get('wte.weight')![299 * C + 5]);
    // qkvw of layer 1 is c_attn.weight [C, 3C] transposed: file[1][r][c] = ours[c][r].
    const cAttn = ours.get('h.1.attn.c_attn.weight')!;
    for (const [r, c] of [
      [0, 1],
      [70, 23],
      [5, 0],
    ] as const) {
      expect(at('qkvw', 3 * C * C + r * C + c)).toBe(cAttn[c * 3 * C + r]);
    }
    // fcprojw is (C, 4C): mlp.c_proj.weight [4C, C] transposed.
    const proj = ours.get('h.0.mlp.c_proj.weight')!;
    expect(at('fcprojw', 7 * 4 * C + 90)).toBe(proj[90 * C + 7]);
    expect(at('lnfb', 3)).toBe(ours.get('ln_f.bias')![3]);
  });

  it('round-trips float32 weights bit for bit, and releases every tensor', async () => {
    const bytes = await saveLlmcCheckpoint(model);
    const before = tf.memory().numTensors;
    const loaded = await loadLlmcCheckpoint(bytes);
    expect(loaded.weights).toBe('model-file');
    expect(loaded.model.config).toEqual({
      ...CONFIG,
      embdPdrop: 0,
      attnPdrop: 0,
      residPdrop: 0,
    });
    const original = await values(model);
    for (const [name, data] of await values(loaded.model))
      expect(bits(data), name).toEqual(bits(original.get(name)!));
    loaded.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The same bytes again from a re-export: the format is deterministic.
    const again = await loadLlmcCheckpoint(bytes);
    expect(await saveLlmcCheckpoint(again.model)).toEqual(bytes);
    again.model.dispose();
  });

  it('writes version 5 in bfloat16 rounded to nearest even, as torch does', async () => {
    const bytes = await saveLlmcCheckpoint(model, { dtype: 'bfloat16' });
    const header = parseLlmcHeader(bytes, { byteLength: bytes.byteLength });
    expect(header.version).toBe(5);
    expect(bytes.byteLength).toBe(LLMC_HEADER_BYTES + 2 * llmcLayout(header).numParameters);
    const loaded = await loadLlmcCheckpoint(bytes);
    const original = await values(model);
    for (const [name, data] of await values(loaded.model)) {
      const expected = original.get(name)!.map((v) => bfloat16ToFloat32(float32ToBfloat16(v)));
      expect(bits(data), name).toEqual(bits(expected));
    }
    loaded.model.dispose();
    // Ties go to even; NaN is torch's canonical 0x7fc0.
    expect(float32ToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // tie, 0x3f80 is even
    expect(float32ToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, rounds up to even
    expect(float32ToBfloat16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(float32ToBfloat16(Number.NaN)).toBe(0x7fc0);
    expect(float32ToBfloat16(3.4028234663852886e38)).toBe(0x7f80); // rounds to +Infinity
  });

  it('pads any vocabulary to a multiple of 128 (or another multiple)', () => {
    expect(paddedVocabSize(50257)).toBe(50304);
    expect(paddedVocabSize(256)).toBe(256);
    expect(paddedVocabSize(257)).toBe(384);
    expect(paddedVocabSize(300, 64)).toBe(320);
  });

  it('names the field for a wrong magic, an unknown version and inconsistent sizes', async () => {
    const bytes = await saveLlmcCheckpoint(model);
    const tokenizerFile = await llmcError(() =>
      loadLlmcCheckpoint(setInt(bytes, 0, LLMC_TOKENIZER_MAGIC)),
    );
    expect(tokenizerFile).toMatchObject({ field: 'magic', problem: 'bad-magic' });
    expect(tokenizerFile.message).toMatch(/this is a tokenizer file/);
    expect(
      await llmcError(() => loadLlmcCheckpoint(setInt(bytes, 0, LLMC_STATE_MAGIC))),
    ).toMatchObject({
      field: 'magic',
      message: expect.stringMatching(/run state file/),
    });
    expect(await llmcError(() => loadLlmcCheckpoint(setInt(bytes, 1, 2)))).toMatchObject({
      field: 'version',
      problem: 'unknown-version',
      actual: 2,
    });
    expect(await llmcError(() => loadLlmcCheckpoint(setInt(bytes, 5, 5)))).toMatchObject({
      field: 'NH',
      problem: 'bad-field',
    });
    expect(await llmcError(() => loadLlmcCheckpoint(setInt(bytes, 7, 0)))).toMatchObject({
      field: 'Vp',
      message: expect.stringMatching(/before llm.c padded/),
    });
    expect(await llmcError(() => loadLlmcCheckpoint(setInt(bytes, 4, 0)))).toMatchObject({
      field: 'L',
    });
    // A header that claims more layers than the body holds: the size disagrees.
    expect(await llmcError(() => loadLlmcCheckpoint(setInt(bytes, 4, 3)))).toMatchObject({
      problem: 'truncated',
      expected: expect.any(Number),
      actual: bytes.byteLength,
    });
  });

  it('reports a truncated file with the tensor it ends in, and trailing bytes', async () => {
    const bytes = await saveLlmcCheckpoint(model);
    const layout = llmcLayout(parseLlmcHeader(bytes));
    const fcw = layout.tensors.find((t) => t.name === 'fcw')!;
    const cut = bytes.subarray(0, fcw.byteOffset + 10);
    expect(await llmcError(() => loadLlmcCheckpoint(cut))).toMatchObject({
      field: 'fcw',
      problem: 'truncated',
      expected: bytes.byteLength,
      actual: cut.byteLength,
    });
    expect(await llmcError(() => loadLlmcCheckpoint(bytes.subarray(0, 100)))).toMatchObject({
      field: 'header',
      problem: 'truncated',
    });
    const longer = new Uint8Array(bytes.byteLength + 4);
    longer.set(bytes);
    expect(await llmcError(() => loadLlmcCheckpoint(longer))).toMatchObject({
      field: 'size',
      problem: 'size-mismatch',
      expected: bytes.byteLength,
      actual: bytes.byteLength + 4,
    });
    // Without a known size (a stream), both are found while reading, and nothing leaks.
    const before = tf.memory().numTensors;
    expect(await llmcError(() => loadLlmcCheckpoint(streamOf(cut)))).toMatchObject({
      field: 'fcw',
      problem: 'truncated',
    });
    expect(await llmcError(() => loadLlmcCheckpoint(streamOf(longer)))).toMatchObject({
      field: 'size',
    });
    expect(tf.memory().numTensors).toBe(before);
    const streamed = await loadLlmcCheckpoint(streamOf(bytes));
    streamed.model.dispose();
  });

  it('refuses models llm.c cannot represent, naming the config field', async () => {
    for (const [field, value] of [
      ['bias', false],
      ['tieWordEmbeddings', false],
      ['positionEmbedding', 'sinusoidal'],
      ['layerNormEpsilon', 1e-6],
    ] as const) {
      const other = GPT2Model.create({ ...CONFIG, [field]: value }, { init: 'zeros' });
      const error = await saveLlmcCheckpoint(other).catch((e: unknown) => e);
      other.dispose();
      expect(ConfigError.isInstance(error), field).toBe(true);
      expect(error).toMatchObject({ field });
    }
  });
});

/** State files in llm.c's layout (train_gpt2.cu save_state), written independently of the reader. */
function stateFile(options: {
  processes: number;
  rank: number;
  master: Float32Array | undefined;
  shard: number;
  shuffle?: { shards: number; samples: number };
  step?: number;
}): Uint8Array {
  const { shard, master, shuffle } = options;
  const tail = shuffle ? 8 + 4 * shuffle.shards + 8 + 4 * shuffle.samples + 2520 : 0;
  const out = new Uint8Array(LLMC_HEADER_BYTES + (master ? 3 : 2) * shard * 4 + tail);
  const view = new DataView(out.buffer);
  view.setInt32(0, LLMC_STATE_MAGIC, true);
  view.setInt32(4, 1, true);
  view.setInt32(8, options.processes, true);
  view.setInt32(12, options.rank, true);
  view.setInt32(16, master ? 1 : 0, true);
  view.setInt32(20, shuffle ? 1 : 0, true);
  view.setInt32(40, options.step ?? 10, true);
  // m and v: junk that must not be mistaken for weights.
  for (let i = 0; i < 2 * shard; i++) view.setFloat32(LLMC_HEADER_BYTES + 4 * i, 1234.5, true);
  if (master) new Float32Array(out.buffer, LLMC_HEADER_BYTES + 8 * shard, shard).set(master);
  if (shuffle) {
    const at = LLMC_HEADER_BYTES + 12 * shard;
    view.setUint32(at, shuffle.shards, true);
    view.setUint32(at + 8 + 4 * shuffle.shards, shuffle.samples, true);
  }
  return out;
}

describe("llm.c run checkpoints: float32 master weights from a bfloat16 run's state files", () => {
  let model: GPT2Model;
  let bf16: Uint8Array;
  /** The full parameter vector in file order, float32 (the master weights). */
  let master: Float32Array;
  beforeAll(async () => {
    await initBackend('cpu');
    model = GPT2Model.create(CONFIG, { seed: 9 });
    bf16 = await saveLlmcCheckpoint(model, { dtype: 'bfloat16' });
    const fp32 = await saveLlmcCheckpoint(model);
    master = new Float32Array(fp32.slice(LLMC_HEADER_BYTES).buffer);
  });

  async function expectExact(loaded: { model: GPT2Model; weights: string }) {
    expect(loaded.weights).toBe('master-weights');
    const original = await values(model);
    for (const [name, data] of await values(loaded.model))
      expect(bits(data), name).toEqual(bits(original.get(name)!));
    loaded.model.dispose();
  }

  it('takes every rank-0 master weight without ZeRO (with or without a shuffling loader)', async () => {
    const N = master.length;
    for (const shuffle of [undefined, { shards: 3, samples: 17 }]) {
      const state = stateFile({
        processes: 1,
        rank: 0,
        master,
        shard: N,
        ...(shuffle ? { shuffle } : {}),
      });
      await expectExact(await loadLlmcCheckpoint(bf16, { states: [state] }));
    }
    // DDP without ZeRO: each rank holds everything; rank 0's file is enough.
    const two = stateFile({ processes: 2, rank: 0, master, shard: N });
    await expectExact(await loadLlmcCheckpoint(bf16, { states: [two] }));
    const rankOne = stateFile({ processes: 2, rank: 1, master, shard: N });
    await expectExact(await loadLlmcCheckpoint(bf16, { states: [rankOne] }));
  });

  it('reassembles ZeRO-1 shards: each rank holds 1/P of every tensor slice', async () => {
    const processes = 2;
    const layout = llmcLayout(parseLlmcHeader(bf16));
    const shard = layout.numParameters / processes;
    const shards = [new Float32Array(shard), new Float32Array(shard)];
    for (const tensor of layout.tensors) {
      const start = (tensor.byteOffset - LLMC_HEADER_BYTES) / 2;
      const piece = tensor.sliceElements / processes;
      for (let slice = 0; slice < tensor.slices; slice++) {
        for (let rank = 0; rank < processes; rank++) {
          const from = start + slice * tensor.sliceElements + rank * piece;
          shards[rank]!.set(master.subarray(from, from + piece), start / processes + slice * piece);
        }
      }
    }
    const files = shards.map((part, rank) =>
      stateFile({ processes, rank, master: part, shard, shuffle: { shards: 1, samples: 5 } }),
    );
    await expectExact(await loadLlmcCheckpoint(bf16, { states: [files[1]!, files[0]!] }));
    const missing = await llmcError(() => loadLlmcCheckpoint(bf16, { states: [files[1]!] }));
    expect(missing).toMatchObject({
      field: 'rank',
      message: expect.stringMatching(/rank\(s\) 0 are missing/),
    });
  });

  it('falls back to the model file when the run kept no master weights, and rejects foreign state files', async () => {
    const N = master.length;
    const none = await loadLlmcCheckpoint(bf16, {
      states: [stateFile({ processes: 1, rank: 0, master: undefined, shard: N })],
    });
    expect(none.weights).toBe('model-file');
    expect(none.masterWeightsUnavailable).toMatch(/-w 0/);
    none.model.dispose();
    const other = stateFile({
      processes: 1,
      rank: 0,
      master: new Float32Array(N - 8),
      shard: N - 8,
    });
    expect(await llmcError(() => loadLlmcCheckpoint(bf16, { states: [other] }))).toMatchObject({
      field: 'size',
      problem: 'size-mismatch',
    });
  });
});

describe('llm.c tokenizer.bin', () => {
  const encoder = new TextEncoder();
  const table = {
    tokens: [...Array(256).keys()]
      .map((b) => Uint8Array.of(b))
      .concat([encoder.encode('th'), encoder.encode(' the'), encoder.encode('<|endoftext|>')]),
    eotToken: 258,
  };

  it('round-trips: magic 20240328, version 2, count, EOT, then length-prefixed bytes', () => {
    const bytes = encodeLlmcTokenizer(table);
    const view = new DataView(bytes.buffer);
    expect([0, 1, 2, 3].map((i) => view.getInt32(4 * i, true))).toEqual([20240328, 2, 259, 258]);
    expect(bytes[LLMC_HEADER_BYTES]).toBe(1);
    expect(bytes.byteLength).toBe(LLMC_HEADER_BYTES + 256 * 2 + 3 + 5 + 14);
    expect(decodeLlmcTokenizer(bytes)).toEqual(table);
  });

  it('names the field of every defect', () => {
    const bytes = encodeLlmcTokenizer(table);
    const error = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        expect(LlmcFormatError.isInstance(e)).toBe(true);
        return e as LlmcFormatError;
      }
      throw new Error('expected an LlmcFormatError');
    };
    expect(error(() => decodeLlmcTokenizer(setInt(bytes, 0, 20240326)))).toMatchObject({
      field: 'magic',
    });
    expect(error(() => decodeLlmcTokenizer(setInt(bytes, 1, 3)))).toMatchObject({
      field: 'version',
    });
    expect(error(() => decodeLlmcTokenizer(setInt(bytes, 3, 400)))).toMatchObject({
      field: 'eot_token',
    });
    expect(error(() => decodeLlmcTokenizer(bytes.subarray(0, bytes.byteLength - 3)))).toMatchObject(
      {
        field: 'token 258',
        problem: 'truncated',
      },
    );
    expect(error(() => decodeLlmcTokenizer(Uint8Array.of(...bytes, 0)))).toMatchObject({
      field: 'size',
    });
    const empty = bytes.slice();
    empty[LLMC_HEADER_BYTES] = 0;
    expect(error(() => decodeLlmcTokenizer(empty))).toMatchObject({ field: 'token 0' });
    expect(() => encodeLlmcTokenizer({ tokens: [new Uint8Array(256)], eotToken: 0 })).toThrow(
      /token 0 has 256 bytes/,
    );
  });
});
