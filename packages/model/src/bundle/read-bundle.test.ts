/**
 * The bundle reader on every form it accepts, built in Node from `File`,
 * `Blob` and byte objects: checkpoint, run and checkpoints folders as the
 * trainer and the CLI write them, Hugging Face folders (fast and slow
 * tokenizer files), loose picked files, a single safetensors file with
 * embedded config and tokenizer, a Map of files, and URLs.
 */
import { initBackend } from '@gpt2/backends';
import { type BpeTokenizer, CharTokenizer, type Tokenizer, trainBpe } from '@gpt2/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GPT2Config, resolveConfig } from '../config.js';
import { configToHF } from '../hf-config.js';
import { GPT2Model } from '../model.js';
import { writeSafetensors } from '../weights/safetensors.js';
import { saveSafetensors } from '../weights/save-safetensors.js';
import { BUNDLE_METADATA_KEYS } from './layout.js';
import { loadModelBundle } from './load-bundle.js';
import { ModelBundleError } from './model-bundle-error.js';
import { readModelBundle } from './read-bundle.js';
import { parseModelUrl } from './url-files.js';

const text = 'the quick brown fox jumps over the lazy dog. ';
let chars: CharTokenizer;
let bpe: BpeTokenizer;
let config: GPT2Config;
let model: GPT2Model;
let weights: Uint8Array;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

beforeAll(async () => {
  await initBackend('cpu');
  chars = await CharTokenizer.fromCorpus([text]);
  bpe = await trainBpe([text.repeat(20)], { vocabSize: 300 });
  config = resolveConfig({ preset: 'gpt2-tiny', vocabSize: 320, nPositions: 16, nLayer: 1 });
  model = GPT2Model.create(config, { seed: 3 });
  weights = await saveSafetensors(model);
});

afterAll(() => model.dispose());

/** A picked file: `File` with the folder picker's relative path. */
function picked(path: string, content: Uint8Array | string): File {
  const file = new File([content as BlobPart], path.split('/').at(-1)!);
  Object.defineProperty(file, 'webkitRelativePath', { value: path });
  return file;
}

/** The files of a checkpoint folder as @gpt2/trainer writes it. */
function checkpoint(folder: string, tokenizer: Tokenizer | null, step = 2): File[] {
  return [
    picked(`${folder}/model.safetensors`, weights),
    picked(`${folder}/config.json`, encode(configToHF(config))),
    picked(`${folder}/optimizer.safetensors`, writeSafetensors([])),
    picked(
      `${folder}/trainer_state.json`,
      encode({
        format: 'gpt2-trainer-checkpoint',
        version: 1,
        step,
        model: config,
        tokenizer: tokenizer?.toJSON() ?? null,
      }),
    ),
  ];
}

async function rejection(promise: Promise<unknown>): Promise<ModelBundleError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!ModelBundleError.isInstance(error)) throw new Error(`expected a ModelBundleError: ${error}`);
  return error;
}

