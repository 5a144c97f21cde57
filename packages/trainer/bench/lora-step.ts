/**
 * Child process of the LoRA benchmark (bench/lora.ts): fine-tunes a preset
 * (gpt2 124M by default; random weights at the real shapes) for a few steps,
 * fully or with LoRA, and prints one JSON line. One process per run, so that
 * each peak RSS is its own.
 *
 * Usage: tsx --conditions=@gpt2/source bench/lora-step.ts '<json>' with
 * { mode: 'full' | 'lora', batch, context, warmup, steps, r, alpha, targets, backend, preset? }.
 */
import { describeBackend, initBackend } from '@gpt2/backends';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { addLora, countParameters, GPT2Model, loraFootprint, PRESETS } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, type StepEvent } from '../src/index.js';

interface Job {
  mode: 'full' | 'lora';
  batch: number;
  context: number;
  warmup: number;
  steps: number;
  r: number;
  alpha: number;
  targets: string[];
  backend: string;
  /** A preset name. Default `gpt2`. */
  preset?: keyof typeof PRESETS;
}

const job = JSON.parse(process.argv[2]!) as Job;
const info = await initBackend(job.backend as 'auto');
const config = { ...PRESETS[job.preset ?? 'gpt2'], nPositions: Math.max(job.context, 1024) };
const initStart = performance.now();
const model = GPT2Model.create(config, { seed: 1 });
const initSeconds = (performance.now() - initStart) / 1000;
const lora =
  job.mode === 'lora'
    ? addLora(model, { r: job.r, alpha: job.alpha, targets: job.targets })
    : undefined;
// A random token stream: speed and memory do not depend on the text.
let state = 12345;
const tokens = Int32Array.from({ length: 200_000 }, () => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state % config.vocabSize;
});
const steps: StepEvent[] = [];
const trainer = createTrainer({
  model: lora ?? model,
  train: createBatchSampler(tokenDatasetFromArray(tokens), {
    batchSize: job.batch,
    blockSize: job.context,
  }),
  config: {
    maxSteps: job.warmup + job.steps,
    evalAtStart: false,
    schedule: { type: 'constant', lr: job.mode === 'lora' ? 2e-4 : 3e-5 },
  },
  onEvent: (event) => event.type === 'step' && steps.push(event),
});
await trainer.run();
const timed = steps.slice(job.warmup);
const msPerStep =
  timed.reduce((sum, e) => sum + (e.tokens * 1000) / e.tokensPerSecond, 0) / timed.length;
const trainable = lora ? lora.trainableParameterCount() : countParameters(config);
process.stdout.write(
  `${JSON.stringify({
    mode: job.mode,
    preset: job.preset ?? 'gpt2',
    backend: describeBackend(info),
    initSeconds,
    batch: job.batch,
    context: job.context,
    trainableParameters: trainable,
    totalParameters: countParameters(config),
    msPerStep,
    tokensPerSecond: (job.batch * job.context * 1000) / msPerStep,
    losses: steps.map((e) => e.loss),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    tensorBytesAfterMiB: tf.memory().numBytes / 2 ** 20,
    footprint: lora
      ? loraFootprint(config, { r: job.r, alpha: job.alpha, targets: job.targets })
      : null,
  })}\n`,
);
trainer.dispose();
lora?.dispose();
model.dispose();
