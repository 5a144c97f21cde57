import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.js';
import { trackMemory } from './track-memory.js';

describe.each(['cpu', 'wasm'] as const)('trackMemory on %s', (name) => {
  it('counts each buffer once, its release, and the peak', async () => {
    await initBackend(name);
    const tracker = trackMemory();
    const start = tracker.liveBytes;
    const a = tf.zeros([1000]); // 4,000 bytes
    const shared = tf.clone(a); // the same buffer
    expect(tracker.liveBytes - start).toBe(4000);
    const b = tf.tidy(() => tf.add(tf.mul(a, 2), 1)); // a temporary of 4,000 bytes, then b
    expect(tracker.liveBytes - start).toBe(8000);
    expect(tracker.peakBytes - start).toBeGreaterThanOrEqual(12_000);
    tf.dispose([a, shared, b]);
    expect(tracker.liveBytes).toBe(start);
    tracker.resetPeak();
    expect(tracker.peakBytes).toBe(start);
    tracker.stop();
  });
});
