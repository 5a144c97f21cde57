import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from './init-backend.js';

describe("tfjs's console messages", () => {
  afterEach(() => vi.restoreAllMocks());

  it('are silent by default: no "running TensorFlow.js in Node.js" banner on the cpu backend', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    vi.spyOn(console, 'warn').mockImplementation(capture);
    vi.spyOn(console, 'log').mockImplementation(capture);
    vi.spyOn(console, 'info').mockImplementation(capture);
    await initBackend('cpu');
    // The banner comes with the cpu backend's first tensor.
    tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync());
    await initBackend('cpu'); // switching again: no "already registered" notices either
    expect(lines.filter((line) => /TensorFlow\.js|already|registered/i.test(line))).toEqual([]);
    expect(tf.env().getBool('PROD')).toBe(true);
  });

  it('are left to tfjs with tfjsLogs: true', async () => {
    tf.env().set('PROD', false);
    await initBackend('cpu', { tfjsLogs: true });
    expect(tf.env().getBool('PROD')).toBe(false);
  });
});
