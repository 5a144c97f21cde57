/**
 * What watching the WebGPU device for errors costs: the time to record
 * dispatches (the JS side of an op) and the time through a read, on the
 * watched backend of initBackend('webgpu') and on tfjs's stock backend over
 * the same adapter, interleaved in this one process. Dawn on whatever adapter
 * this machine has (SwiftShader on a CPU-only one).
 *
 *   pnpm --filter @gpt2/backends bench:webgpu-watch
 */
import { loadavg } from 'node:os';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, initBackend } from '../src/index.js';
import { createWebgpuBackend } from '../src/providers/webgpu.js';

const DISPATCHES = 1500;
const ROUNDS = 5;

/** Chains DISPATCHES elementwise ops on a 4,096-element tensor; returns [record ms, through read ms]. */
async function chain(): Promise<[number, number]> {
  const x = tf.fill([4096], 0.5);
  // Warm-up: the pipelines compile once.
  await tf.tidy(() => tf.add(tf.mul(x, 1.0001), 1e-4)).data();
  const start = performance.now();
  const y = tf.tidy(() => {
    let value = x;
    for (let i = 0; i < DISPATCHES / 2; i++) value = tf.add(tf.mul(value, 1.0001), 1e-4);
    return value;
  });
  const recorded = performance.now();
  await y.data();
  const done = performance.now();
  tf.dispose([x, y]);
  return [recorded - start, done - start];
}

/** Activate tfjs's own WebGPU backend, on a device with the same limits, with no watch. */
async function useStock(): Promise<void> {
  tf.removeBackend('webgpu');
  const gpu = (navigator as unknown as { gpu: GPU }).gpu;
  const adapter = (await gpu.requestAdapter())!;
  const limits: Record<string, number> = {};
  for (const name of [
    'maxStorageBuffersPerShaderStage',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
  ] as const) {
    limits[name] = adapter.limits[name];
  }
  const device = await adapter.requestDevice({ requiredLimits: limits });
  tf.registerBackend(
    'webgpu',
    () => new WebGPUBackend(device, (adapter as { info?: GPUAdapterInfo }).info),
    3,
  );
  await tf.setBackend('webgpu');
}

const info = await initBackend(createWebgpuBackend());
console.log(`backend: ${describeBackend(info)}`);
console.log(
  `load average: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const results = { watched: [] as [number, number][], stock: [] as [number, number][] };
for (let round = 0; round < ROUNDS; round++) {
  await useStock();
  results.stock.push(await chain());
  tf.removeBackend('webgpu');
  await initBackend(createWebgpuBackend());
  results.watched.push(await chain());
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const summary = (runs: [number, number][]) => ({
  record: (1000 * median(runs.map((r) => r[0]))) / DISPATCHES,
  total: (1000 * median(runs.map((r) => r[1]))) / DISPATCHES,
});
const stock = summary(results.stock);
const watched = summary(results.watched);
console.log(
  `${DISPATCHES} dispatches, median of ${ROUNDS} interleaved rounds, µs per dispatch:\n` +
    `  stock tfjs:  record ${stock.record.toFixed(1)}, through read ${stock.total.toFixed(1)}\n` +
    `  watched:     record ${watched.record.toFixed(1)}, through read ${watched.total.toFixed(1)}\n` +
    `  watched/stock: record ${(watched.record / stock.record).toFixed(2)}×, through read ${(watched.total / stock.total).toFixed(2)}×`,
);

// The watch's own work per queue submit (every 15 dispatches in tfjs): three
// error scopes popped and pushed again.
const device = (tf.backend() as unknown as { device: GPUDevice }).device;
const SUBMITS = 2000;
const pending: Promise<unknown>[] = [];
const scopesStart = performance.now();
for (let i = 0; i < SUBMITS; i++) {
  for (let j = 0; j < 3; j++) pending.push(device.popErrorScope());
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
}
const scopesRecorded = performance.now();
await Promise.all(pending);
console.log(
  `error scopes: ${((1000 * (scopesRecorded - scopesStart)) / SUBMITS).toFixed(1)} µs per submit to cycle 3 scopes, ${((1000 * (performance.now() - scopesStart)) / SUBMITS).toFixed(1)} µs until all resolved (${((1000 * (scopesRecorded - scopesStart)) / SUBMITS / 15).toFixed(2)} µs per dispatch at tfjs's 15 dispatches per submit)`,
);
console.log(
  `load average: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
process.exit(0);