describe('readModelBundle: folders', () => {
  it('reads a trainer checkpoint folder: config.json, and the tokenizer from trainer_state.json', async () => {
    const bundle = await readModelBundle(checkpoint('step-00000002', chars));
    expect(bundle.config).toEqual(config);
    expect(bundle.tokenizer.toJSON()).toEqual(chars.toJSON());
    expect(bundle.checkpoint).toBeUndefined();
    expect(bundle.sources.config).toBe('picked files: step-00000002 › config.json');
    expect(bundle.sources.tokenizer).toMatch(/trainer_state\.json \(tokenizer\)$/);
    expect(bundle.weights).toBeInstanceOf(Blob);
  });

  it('reads a run folder: best over the latest step, the run tokenizer when the checkpoint has none', async () => {
    const run = [
      picked('run-1/tokenizer.json', encode(chars.toJSON())),
      picked('run-1/train-config.json', '{}'),
      picked('run-1/metrics.jsonl', ''),
      ...checkpoint('run-1/checkpoints/step-00000009', null, 9),
      ...checkpoint('run-1/checkpoints/step-00000010', null, 10),
      ...checkpoint('run-1/checkpoints/best', null, 4),
    ];
    const best = await readModelBundle(run);
    expect(best.checkpoint).toBe('best');
    expect(best.location).toBe('picked files: run-1 › checkpoints/best');
    expect(best.sources.tokenizer).toBe('picked files: run-1 › tokenizer.json');
    expect(best.tokenizer.toJSON()).toEqual(chars.toJSON());
    const latest = await readModelBundle(run, { checkpoint: 'latest' });
    expect(latest.checkpoint).toBe('step-00000010');
    const named = await readModelBundle(run, { checkpoint: 'step-00000009' });
    expect(named.location).toMatch(/checkpoints\/step-00000009$/);
    const missing = await rejection(readModelBundle(run, { checkpoint: 'step-7' }));
    expect(missing.part).toBe('checkpoint');
    expect(missing.message).toMatch(
      /no checkpoint 'step-7' \(tried: checkpoints here: step-00000009, step-00000010, best\)/,
    );
  });

  it('reads a checkpoints folder (the latest step by number, not by name) and a picked run without best', async () => {
    const store = [
      ...checkpoint('checkpoints/step-9', chars, 9),
      ...checkpoint('checkpoints/step-00000010', chars, 10),
    ];
    expect((await readModelBundle(store)).checkpoint).toBe('step-00000010');
  });

  it('reads a Hugging Face folder with tokenizer.json, or with vocab.json + merges.txt', async () => {
    const hf = bpe.toHuggingFace() as { model: { vocab: unknown; merges: string[] } };
    const fast = await readModelBundle([
      picked('gpt2-small/model.safetensors', weights),
      picked('gpt2-small/config.json', encode(configToHF(config))),
      picked('gpt2-small/tokenizer.json', encode(hf)),
      picked('gpt2-small/generation_config.json', '{}'),
    ]);
    expect(fast.tokenizer.encode(text)).toEqual(bpe.encode(text));
    const slow = await readModelBundle([
      picked('gpt2-small/model.safetensors', weights),
      picked('gpt2-small/config.json', encode(configToHF(config))),
      picked('gpt2-small/vocab.json', encode(hf.model.vocab)),
      picked('gpt2-small/merges.txt', `#version: 0.2\n${hf.model.merges.join('\n')}\n`),
    ]);
    expect(slow.tokenizer.encode(text)).toEqual(bpe.encode(text));
    expect(slow.sources.tokenizer).toMatch(/vocab\.json \+ merges\.txt$/);
  });

  it('reads loose picked files: the only .safetensors that is not optimizer.safetensors, either tokenizer format', async () => {
    const bundle = await readModelBundle([
      new File([weights as BlobPart], 'weights.safetensors'),
      new File([writeSafetensors([]) as BlobPart], 'optimizer.safetensors'),
      new File([encode(configToHF(config)) as BlobPart], 'config.json'),
      new File([encode(chars.toJSON()) as BlobPart], 'gpt2-tokenizer.json'),
    ]);
    expect(bundle.sources.weights).toBe('picked files › weights.safetensors');
    expect(bundle.tokenizer.toJSON()).toEqual(chars.toJSON());
  });

  it('takes a tokenizer saved under its own name: a *tokenizer* name, or the only other JSON file', async () => {
    const loose = (name: string, extra: File[] = []) =>
      readModelBundle([
        new File([weights as BlobPart], 'weights.safetensors'),
        new File([encode(configToHF(config)) as BlobPart], 'config.json'),
        new File([encode(bpe.toJSON()) as BlobPart], name),
        ...extra,
      ]);
    expect((await loose('bpe-300.json')).sources.tokenizer).toBe('picked files › bpe-300.json');
    const named = await loose('my_tokenizer.json', [new File(['{"a": 1}'], 'notes.json')]);
    expect(named.tokenizer.encode(text)).toEqual(bpe.encode(text));
    // A lone JSON file that is not a tokenizer is passed over, and listed as tried.
    const error = await rejection(
      readModelBundle([
        new File([weights as BlobPart], 'model.safetensors'),
        new File([encode(configToHF(config)) as BlobPart], 'config.json'),
        new File(['{"lr": 0.1}'], 'hyperparameters.json'),
      ]),
    );
    expect(error.tried).toContain('picked files › hyperparameters.json (if a tokenizer)');
  });

  it('reads a Map of files (a browser store) and prefers tokenizer.json', async () => {
    const bundle = await readModelBundle(
      new Map<string, Uint8Array>([
        ['model.safetensors', weights],
        ['config.json', encode(configToHF(config))],
        ['tokenizer.json', encode(chars.toJSON())],
        ['gpt2-tokenizer.json', encode(bpe.toJSON())],
      ]),
    );
    expect(bundle.tokenizer.name).toBe(chars.name);
    expect(bundle.location).toBe('files');
  });
});

