import { readFileSync } from 'node:fs';
import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromHF } from '../hf-config.js';
import { GPT2Model } from '../model.js';
import { loadWeights } from './load-weights.js';
import { readSafetensors, type SafetensorsInput, writeSafetensors } from './safetensors.js';
import { SafetensorsFormatError } from './safetensors-format-error.js';
import { saveSafetensors } from './save-safetensors.js';
import { WeightsMismatchError } from './weights-mismatch-error.js';

const FIXTURES = new URL('../__fixtures__/', import.meta.url);
const fixtureBytes = readFileSync(new URL('reference-model.safetensors', FIXTURES));
const config = configFromHF(JSON.parse(readFileSync(new URL('config.json', FIXTURES), 'utf8')));
const fixture = readSafetensors(fixtureBytes).tensors;
const ids = [
  [1, 2, 3, 4, 4095],
  [7, 0, 9, 100, 5],
];

let model: GPT2Model;

beforeAll(async () => {
  await initBackend('cpu');
  model = GPT2Model.create(config, { init: 'zeros' });
});

afterAll(() => model.dispose());

/** The fixture's tensors as writer input, renamed/edited by `edit`. */
function checkpoint(edit: (tensors: Map<string, SafetensorsInput>) => void = () => {}): Uint8Array {
  const tensors = new Map<string, SafetensorsInput>();
  for (const [name, t] of fixture) tensors.set(name, { shape: t.shape, data: t.data });
  edit(tensors);
  return writeSafetensors(tensors, { metadata: { format: 'pt' } });
}

/** A Response whose body arrives in `chunk`-byte pieces, with or without Content-Length. */
function chunkedResponse(bytes: Uint8Array, chunk: number, withLength = false): Response {
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
  const headers = withLength ? { 'content-length': String(bytes.byteLength) } : undefined;
  return new Response(stream, { headers });
}

