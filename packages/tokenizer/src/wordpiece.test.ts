import { loadBrownCorpus } from '@gpt2/corpora';
import { describe, expect, it } from 'vitest';
import { tokenizerFromJSON } from './tokenizer-json.js';
import { bertPreTokenize, trainWordPiece, WordPieceTokenizer } from './wordpiece.js';

describe('WordPiece', () => {
  const vocab = [
    '[PAD]',
    '[UNK]',
    '[CLS]',
    '[SEP]',
    'un',
    '##aff',
    '##able',
    'play',
    '##ing',
    ',',
    'the',
  ];
  const tok = new WordPieceTokenizer({ vocab });

  it('splits greedily with ## continuations and [UNK]', () => {
    expect(bertPreTokenize('Héllo, World!', true)).toEqual(['hello', ',', 'world', '!']);
    expect(tok.encode('Unaffable, playing the xyz')).toEqual([4, 5, 6, 9, 7, 8, 10, 1]);
    expect(tok.decode([4, 5, 6, 9, 7, 8])).toBe('unaffable , playing');
    expect(tok.encode('[CLS] play [SEP]', { allowedSpecial: 'all' })).toEqual([2, 7, 3]);
    expect(() => tok.encode('[CLS]')).toThrow(/disallowed/);
    expect(() => tok.decode([11])).toThrow(RangeError);
    const stream = tok.createStreamDecoder();
    expect([7, 8, 10].map((id) => stream.push(id)).join('')).toBe('playing the');
  });

  it('trains from a corpus, deterministically, and saves to JSON', async () => {
    const texts = (await loadBrownCorpus()).slice(0, 40).map((d) => d.text);
    const trained = await trainWordPiece(texts, { vocabSize: 2000 });
    expect(trained.vocabSize).toBe(2000);
    const sample = texts[0]!.slice(0, 2000);
    const ids = trained.encode(sample);
    expect(ids).not.toContain(trained.unkId);
    const words = bertPreTokenize(sample, true);
    expect(ids.length).toBeLessThan(words.join('').length / 2.5);
    // Decoding joins pieces; without spacing information it equals the pre-tokenized words.
    expect(trained.decode(ids).split(' ')).toEqual(words);
    const again = await trainWordPiece(texts, { vocabSize: 2000 });
    expect(again.vocab).toEqual(trained.vocab);
    const loaded = await tokenizerFromJSON(JSON.parse(JSON.stringify(trained.toJSON())));
    expect(loaded.encode(sample)).toEqual(ids);
    expect(WordPieceTokenizer.fromVocabTxt(trained.vocab.join('\n')).encode(sample)).toEqual(ids);
  });
});
