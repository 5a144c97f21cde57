import { loadBrownCorpusText } from '@gpt2/corpora';
import { describe, expect, it } from 'vitest';
import { createRandom, EDGE_CASES, randomText } from './__fixtures__/fuzz.js';
import { createPreTokenizer, GPT2_PATTERN } from './pre-tokenizer.js';

// GPT-2's regex with tiktoken's (Rust) `\s`: the oracle for the hand-written scanner.
const WS =
  '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const oracle = new RegExp(
  GPT2_PATTERN.replaceAll('[^\\s', `[^${WS.slice(1, -1)}`)
    .replaceAll('\\s+', `${WS}+`)
    .replaceAll('\\S', `[^${WS.slice(1, -1)}]`),
  'gu',
);

function scan(text: string): string[] {
  const pieces: string[] = [];
  createPreTokenizer().split(text, (s, e) => pieces.push(text.slice(s, e)));
  return pieces;
}

describe('GPT-2 pre-tokenizer scanner', () => {
  it('splits like the regex on the Brown corpus', async () => {
    const text = await loadBrownCorpusText();
    expect(text).not.toContain('\u0001');
    // Joined with a separator absent from the text: equal strings mean equal boundaries, and compare fast.
    expect(scan(text).join('\u0001')).toBe(text.match(oracle)!.join('\u0001'));
  });

  it('splits like the regex on edge cases and 10,000 fuzzed strings', () => {
    for (const text of EDGE_CASES) expect(scan(text)).toEqual(text.match(oracle) ?? []);
    const random = createRandom(99);
    for (let i = 0; i < 10_000; i++) {
      const text = randomText(random);
      expect(scan(text)).toEqual(text.match(oracle) ?? []);
    }
  });

  it('splits contractions and whitespace as GPT-2 does', () => {
    expect(scan("I'm sure they'll   go\n\n x")).toEqual([
      'I',
      "'m",
      ' sure',
      ' they',
      "'ll",
      '  ',
      ' go',
      '\n\n',
      ' x',
    ]);
    expect(scan("DON'T 'Re")).toEqual(['DON', "'", 'T', " '", 'Re']);
  });

  it('runs custom patterns as regexes and rejects invalid ones', () => {
    const words = createPreTokenizer('\\p{L}+|\\d');
    const pieces: string[] = [];
    words.split('ab 12 c', (s, e) => pieces.push('ab 12 c'.slice(s, e)));
    expect(pieces).toEqual(['ab', '1', '2', 'c']);
    expect(() => createPreTokenizer('(')).toThrow(TypeError);
  });
});
