import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char-tokenizer.js';
import { tokenizerFromJSON } from './tokenizer-json.js';

describe('CharTokenizer', () => {
  it('builds its alphabet from a corpus and round-trips', async () => {
    const tok = await CharTokenizer.fromCorpus(['hello world', 'héllo 👍<|endoftext|>']);
    expect(tok.chars).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w', 'é', '👍']);
    expect(tok.vocabSize).toBe(11);
    expect(tok.eotToken).toBe(10);
    expect(tok.encode('hello')).toEqual([3, 2, 4, 4, 5]);
    expect(tok.encode('👍<|endoftext|>', { allowedSpecial: 'all' })).toEqual([9, 10]);
    expect(tok.decode(tok.encode('héllo 👍'))).toBe('héllo 👍');
    const stream = tok.createStreamDecoder();
    expect([9, 10].map((id) => stream.push(id)).join('') + stream.flush()).toBe('👍<|endoftext|>');
    const again = await tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(again.encode('world')).toEqual(tok.encode('world'));
  });

  it('rejects unknown characters unless it has an unknown character', () => {
    const tok = new CharTokenizer({ chars: 'ab?' });
    expect(() => tok.encode('abc')).toThrow(/"c" \(U\+0063\) is not in the alphabet/);
    expect(new CharTokenizer({ chars: 'ab?', unknown: '?' }).encode('abc')).toEqual([0, 1, 2]);
    expect(() => tok.decode([3])).toThrow(RangeError);
    expect(() => tok.encode(1 as unknown as string)).toThrow(TypeError);
    expect(() => new CharTokenizer({ chars: 'aa' })).toThrow(RangeError);
  });
});
