/**
 * A test page for the browser suite (built by vite.parity.config.ts, never
 * shipped): the full training step on webgpu in Chromium, against the
 * PyTorch fixtures of @gpt2/model, with the measures of the Node tests. It
 * returns numbers; webgpu.browser.test.ts holds the tolerances.
 */
import { describeBackend, initBackend, WebGpuError } from '@gpt2/backends';
import { evaluatePerplexity } from '@gpt2/eval';
import {
  configFromHF,
  GPT2Model,
  loadWeights,
  PRESETS,
  readSafetensors,
  type SafetensorsTensor,
} from '@gpt2/model';
import { compareCachedUncached } from '@gpt2/sampler/testing';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import { createTrainer, globalNorm, type StepEvent } from '@gpt2/trainer';
import * as tf from '@tensorflow/tfjs-core';

/** max|a - b| / max|b|, as in packages/model/src/parity.test.ts. */
function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return actual.length === expected.length ? diff / scale : Number.POSITIVE_INFINITY;
}

const relative = (value: number, expected: number) =>
  Math.abs(value - expected) / Math.abs(expected);

/**
 * A program the device rejects (64 KiB of workgroup memory, over every
 * adapter's limit): the forced validation error.
 */
class OversizedWorkgroupProgram {
  variableNames = ['x'];
  shaderKey = 'oversizedWorkgroup';
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(outputShape.reduce((a, b) => a * b, 1) / 64), 1, 1];
  }
  getUserCode(): string {
    return `
      var<workgroup> scratch: array<f32, 16384>;
      fn main(index: i32) {
        if (index < uniforms.size) {
          scratch[index % 16384] = getXByOutputIndex(index);
          setOutputAtIndex(index, scratch[index % 16384] + 1.0);
        }
      }`;
  }
}

async function forcedValidationError(): Promise<Record<string, unknown>> {
  const x = tf.tensor1d(Float32Array.from({ length: 100 }, (_, i) => i / 100));
  const backend = tf.backend() as unknown as {
    runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], dtype: string): tf.TensorInfo;
  };
  const bad = tf
    .engine()
    .makeTensorFromTensorInfo(
      backend.runWebGPUProgram(new OversizedWorkgroupProgram([100]), [x], 'float32'),
    );
  const y = tf.mul(x, 2);
  let outcome: Record<string, unknown> = { thrown: false };
  try {
    await y.data();
  } catch (error) {
    outcome = WebGpuError.isInstance(error)
      ? { thrown: true, kind: error.kind, programs: error.programs, message: error.message }
      : { thrown: true, kind: 'not a WebGpuError', message: String(error) };
  }
  // Thrown once: the next read is good.
  const z = tf.add(x, 1);
  const after = (await z.data())[99];
  tf.dispose([x, bad, y, z]);
  return { ...outcome, nextReadOk: Math.abs(after! - 1.99) < 1e-6 };
}

