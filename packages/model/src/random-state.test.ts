import { initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { GPT2Model } from './model.js';

describe('GPT2Model random state', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('restoring the dropout state replays the same masks', async () => {
    const config = resolveConfig({
      preset: 'gpt2-tiny',
      embdPdrop: 0.2,
      attnPdrop: 0.2,
      residPdrop: 0.2,
    });
    const model = GPT2Model.create(config, { seed: 7 });
    const ids = [[1, 2, 3, 4, 5, 6]];
    const loss = () => tf.tidy(() => model.loss(ids, ids, { training: true }).dataSync()[0]!);
    loss();
    const state = model.getRandomState();
    const first = loss();
    const second = loss();
    expect(second).not.toBe(first); // fresh masks each call
    model.setRandomState(state);
    expect(loss()).toBe(first);
    expect(() => model.setRandomState({ dropoutCalls: -1 })).toThrow(TypeError);
    model.dispose();
  });
});