describe('readModelBundle: single files and URLs', () => {
  it('reads config and tokenizer from the metadata of a lone safetensors file (bytes or Blob)', async () => {
    const embedded = await saveSafetensors(model, {
      metadata: {
        [BUNDLE_METADATA_KEYS.config]: JSON.stringify(configToHF(config)),
        [BUNDLE_METADATA_KEYS.tokenizer]: JSON.stringify(chars.toJSON()),
      },
    });
    for (const source of [embedded, embedded.slice().buffer, new Blob([embedded as BlobPart])]) {
      const bundle = await readModelBundle(source);
      expect(bundle.config).toEqual(config);
      expect(bundle.tokenizer.toJSON()).toEqual(chars.toJSON());
      expect(bundle.sources.config).toMatch(/metadata 'gpt2\.config'$/);
    }
  });

  it('falls back to GPT-2 for a vocabulary that holds its 50257 tokens, and says so', async () => {
    const big = { ...configToHF(config), vocab_size: 50304 };
    const bundle = await readModelBundle([
      new File([writeSafetensors([]) as BlobPart], 'model.safetensors'),
      new File([encode(big) as BlobPart], 'config.json'),
    ]);
    expect(bundle.tokenizer.name).toBe('gpt2');
    expect(bundle.sources.tokenizer).toMatch(/^GPT-2's \(r50k_base\)/);
  });

  it('reads a folder URL or a .safetensors URL, asking only for the files it needs', async () => {
    const served = new Map<string, Uint8Array>([
      ['/models/demo/model.safetensors', weights],
      ['/models/demo/config.json', encode(configToHF(config))],
      ['/models/demo/tokenizer.json', encode(chars.toJSON())],
    ]);
    const requested: string[] = [];
    const fakeFetch = (async (input: RequestInfo | URL) => {
      const url = new URL(String(input));
      requested.push(url.pathname);
      const body = served.get(url.pathname);
      return body
        ? new Response(body as BodyInit, { headers: { 'content-length': String(body.byteLength) } })
        : new Response('not found', { status: 404 });
    }) as typeof fetch;
    const bundle = await readModelBundle('demo', {
      baseUrl: 'https://example.com/models/index.html',
      fetch: fakeFetch,
    });
    expect(bundle.location).toBe('https://example.com/models/demo/');
    expect(bundle.weights).toBe('https://example.com/models/demo/model.safetensors');
    expect(requested).toEqual(['/models/demo/config.json', '/models/demo/tokenizer.json']);
    const loaded = await loadModelBundle('https://example.com/models/demo/model.safetensors', {
      fetch: fakeFetch,
    });
    expect(loaded.sources.weights).toBe('https://example.com/models/demo/model.safetensors');
    const ids = [[1, 2, 3]];
    const [a, b] = [model.forward(ids), loaded.model.forward(ids)];
    expect(await b.data()).toEqual(await a.data());
    tf.dispose([a, b]);
    loaded.model.dispose();
  });
});

describe('parseModelUrl', () => {
  it('puts config and tokenizer beside a .safetensors URL (the Hugging Face Hub layout)', () => {
    const url = parseModelUrl('https://huggingface.co/gpt2/resolve/main/model.safetensors');
    expect(url.folder.href).toBe('https://huggingface.co/gpt2/resolve/main/');
    expect(url.weights).toBe('model.safetensors');
  });

  it('treats any other URL as a folder, relative to a base', () => {
    const url = parseModelUrl('demo-model', 'http://127.0.0.1:8080/app/index.html');
    expect(url.folder.href).toBe('http://127.0.0.1:8080/app/demo-model/');
    expect(url.weights).toBeUndefined();
  });

  it('rejects empty and invalid URLs with a TypeError', () => {
    expect(() => parseModelUrl('  ')).toThrow(TypeError);
    expect(() => parseModelUrl('http://[bad')).toThrow(/Not a URL/);
  });
});

describe('readModelBundle: errors say what is missing and what was tried', () => {
  it('no weights: names the three layouts, and hints at sharded or PyTorch files', async () => {
    const none = await rejection(readModelBundle([picked('x/notes.txt', 'hi')]));
    expect(none.part).toBe('weights');
    expect(none.message).toMatch(
      /^picked files: x: no model weights \(tried: model\.safetensors or another \.safetensors file .*; checkpoints\/ \(a run folder\); 'best' or 'step-N' folders/,
    );
    const pytorch = await rejection(readModelBundle([picked('x/pytorch_model.bin', '')]));
    expect(pytorch.message).toMatch(/PyTorch weights/);
    const sharded = await rejection(
      readModelBundle([picked('x/model.safetensors.index.json', '{}')]),
    );
    expect(sharded.message).toMatch(/sharded checkpoint/);
  });

  it('several weights files, no config, no tokenizer', async () => {
    const several = await rejection(
      readModelBundle([
        new File([weights as BlobPart], 'a.safetensors'),
        new File([weights as BlobPart], 'b.safetensors'),
      ]),
    );
    expect(several.message).toMatch(/several weights files \(a\.safetensors, b\.safetensors\)/);
    const noConfig = await rejection(readModelBundle(weights));
    expect(noConfig.part).toBe('config');
    expect(noConfig.tried).toEqual([
      'bytes › config.json',
      "bytes › model.safetensors metadata 'gpt2.config'",
      'bytes › trainer_state.json (model)',
    ]);
    const noTokenizer = await rejection(
      readModelBundle(new Map([...mapOf(weights), ['config.json', encode(configToHF(config))]])),
    );
    expect(noTokenizer.part).toBe('tokenizer');
    expect(noTokenizer.message).toMatch(/vocabulary \(320 tokens\) is not GPT-2's/);
    expect(noTokenizer.tried).toEqual([
      'files › tokenizer.json',
      'files › gpt2-tokenizer.json',
      'files › vocab.json + merges.txt',
      'files › trainer_state.json (tokenizer)',
      "files › model.safetensors metadata 'gpt2.tokenizer'",
    ]);
  });

  it('names a config.json that is not JSON', async () => {
    const error = await rejection(
      readModelBundle(
        new Map([...mapOf(weights), ['config.json', new TextEncoder().encode('{oops')]]),
      ),
    );
    expect(error.part).toBe('config');
    expect(error.message).toMatch(/^files › config\.json: not valid JSON/);
  });

  it('a tokenizer larger than the model, and two picked files with one name', async () => {
    const wide = await CharTokenizer.fromCorpus([
      Array.from({ length: 400 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join(''),
    ]);
    const tooBig = await rejection(readModelBundle(checkpoint('c', null), { tokenizer: wide }));
    expect(tooBig.message).toMatch(
      /has \d+ tokens but the model only 320: they do not belong together/,
    );
    await expect(
      readModelBundle([new File(['a'], 'config.json'), new File(['b'], 'config.json')]),
    ).rejects.toThrow(/Two picked files are both 'config\.json'/);
  });
});

function mapOf(bytes: Uint8Array): Map<string, Uint8Array> {
  return new Map([['model.safetensors', bytes]]);
}
