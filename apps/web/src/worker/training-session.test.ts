import { describe, expect, it } from 'vitest';
import { splitTokens, TrainingSession } from './training-session.js';

const settings = {
  nLayer: 1,
  nEmbd: 8,
  nHead: 1,
  blockSize: 4,
  batchSize: 1,
  learningRate: 1e-3,
  maxSteps: 1,
  evalInterval: 1,
  tokenizer: 'char' as const,
  bpeVocabSize: 300,
  seed: 1,
};

describe('splitTokens', () => {
  it('holds out the tail for validation, at least one window long', () => {
    const ids = Array.from({ length: 100 }, (_, i) => i);
    const { train, val } = splitTokens(ids, 4, 0.1);
    expect(train.length).toBe(90);
    expect(Array.from(val)).toEqual(ids.slice(90));
    expect(splitTokens(ids, 20, 0.1).val.length).toBe(21);
  });

  it('says how much text is needed when there is too little', () => {
    expect(() => splitTokens([1, 2, 3, 4, 5, 6, 7], 4)).toThrow(/too short: 7 tokens.*at least 10/);
  });
});

describe('TrainingSession', () => {
  it('rejects empty text with a TypeError', () => {
    expect(() => new TrainingSession('   ', settings)).toThrow(TypeError);
  });

  it('ignores controls before it runs', () => {
    const session = new TrainingSession('abc', settings);
    expect(session.control('pause')).toBe('idle');
    expect(session.isActive).toBe(false);
  });
});
