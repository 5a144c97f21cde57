/**
 * Where one decode token goes, on the native backend: a gpt2 (124M)-shaped
 * model (the generation bench's ONNX export folder, or any model folder),
 * after a prompt, 40 tokens. Per token: the forward pass (wall), the
 * GPT2Block kernels, the head GEMV and the other kernels (tf.profile, every
 * fourth token), the logits' read-back and the sampler's JS (argmax,
 * log-sum-exp). Two copies of the model run token by token, one left on
 * 4 KiB pages (hugePageBytes' move skipped) and one moved onto 2 MiB pages,
 * so both columns see the same load.
 *
 * Run: pnpm --filter @gpt2/sampler exec tsx --conditions=@gpt2/source bench/decode-profile.ts
 *   [folder] [threads] [prompt length]   (needs ~1.2 GB; under `flock /tmp/gpt2-heavy.lock` on a shared machine)
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { GPT2_BLOCK } from '@gpt2/backends/kernels';
import { createNativeBackend } from '@gpt2/backends/native';
import { loadModelFolder } from '@gpt2/model/node';
import * as tf from '@tensorflow/tfjs-core';
import { argmax, logSumExp } from '../src/index.js';

const dir = process.argv[2] ?? join(tmpdir(), 'gpt2-bench-onnx', '12x768h12v50257p1024');
const threads = Number(process.argv[3] ?? 1);
const promptLength = Number(process.argv[4] ?? 16);
const TOKENS = 40;

await initBackend(createNativeBackend({ threads }));
// The first model stays on 4 KiB pages: skip the backend's move while it runs.
const backend = tf.backend() as unknown as { streamed(values: unknown): void };
const move = backend.streamed.bind(backend);
let huge = false;
backend.streamed = (values) => {
  if (huge) move(values);
};
const models = [await loadModelFolder(dir), await loadModelFolder(dir)];
const V = models[0]!.config.vocabSize;
const caches = models.map((m) => m.createKVCache(1));
const prompt = Array.from({ length: promptLength }, (_, i) => (i * 7919) % V);
const label = (i: number) => (i === 1 ? '2 MiB pages' : '4 KiB pages');
for (const [i, model] of models.entries()) {
  huge = i === 1;
  const ids = tf.tensor2d(prompt, [1, promptLength], 'int32');
  const start = performance.now();
  tf.dispose(model.forward(ids, { cache: caches[i], lastPositionOnly: true }));
  ids.dispose();
  console.log(
    `${label(i)}: first call (prefill ${promptLength}${huge ? ', weights moved' : ''}) ${(performance.now() - start).toFixed(0)} ms`,
  );
}

const rows: Record<string, number[]>[] = [{}, {}];
const record = (i: number, phase: string, ms: number) => {
  const row = rows[i]!;
  row[phase] = [...(row[phase] ?? []), ms];
};
for (let step = 0; step < TOKENS; step++) {
  for (const [i, model] of models.entries()) {
    huge = i === 1;
    const cache = caches[i]!;
    const x = tf.tensor2d([(step * 31 + 3) % V], [1, 1], 'int32');
    const t0 = performance.now();
    const logits = model.forward(x, { cache, lastPositionOnly: true });
    const t1 = performance.now();
    const values = logits.dataSync() as Float32Array;
    const t2 = performance.now();
    const token = argmax(values);
    const t3 = performance.now();
    logSumExp(values, values[token]);
    const t4 = performance.now();
    tf.dispose([x, logits]);
    record(i, 'forward (wall)', t1 - t0);
    record(i, 'read-back', t2 - t1);
    record(i, 'argmax (JS)', t3 - t2);
    record(i, 'log-sum-exp (JS)', t4 - t3);
    if (step % 4 === 0) {
      const next = tf.tensor2d([token], [1, 1], 'int32');
      const profile = await tf.profile(() =>
        model.forward(next, { cache, lastPositionOnly: true }),
      );
      let blocks = 0;
      let head = 0;
      let other = 0;
      for (const kernel of profile.kernels) {
        const ms = kernel.kernelTimeMs as number;
        if (kernel.name === GPT2_BLOCK.name) blocks += ms;
        else if (kernel.name === 'BatchMatMul') head += ms;
        else other += ms;
      }
      record(i, 'GPT2Block kernels', blocks);
      record(i, 'head GEMV kernel', head);
      record(i, `other kernels (${profile.kernels.length - 13})`, other);
      next.dispose();
      tf.dispose(profile.result);
    }
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1] as number;
const cell = (a: number[]) => `${median(a).toFixed(2)} (${Math.min(...a).toFixed(2)})`;
console.log(
  `\n${threads} thread(s), prompt ${promptLength}: ms per decode token, median (min) of ${TOKENS}; ${label(0)} | ${label(1)}`,
);
for (const phase of Object.keys(rows[0]!)) {
  console.log(`  ${phase.padEnd(24)} ${cell(rows[0]![phase]!)} | ${cell(rows[1]![phase]!)}`);
}
for (const model of models) model.dispose();
for (const cache of caches) cache.dispose();
