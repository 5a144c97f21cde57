import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const b = require('./native/build/gpt2_blas.node');
const n = 262144;
const x = new Float32Array(n).map(() => Math.random()),
  y = new Float32Array(n).map(() => Math.random()),
  o = new Float32Array(n);
const plan = Float64Array.from([1, n, 1, 1]);
const A = new Float32Array(2048 * 128).fill(0.5),
  W = new Float32Array(128 * 384).fill(0.25),
  C = new Float32Array(2048 * 384);
for (const threads of [1, 2]) {
  b.setPoolThreads(threads);
  const time = (name, f, k = 200) => {
    for (let i = 0; i < 5; i++) f();
    const t0 = performance.now();
    for (let i = 0; i < k; i++) f();
    console.log(threads, name, (((performance.now() - t0) / k) * 1000).toFixed(1), 'us');
  };
  time('mul', () => b.binary(2, x, y, o, plan));
  time('exp', () => b.unary(1, x, o));
  time('sigmoid', () => b.unary(3, x, o));
  time('tanh', () => b.unary(4, x, o));
  time('log', () => b.unary(2, x, o));
  time(
    'matmul',
    () => b.matmul(A, W, C, 1, 2048, 384, 128, false, false, null, null, null, false),
    50,
  );
}
