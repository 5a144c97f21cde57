import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { initBackend } from '../init-backend.js';
import { registerTfjsGradients, TFJS_CORE_GRADIENT_COUNT } from './register.js';

describe("tfjs-core's gradients, bundled", () => {
  it('are registered once, by initBackend, without overriding any', async () => {
    expect(tf.getGradient('Sum')).toBeUndefined(); // tfjs-core's Node build registers none
    const warn = vi.spyOn(console, 'warn');
    await initBackend('cpu', { tfjsLogs: true });
    expect(TFJS_CORE_GRADIENT_COUNT).toBeGreaterThan(100);
    for (const name of ['Sum', 'GatherV2', 'BatchMatMul', 'Softmax', 'LogSoftmax', 'Conv2D']) {
      expect(tf.getGradient(name), name).toBeDefined();
    }
    expect(registerTfjsGradients()).toBe(0);
    await initBackend('wasm');
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('compute on the shared tfjs-core, including a bundled backprop op (conv2d)', async () => {
    await initBackend('cpu');
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const w = tf.tensor4d([1, 0, 0, 1], [2, 2, 1, 1]);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')),
    )([x, w]);
    expect(Array.from(dx!.dataSync())).toEqual([1, 1, 0, 1, 2, 1, 0, 1, 1]);
    expect(Array.from(dw!.dataSync())).toEqual([12, 16, 24, 28]);
    tf.dispose([x, w, dx!, dw!]);
  });

  it('are the bundle that scripts/bundle-gradients.mjs writes from the installed tfjs-core', () => {
    const script = new URL('../../scripts/bundle-gradients.mjs', import.meta.url);
    expect(
      execFileSync(process.execPath, [script.pathname, '--check'], { encoding: 'utf8' }),
    ).toMatch(/is up to date/);
  });
});
