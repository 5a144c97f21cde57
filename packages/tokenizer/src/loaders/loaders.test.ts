import { beforeAll, describe, expect, it } from 'vitest';
import type { BpeTokenizer } from '../bpe-tokenizer.js';
import { VocabFormatError } from '../errors/vocab-format-error.js';
import { gpt2Tokenizer } from '../gpt2.js';
import { tokenizerFromJSON } from '../tokenizer-json.js';
import { fromGpt2Files } from './gpt2-files.js';
import { fromHuggingFace } from './huggingface.js';
import { fromTiktoken } from './tiktoken-file.js';

let gpt2: BpeTokenizer;
const sample =
  "Hello world! It's 2024 — naïve café, 日本語, 👍🏽   spaces\n\nand <|endoftext|> text";
beforeAll(async () => {
  gpt2 = await gpt2Tokenizer();
});

describe('file loaders', () => {
  it('load GPT-2 from its own tiktoken and Hugging Face exports', () => {
    const expected = gpt2.encode(sample, { allowedSpecial: 'all' });
    const tk = fromTiktoken({
      ranks: gpt2.toTiktoken(),
      specialTokens: { '<|endoftext|>': 50256 },
    });
    expect(tk.encode(sample, { allowedSpecial: 'all' })).toEqual(expected);
    const hf = fromHuggingFace({ json: JSON.stringify(gpt2.toHuggingFace()) });
    expect(hf.vocabSize).toBe(50257);
    expect(hf.encode(sample, { allowedSpecial: 'all' })).toEqual(expected);
  });

  it('round-trips the full BPE JSON of GPT-2', async () => {
    const json = gpt2.toBpeJSON();
    const rebuilt = await tokenizerFromJSON(JSON.stringify(json));
    expect(rebuilt.encode(sample, { allowedSpecial: 'all' })).toEqual(
      gpt2.encode(sample, { allowedSpecial: 'all' }),
    );
    expect(await tokenizerFromJSON({ type: 'gpt2' })).toBe(gpt2);
  });

  it('name the file and the problem for corrupt vocabularies', () => {
    const bad = (fn: () => unknown, pattern: RegExp) => {
      try {
        fn();
      } catch (error) {
        expect(VocabFormatError.isInstance(error)).toBe(true);
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toMatch(pattern);
        return;
      }
      throw new Error('expected a VocabFormatError');
    };
    bad(() => fromTiktoken({ ranks: 'IQ== 0\nnot-base64!! 1\n' }), /^\.tiktoken:2: invalid base64/);
    bad(
      () => fromTiktoken({ ranks: 'IQ==\n', file: 'r50k.tiktoken' }),
      /^r50k\.tiktoken:1: expected/,
    );
    bad(() => fromTiktoken({ ranks: 'IQ== 0\n' }), /Byte 0x00 has no token/);
    bad(
      () => fromGpt2Files({ encoderJson: '{oops', vocabBpe: '' }),
      /^encoder\.json: not valid JSON/,
    );
    bad(
      () => fromGpt2Files({ encoderJson: '{"a": 0}', vocabBpe: '' }),
      /expected 256 single-byte tokens/,
    );
    const encoder = Object.fromEntries(
      gpt2.model.tokenStrings.slice(0, 256).map((_, id) => [gpt2.idToToken(id), id]),
    );
    bad(
      () => fromGpt2Files({ encoderJson: encoder, vocabBpe: '#version: 0.2\nĠ t\n' }),
      /^vocab\.bpe:2: the merge result "Ġt" is not in encoder\.json/,
    );
    bad(
      () => fromGpt2Files({ encoderJson: encoder, vocabBpe: '#version: 0.2\nĠt\n' }),
      /^vocab\.bpe:2: expected two/,
    );
    bad(() => fromHuggingFace({ json: '[]' }), /^tokenizer\.json: expected a JSON object/);
    bad(() => fromHuggingFace({ json: { model: { type: 'WordPiece' } } }), /only byte-level "BPE"/);
    bad(
      () => fromHuggingFace({ json: { model: { type: 'BPE', vocab: {}, merges: [] } } }),
      /no ByteLevel step/,
    );
  });

  it('reject corrupt tokenizer JSON', async () => {
    await expect(
      tokenizerFromJSON({ type: 'bpe', version: 1, rule: 'ranks', tokens: [7] }),
    ).rejects.toThrow(/^tokenizer JSON: tokens\[0\] must be a base64 string/);
    await expect(tokenizerFromJSON({ type: 'nope' })).rejects.toThrow(VocabFormatError);
    await expect(tokenizerFromJSON('{')).rejects.toThrow(/not valid JSON/);
  });
});