async function runWebGpuParity(fixtures: string) {
  const fetchBytes = async (name: string) =>
    new Uint8Array(await (await fetch(new URL(name, fixtures))).arrayBuffer());
  const info = await initBackend('webgpu');
  const started = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number) => {
    timings[name] = Math.round(performance.now() - since);
    return performance.now();
  };
  const config = configFromHF(await (await fetch(new URL('config.json', fixtures))).json());
  const weights = await fetchBytes('reference-model.safetensors');
  const io = readSafetensors(await fetchBytes('reference-io.safetensors'));
  const reference = (name: string): SafetensorsTensor => {
    const tensor = io.tensors.get(name);
    if (!tensor) throw new Error(`reference-io.safetensors has no ${name}`);
    return tensor;
  };
  const asIds = (name: string) => {
    const { shape, data } = reference(name);
    return tf.tensor2d(data as Int32Array, shape as [number, number], 'int32');
  };
  const tensorsBefore = tf.memory().numTensors;
  let t = performance.now();

  // Logits, loss, masked loss.
  const model = GPT2Model.create(config, { init: 'zeros' });
  await loadWeights(model, weights);
  const ids = asIds('ids');
  const targets = asIds('targets');
  const masked = asIds('targets_masked');
  const logits = model.forward(ids);
  const logitsError = scaledError(await logits.data(), reference('logits').data);
  const loss = model.loss(ids, targets);
  const lossError = relative((await loss.data())[0]!, reference('loss.f64').data[0]!);
  const maskedLoss = model.loss(ids, masked, { ignoreIndex: -1 });
  const maskedLossError = relative(
    (await maskedLoss.data())[0]!,
    reference('loss_masked.f64').data[0]!,
  );
  tf.dispose([logits, loss, maskedLoss, masked]);
  t = lap('forward', t);

  // Every gradient, and their global norm (the fixture's norm before the first AdamW step).
  const parameters = model.parameters();
  const { value, grads } = tf.variableGrads(
    () => model.loss(ids, targets),
    [...parameters.values()],
  );
  const gradientErrors: Record<string, number> = {};
  for (const [name, variable] of parameters) {
    const grad = grads[variable.name];
    gradientErrors[name] = grad
      ? scaledError(await grad.data(), reference(`grad.${name}`).data)
      : Number.POSITIVE_INFINITY;
  }
  const norm = globalNorm(Object.values(grads));
  const globalNormError = relative(
    (await norm.data())[0]!,
    reference('adamw.grad_norms.f64').data[0]!,
  );
  tf.dispose([value, norm, ...Object.values(grads)]);
  t = lap('gradients', t);

  // Ten clipped AdamW steps on the same batch, as the fixture did.
  const hyper = JSON.parse(io.metadata.adamw!) as Record<string, number>;
  const [B, T] = reference('ids').shape as [number, number];
  const events: StepEvent[] = [];
  const idsData = reference('ids').data as Int32Array;
  const targetsData = reference('targets').data as Int32Array;
  const trainer = createTrainer({
    model,
    train: {
      next: async () => ({ inputs: idsData, targets: targetsData, batchSize: B, blockSize: T }),
      getState: () => ({}),
      setState: () => undefined,
    },
    config: {
      maxSteps: hyper.steps!,
      schedule: { type: 'constant', lr: hyper.lr! },
      optimizer: {
        beta1: hyper.beta1!,
        beta2: hyper.beta2!,
        eps: hyper.eps!,
        weightDecay: hyper.weight_decay!,
      },
      gradClip: hyper.grad_clip!,
    },
    onEvent: (e) => {
      if (e.type === 'step') events.push(e);
    },
  });
  const result = await trainer.run();
  const expectedLosses = Array.from(reference('adamw.losses.f64').data);
  const expectedNorms = Array.from(reference('adamw.grad_norms.f64').data);
  const adamw = {
    losses: result.losses,
    lossErrors: result.losses.map((l, i) => relative(l, expectedLosses[i]!)),
    normErrors: events.map((e, i) => relative(e.gradNorm, expectedNorms[i]!)),
  };
  trainer.dispose();
  t = lap('adamw', t);

  // Strided perplexity, on fresh fixture weights.
  await loadWeights(model, weights);
  const meta = JSON.parse(io.metadata.ppl ?? '{}') as { stride?: number };
  const report = await evaluatePerplexity(
    model,
    { tokens: Array.from(reference('ppl.tokens').data) },
    { stride: meta.stride ?? 16, batchSize: 2 },
  );
  const referenceNll = reference('ppl.mean_nll').data[0]!;
  const perplexity = {
    meanNll: report.meanNll,
    reference: referenceNll,
    relativeError: relative(report.meanNll, referenceNll),
    numScored: report.numScored,
    expectedScored: reference('ppl.n_scored').data[0]!,
  };
  model.dispose();
  tf.dispose([ids, targets]);
  t = lap('perplexity', t);

  // Cached == uncached generation, past the context length (as sampler's webgpu test).
  const tokenizer = await gpt2Tokenizer();
  const small = GPT2Model.create({ ...PRESETS['gpt2-tiny'], nPositions: 6 }, { seed: 7 });
  // Warm-up: the model builds its constants (the causal mask) once; they are not leaks.
  await compareCachedUncached(small, tokenizer, [1, 2], {
    maxNewTokens: 2,
    seed: 1,
    stopTokenIds: [],
  });
  const cache = [];
  for (const options of [{ greedy: true }, { seed: 3, topK: 50 }]) {
    cache.push(
      await compareCachedUncached(small, tokenizer, [100, 200, 300], {
        ...options,
        maxNewTokens: 6,
        stopTokenIds: [],
      }),
    );
  }
  small.dispose();
  t = lap('cache', t);

  const forced = await forcedValidationError();
  lap('forced error', t);
  timings.total = Math.round(performance.now() - started);
  return {
    backend: describeBackend(info),
    limits: info.limits,
    logitsError,
    lossError,
    maskedLossError,
    gradientErrors,
    globalNormError,
    adamw,
    perplexity,
    cache,
    forced,
    leakedTensors: tf.memory().numTensors - tensorsBefore,
    timings,
  };
}

/** The report of one run, as the browser test reads it. */
export type WebGpuParityReport = Awaited<ReturnType<typeof runWebGpuParity>>;

(globalThis as unknown as { runWebGpuParity: typeof runWebGpuParity }).runWebGpuParity =
  runWebGpuParity;
document.body.dataset.ready = 'true';