/** Index of the first element that differs (bitwise), or -1; fast where toEqual on 200k floats is not. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

async function expectFixtureWeights(target: GPT2Model): Promise<void> {
  for (const [name, variable] of target.parameters()) {
    const expected = fixture.get(name)!;
    expect(variable.shape, name).toEqual(expected.shape);
    expect(firstDifference(await variable.data(), expected.data), name).toBe(-1);
  }
}

async function zeroWeights(target: GPT2Model): Promise<void> {
  for (const variable of target.parameters().values()) {
    const zeros = tf.zerosLike(variable);
    variable.assign(zeros);
    zeros.dispose();
  }
}

async function mismatch(run: Promise<unknown>): Promise<WeightsMismatchError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WeightsMismatchError.isInstance(error), String(error)).toBe(true);
  return error as WeightsMismatchError;
}

async function formatError(run: Promise<unknown>): Promise<SafetensorsFormatError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(SafetensorsFormatError.isInstance(error), String(error)).toBe(true);
  return error as SafetensorsFormatError;
}

describe('loadWeights', () => {
  it('loads the PyTorch fixture from bytes, a Blob, a File, a streamed Response and a URL, without leaks', async () => {
    const before = tf.memory().numTensors;
    const fetchFixture = async () => chunkedResponse(fixtureBytes, 4093, true);
    const sources = [
      fixtureBytes,
      fixtureBytes.buffer.slice(
        fixtureBytes.byteOffset,
        fixtureBytes.byteOffset + fixtureBytes.byteLength,
      ),
      new Blob([fixtureBytes]),
      new File([fixtureBytes], 'model.safetensors'),
      chunkedResponse(fixtureBytes, 1000), // no Content-Length: end checked by reading
      chunkedResponse(fixtureBytes, 65536, true),
    ];
    for (const source of sources) {
      await zeroWeights(model);
      await loadWeights(model, source);
      await expectFixtureWeights(model);
    }
    await zeroWeights(model);
    const progress: number[] = [];
    await loadWeights(model, 'https://example.test/model.safetensors', {
      fetch: fetchFixture as typeof fetch,
      onProgress: (p) => progress.push(p.loadedBytes / p.totalBytes),
    });
    await expectFixtureWeights(model);
    expect(progress).toHaveLength(model.parameters().size);
    expect(progress.at(-1)).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accepts save_pretrained names (transformer. prefix), a tied lm_head copy and HF attention buffers', async () => {
    const bytes = checkpoint((tensors) => {
      for (const [name, t] of [...tensors]) {
        tensors.delete(name);
        tensors.set(`transformer.${name}`, t);
      }
      tensors.set('lm_head.weight', tensors.get('transformer.wte.weight')!);
      for (const layer of [0, 1]) {
        tensors.set(`transformer.h.${layer}.attn.bias`, {
          shape: [1, 1, 32, 32],
          data: new Float32Array(1024).fill(1),
        });
        tensors.set(`transformer.h.${layer}.attn.masked_bias`, {
          shape: [],
          data: new Float32Array([-1e4]),
        });
      }
    });
    await zeroWeights(model);
    await loadWeights(model, chunkedResponse(bytes, 3000));
    await expectFixtureWeights(model);
  });

  it('rejects a tied lm_head that differs from wte', async () => {
    const bytes = checkpoint((tensors) => {
      const wte = tensors.get('wte.weight')!;
      const head = Float32Array.from(wte.data as Float32Array, (v) => v * 2);
      tensors.set('lm_head.weight', { shape: wte.shape, data: head });
    });
    const error = await mismatch(loadWeights(model, bytes, { name: 'untied.safetensors' }));
    expect(error.conflicting).toEqual([
      'lm_head.weight (differs from wte.weight, but the model ties them)',
    ]);
    expect(error.message).toContain('untied.safetensors');
  });

  it('lists every missing, unexpected, misshapen and wrongly typed tensor at once, and changes nothing', async () => {
    await loadWeights(model, fixtureBytes);
    const bytes = checkpoint((tensors) => {
      tensors.delete('h.1.mlp.c_fc.bias');
      tensors.delete('ln_f.weight');
      tensors.set('h.2.ln_1.weight', { shape: [48], data: new Float32Array(48) });
      tensors.set('h.0.attn.c_attn.weight', { shape: [144, 48], data: new Float32Array(144 * 48) });
      tensors.set('wpe.weight', { shape: [64, 48], data: new Float32Array(64 * 48) });
      tensors.set('ln_f.bias', { shape: [48], data: new Int32Array(48) });
    });
    const error = await mismatch(loadWeights(model, bytes, { name: 'broken.safetensors' }));
    expect(error.missing).toEqual(['h.1.mlp.c_fc.bias', 'ln_f.weight']);
    expect(error.unexpected).toEqual(['h.2.ln_1.weight']);
    expect(error.misshapen).toEqual([
      { key: 'wpe.weight', expectedShape: [32, 48], actualShape: [64, 48] },
      { key: 'h.0.attn.c_attn.weight', expectedShape: [48, 144], actualShape: [144, 48] },
    ]);
    expect(error.wrongDtype).toEqual([{ key: 'ln_f.bias', dtype: 'I32' }]);
    expect(error.message).toMatch(/broken\.safetensors/);
    expect(error.message).toMatch(/missing \(2\): h\.1\.mlp\.c_fc\.bias, ln_f\.weight/);
    expect(error.message).toMatch(
      /h\.0\.attn\.c_attn\.weight \[144, 48\] \(model \[48, 144\]; transposed\?/,
    );
    await expectFixtureWeights(model); // checked before any assignment
  });

  it('reports duplicates (with and without the prefix) as unexpected', async () => {
    const bytes = checkpoint((tensors) => {
      tensors.set('transformer.ln_f.bias', tensors.get('ln_f.bias')!);
    });
    const error = await mismatch(loadWeights(model, bytes));
    expect(error.unexpected).toEqual(['transformer.ln_f.bias']);
  });

  it('reports truncated files and streams, and trailing bytes, as format errors', async () => {
    const cut = fixtureBytes.subarray(0, fixtureBytes.byteLength - 100);
    expect(
      (await formatError(loadWeights(model, cut, { name: 'cut.safetensors' }))).message,
    ).toMatch(/cut\.safetensors.*truncated/);
    const streamed = await formatError(loadWeights(model, chunkedResponse(cut, 5000)));
    expect(streamed.message).toMatch(/ln_f\.bias.*truncated/);
    const headerOnly = fixtureBytes.subarray(0, 100);
    expect(
      (await formatError(loadWeights(model, chunkedResponse(headerOnly, 64)))).message,
    ).toMatch(/ended inside the header/);
    const longer = new Uint8Array(fixtureBytes.byteLength + 3);
    longer.set(fixtureBytes);
    expect((await formatError(loadWeights(model, chunkedResponse(longer, 7000)))).message).toMatch(
      /bytes follow the last tensor/,
    );
    expect((await formatError(loadWeights(model, longer))).message).toMatch(
      /3 bytes follow the last tensor/,
    );
    await loadWeights(model, fixtureBytes);
  });

  it('names an HTTP failure and a bad source type', async () => {
    const notFound = async () => new Response('nope', { status: 404, statusText: 'Not Found' });
    await expect(
      loadWeights(model, 'https://example.test/missing.safetensors', {
        fetch: notFound as typeof fetch,
      }),
    ).rejects.toThrow(/missing\.safetensors: HTTP 404 Not Found/);
    await expect(loadWeights(model, 42 as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });
});

describe('saveSafetensors', () => {
  it('round-trips: save, load into a fresh model, identical logits', async () => {
    await loadWeights(model, fixtureBytes);
    const bytes = await saveSafetensors(model, { metadata: { note: 'test' } });
    const saved = readSafetensors(bytes);
    expect(saved.metadata).toEqual({ note: 'test', format: 'pt' });
    expect([...saved.tensors.keys()]).toEqual([...model.parameters().keys()]);
    expect(saved.tensors.has('lm_head.weight')).toBe(false);

    tf.dispose(model.forward(ids)); // builds the model's cached causal mask
    const before = tf.memory().numTensors;
    const copy = GPT2Model.create(config, { init: 'zeros' });
    await loadWeights(copy, bytes);
    const a = model.forward(ids);
    const b = copy.forward(ids);
    expect(firstDifference(await b.data(), await a.data())).toBe(-1);
    tf.dispose([a, b]);
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saves F16 at half the size, within float16 rounding', async () => {
    const bytes = await saveSafetensors(model, { dtype: 'F16' });
    expect(readSafetensors(bytes).tensors.get('wte.weight')?.dtype).toBe('F16');
    const copy = GPT2Model.create(config, { init: 'zeros' });
    await loadWeights(copy, bytes);
    const wte = await copy.parameters().get('wte.weight')!.data();
    const expected = fixture.get('wte.weight')!.data;
    let worst = 0;
    for (let i = 0; i < wte.length; i++) worst = Math.max(worst, Math.abs(wte[i]! - expected[i]!));
    expect(worst).toBeLessThan(2 ** -11 * 0.5); // |w| < 0.5 here: half an ulp of float16
    copy.dispose();
  });
});
