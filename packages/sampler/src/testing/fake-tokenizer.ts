import type { SamplerTokenizer } from '../types.js';

/** The fake tokenizer's EOT text. */
export const FAKE_EOT_TEXT = '<|endoftext|>';

/** The fake tokenizer's characters, in id order. */
export const FAKE_ALPHABET =
  ' abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:\'"()-';

/**
 * A character tokenizer for tests: id i is `FAKE_ALPHABET[i]` and the last id
 * (vocabSize − 1) is `<|endoftext|>`.
 */
export function createFakeTokenizer(vocabSize = 64): SamplerTokenizer & {
  readonly vocabSize: number;
  readonly name: string;
} {
  if (!Number.isInteger(vocabSize) || vocabSize < 2 || vocabSize > FAKE_ALPHABET.length + 1) {
    throw new RangeError(
      `createFakeTokenizer: vocabSize must be in [2, ${FAKE_ALPHABET.length + 1}].`,
    );
  }
  const eotToken = vocabSize - 1;
  const charOf = (id: number): string =>
    id === eotToken ? FAKE_EOT_TEXT : (FAKE_ALPHABET[id] as string);
  return {
    name: 'fake-char',
    vocabSize,
    eotToken,
    encode(text) {
      const ids: number[] = [];
      for (let i = 0; i < text.length; ) {
        if (text.startsWith(FAKE_EOT_TEXT, i)) {
          ids.push(eotToken);
          i += FAKE_EOT_TEXT.length;
          continue;
        }
        const id = FAKE_ALPHABET.indexOf(text[i] as string);
        if (id < 0 || id >= eotToken)
          throw new RangeError(`fake tokenizer: cannot encode ${JSON.stringify(text[i])}.`);
        ids.push(id);
        i++;
      }
      return ids;
    },
    decode: (ids) => Array.from(ids, charOf).join(''),
    createStreamDecoder: () => ({ push: charOf, flush: () => '' }),
  };
}
