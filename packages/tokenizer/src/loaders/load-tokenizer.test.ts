import { beforeAll, describe, expect, it } from 'vitest';
import type { BpeTokenizer } from '../bpe-tokenizer.js';
import { CharTokenizer } from '../char-tokenizer.js';
import { VocabFormatError } from '../errors/vocab-format-error.js';
import { gpt2Tokenizer } from '../gpt2.js';
import { detectTokenizerFormat, loadTokenizer } from './load-tokenizer.js';

const sample = 'Hello world, naïve café <|endoftext|>';
let gpt2: BpeTokenizer;
beforeAll(async () => {
  gpt2 = await gpt2Tokenizer();
});

async function rejection(promise: Promise<unknown>): Promise<VocabFormatError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!VocabFormatError.isInstance(error)) throw new Error(`expected a VocabFormatError: ${error}`);
  return error;
}

describe('loadTokenizer', () => {
  it("loads this package's JSON, as text or object", async () => {
    expect(await loadTokenizer({ type: 'gpt2' })).toBe(gpt2);
    const bpe = await loadTokenizer(JSON.stringify(gpt2.toBpeJSON()));
    expect(bpe.encode(sample, { allowedSpecial: 'all' })).toEqual(
      gpt2.encode(sample, { allowedSpecial: 'all' }),
    );
    const chars = await CharTokenizer.fromCorpus(['abc']);
    const loaded = await loadTokenizer(JSON.stringify(chars.toJSON()));
    expect(loaded.encode('cab')).toEqual(chars.encode('cab'));
  });

  it("loads Hugging Face's tokenizer.json, as text or object, with GPT-2's ids", async () => {
    const hf = gpt2.toHuggingFace();
    for (const input of [hf, JSON.stringify(hf)]) {
      const tokenizer = await loadTokenizer(input, { name: 'gpt2-hf' });
      expect(tokenizer.name).toBe('gpt2-hf');
      expect(tokenizer.encode(sample, { allowedSpecial: 'all' })).toEqual(
        gpt2.encode(sample, { allowedSpecial: 'all' }),
      );
    }
  });

  it('detects the format from the content', () => {
    expect(detectTokenizerFormat({ type: 'bpe' })).toBe('gpt2-tokenizer');
    expect(detectTokenizerFormat({ version: '1.0', model: { type: 'BPE', vocab: {} } })).toBe(
      'huggingface',
    );
    // A trainer_state.json has a "model" object too: the model config, not a tokenizer model.
    expect(detectTokenizerFormat({ format: 'x', model: { nLayer: 2 } })).toBeUndefined();
    expect(detectTokenizerFormat([1, 2])).toBeUndefined();
  });

  it('names the source and both formats when the JSON is neither', async () => {
    const error = await rejection(
      loadTokenizer('{"model": {"nLayer": 2}}', { source: 'run/trainer_state.json' }),
    );
    expect(error.file).toBe('run/trainer_state.json');
    expect(error.message).toMatch(/^run\/trainer_state\.json: not a tokenizer/);
    expect(error.message).toMatch(/@gpt2\/tokenizer JSON .* Hugging Face tokenizer\.json/);
    expect((await rejection(loadTokenizer('{oops', { source: 'a.json' }))).message).toMatch(
      /^a\.json: not valid JSON/,
    );
  });

  it('names the source and the detected format when the file is corrupt', async () => {
    const hf = await rejection(
      loadTokenizer({ model: { type: 'BPE', vocab: {} } }, { source: 'models/x/tokenizer.json' }),
    );
    expect(hf.message).toBe(
      'models/x/tokenizer.json: Hugging Face tokenizer.json: model.merges must be an array',
    );
    const ours = await rejection(loadTokenizer({ type: 'sentencepiece' }, { source: 'tok.json' }));
    expect(ours.message).toMatch(/^tok\.json: @gpt2\/tokenizer JSON: unknown tokenizer type/);
  });
});
