import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const b = require('./native/build/gpt2_blas.node');
const n = 262144;
const x = new Float32Array(n).map(() => Math.random()),
  y = new Float32Array(n).map(() => Math.random());
const plan = Float64Array.from([1, n, 1, 1]);
const fixed = new Float32Array(n);
for (const threads of [1, 2]) {
  b.setPoolThreads(threads);
  const time = (name, f, k = 300) => {
    for (let i = 0; i < 5; i++) f();
    const t0 = performance.now();
    for (let i = 0; i < k; i++) f();
    console.log(threads, name, (((performance.now() - t0) / k) * 1000).toFixed(1), 'us');
  };
  time('mul fixed out', () => b.binary(2, x, y, fixed, plan));
  time('mul unsafeSlow + release', () => {
    const o = new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer);
    b.binary(2, x, y, o, plan);
    b.release(o);
  });
  time('mul unsafeSlow, gc', () => {
    const o = new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer);
    b.binary(2, x, y, o, plan);
  });
  time('mul new F32 + release', () => {
    const o = new Float32Array(n);
    b.binary(2, x, y, o, plan);
    b.release(o);
  });
}
