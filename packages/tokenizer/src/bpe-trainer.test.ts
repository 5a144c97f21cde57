import { loadBrownCorpus } from '@gpt2/corpora';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BpeTokenizer } from './bpe-tokenizer.js';
import { trainBpe } from './bpe-trainer.js';
import { fromHuggingFace } from './loaders/huggingface.js';
import { fromTiktoken } from './loaders/tiktoken-file.js';
import { tokenizerFromJSON } from './tokenizer-json.js';

let corpus: string[];
let trained: BpeTokenizer;
let sample: string;
beforeAll(async () => {
  // A fifth of Brown keeps the suite fast; the bench trains on all of it.
  corpus = (await loadBrownCorpus()).slice(0, 100).map((d) => d.text);
  sample = corpus.slice(0, 20).join('\n\n');
  async function* stream() {
    for (const text of corpus) yield text;
  }
  trained = await trainBpe(stream(), { vocabSize: 1024 });
});

describe('trainBpe', () => {
  it('learns merges that compress the training text', () => {
    expect(trained.vocabSize).toBe(1024);
    expect(trained.eotToken).toBe(1023);
    const bytes = new TextEncoder().encode(sample).length;
    const ids = trained.encode(sample);
    expect(ids.length).toBeLessThan(bytes / 2.5);
    expect(trained.decode(ids)).toBe(sample);
    expect(trained.encode('a<|endoftext|>b', { allowedSpecial: 'all' })).toContain(1023);
  });

  it('round-trips any text, including what it never saw', () => {
    for (const text of ['日本語 👨‍👩‍👧 ok', "they'll   \n\n go", '', '\u0000\u0301x']) {
      expect(trained.decode(trained.encode(text))).toBe(text);
    }
  });

  it('is deterministic', async () => {
    const again = await trainBpe(corpus, { vocabSize: 1024 });
    expect(again.toJSON()).toEqual(trained.toJSON());
  });

  it('saves to JSON and loads back identically', async () => {
    const json = JSON.parse(JSON.stringify(trained.toJSON()));
    expect(json.type).toBe('bpe');
    const loaded = await tokenizerFromJSON(json);
    expect(loaded.encode(sample)).toEqual(trained.encode(sample));
    expect(loaded.vocabSize).toBe(trained.vocabSize);
  });

  it('exports to tiktoken ranks and Hugging Face tokenizer.json', () => {
    const expected = trained.encode(sample);
    const hf = fromHuggingFace({ json: JSON.stringify(trained.toHuggingFace()) });
    expect(hf.encode(sample)).toEqual(expected);
    expect(hf.specialTokens.get('<|endoftext|>')).toBe(1023);
    const ranks = fromTiktoken({
      ranks: trained.toTiktoken(),
      specialTokens: { '<|endoftext|>': 1023 },
    });
    // Rank files use tiktoken's rule (joined bytes): it may pick another split, never another text.
    const viaRanks = ranks.encode(sample);
    expect(ranks.decode(viaRanks)).toBe(sample);
    expect(Math.abs(viaRanks.length - expected.length)).toBeLessThan(expected.length * 0.01);
  });

  it('supports a custom split pattern and rejects bad options', async () => {
    const words = await trainBpe(['aaa bbb aaa bbb'], {
      vocabSize: 260,
      pattern: '\\S+|\\s+',
      specialTokens: [],
    });
    expect(words.pattern).toBe('\\S+|\\s+');
    expect(words.encode('aaa')).toHaveLength(1);
    await expect(trainBpe(['x'], { vocabSize: 10 })).rejects.toThrow(RangeError);
    await expect(trainBpe([1 as unknown as string], { vocabSize: 300 })).rejects.toThrow(TypeError);
  });
});
