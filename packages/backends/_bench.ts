import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './src/index.js';

for (const threads of [1, 2]) {
  await initBackend('native', { env: {}, blasThreads: threads });
  const a = tf.randomNormal([16, 128, 128]);
  const b = tf.randomNormal([16, 128, 128]);
  const w = tf.randomNormal([128, 384]);
  const x2 = tf.randomNormal([2048, 128]);
  const time = (name: string, f: () => tf.Tensor, n = 50) => {
    for (let i = 0; i < 3; i++) f().dispose();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f().dispose();
    console.log(threads, name, (((performance.now() - t0) / n) * 1000).toFixed(0), 'us');
  };
  time('mul', () => tf.mul(a, b));
  time('exp', () => tf.exp(a));
  time('matmul 2048x128x384', () => tf.matMul(x2, w));
  time('alloc only', () => tf.tensor(new Float32Array(16 * 128 * 128), [16, 128, 128]));
  const be = tf.backend() as any;
  time('raw alloc', () => {
    be.allocate('float32', 262144);
    return tf.scalar(1);
  });
}
