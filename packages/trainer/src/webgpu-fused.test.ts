/**
 * The model trains through @gpt2/backends' fused WGSL kernels on webgpu (Dawn
 * on SwiftShader in Node), against the PyTorch fixtures at the tolerances of
 * the cpu and wasm parity tests, with `pnpm test:long` (SwiftShader takes
 * seconds a step): logits, loss and every gradient; the first 5 of the
 * fixture's 10 clipped AdamW steps, with every contract the backend claims
 * running on its kernel (none falls back to its op chain) and nothing leaking;
 * and a dry run (`skipDispatches`, as `bench:webgpu` uses at 124M) that
 * records the same commands as the computed step. The default suite checks the
 * registration here; the kernels' conformance (@gpt2/backends) and, in
 * Chromium, the full-step parity page run on them by default.
 *
 * The global norm is summed with AddN over at most 7 tensors at a time: tfjs's
 * AddN over more breaks WebGPU's binding limit (issue 17; the chunked AddN of
 * the webgpu provider fixes it), and this test is about the fused kernels.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countWebGpuCommands, initBackend, trackPeakMemory } from '@gpt2/backends';
import {
  ADAMW_UPDATE,
  fallbacksOnClaimingBackends,
  GELU,
  GPT2_BLOCK,
  KERNEL_CONTRACTS,
  kernelDispatchCounts,
  resetKernelDispatchCounts,
} from '@gpt2/backends/kernels';
import { longTests, requireSoftwareWebGpu, scaledError } from '@gpt2/backends/testing';
import { createWebgpuBackend } from '@gpt2/backends/webgpu';
import { configFromHF, GPT2Model, loadWeights, readSafetensors } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './optimizer/adamw.js';
import { clipCoefficient } from './optimizer/clip.js';

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
const ready = requireSoftwareWebGpu({ swiftshaderPath });
const long = ready && longTests('training on the fused WGSL kernels against PyTorch');
const fixtures = fileURLToPath(new URL('../../model/src/__fixtures__/', import.meta.url));

/** The cpu/wasm parity tolerances (packages/model/src/parity.test.ts, gpt2.test.ts). */
const LOGITS_TOLERANCE = 1e-4;
const LOSS_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-3;
const ADAMW_LOSS_TOLERANCE = 1e-4;
const ADAMW_NORM_TOLERANCE = 1e-3;
const ADAMW_STEPS = 5;
/** SwiftShader on a loaded 2-core machine: seconds per step. */
const TIMEOUT = 240_000;

/** max|a − b| / max|b|. */
describe.runIf(ready)('training on the fused WGSL kernels (webgpu, SwiftShader)', () => {
  let model: GPT2Model;
  let io: ReturnType<typeof readSafetensors>;
  let ids: tf.Tensor2D;
  let targets: tf.Tensor2D;
  let kernels: string[];

  beforeAll(async () => {
    const info = await initBackend(createWebgpuBackend({ swiftshaderPath }));
    kernels = info.kernels;
    const config = configFromHF(JSON.parse(await readFile(join(fixtures, 'config.json'), 'utf8')));
    model = GPT2Model.create(config, { init: 'zeros' });
    await loadWeights(
      model,
      new Uint8Array(await readFile(join(fixtures, 'reference-model.safetensors'))),
    );
    io = readSafetensors(
      new Uint8Array(await readFile(join(fixtures, 'reference-io.safetensors'))),
    );
    const tensor = (name: string) => {
      const { data, shape } = io.tensors.get(name)!;
      return tf.tensor2d(data as Int32Array, shape as [number, number], 'int32');
    };
    ids = tensor('ids');
    targets = tensor('targets');
    resetKernelDispatchCounts();
  }, TIMEOUT);

  afterAll(() => {
    model?.dispose();
    tf.dispose([ids, targets]);
  });

  it('registers a fused kernel for every contract but the per-parameter AdamW and GPT2Block', () => {
    expect(kernels.sort()).toEqual(
      KERNEL_CONTRACTS.filter((contract) => contract !== ADAMW_UPDATE && contract !== GPT2_BLOCK)
        .map((contract) => contract.name)
        .sort(),
    );
  });

  it.runIf(long)(
    'logits, loss and every gradient match PyTorch',
    async () => {
      const logits = model.forward(ids);
      const logitsError = scaledError(await logits.data(), io.tensors.get('logits')!.data);
      logits.dispose();
      const before = tf.memory().numTensors;
      const parameters = model.parameters();
      const { value, grads } = tf.variableGrads(
        () => model.loss(ids, targets),
        [...parameters.values()],
      );
      const expectedLoss = io.tensors.get('loss.f64')!.data[0]!;
      const lossError = Math.abs((await value.data())[0]! - expectedLoss) / expectedLoss;
      let worst = { name: '', error: 0 };
      for (const [name, variable] of parameters) {
        const error = scaledError(
          await grads[variable.name]!.data(),
          io.tensors.get(`grad.${name}`)!.data,
        );
        if (error > worst.error) worst = { name, error };
      }
      tf.dispose([value, ...Object.values(grads)]);
      console.log(
        `fused WGSL kernels, PyTorch parity: logits ${logitsError.toExponential(2)}, loss ${lossError.toExponential(2)}, worst gradient ${worst.error.toExponential(2)} (${worst.name})`,
      );
      expect(logitsError).toBeLessThanOrEqual(LOGITS_TOLERANCE);
      expect(lossError).toBeLessThanOrEqual(LOSS_TOLERANCE);
      expect(worst.error, worst.name).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
      expect(tf.memory().numTensors).toBe(before);
    },
    TIMEOUT,
  );

  it.runIf(long)(
    `${ADAMW_STEPS} clipped AdamW steps match torch.optim.AdamW, every claimed kernel runs, nothing leaks`,
    async () => {
      const hyper = JSON.parse(io.metadata.adamw!) as Record<string, number>;
      const expected = Array.from(io.tensors.get('adamw.losses.f64')!.data);
      const expectedNorms = Array.from(io.tensors.get('adamw.grad_norms.f64')!.data);
      const parameters = model.parameters();
      const optimizer = new AdamW(parameters, {
        beta1: hyper.beta1!,
        beta2: hyper.beta2!,
        eps: hyper.eps!,
        weightDecay: hyper.weight_decay!,
      });
      resetKernelDispatchCounts();
      const losses: number[] = [];
      const norms: number[] = [];
      let tensors = 0;
      for (let step = 0; step < ADAMW_STEPS; step++) {
        const { value, grads } = tf.variableGrads(
          () => model.loss(ids, targets),
          [...parameters.values()],
        );
        const squares = tf.tidy(() => {
          let sums = [...parameters.values()].map((v) => tf.sum(tf.square(grads[v.name]!)));
          // AddN of at most 7 tensors a time: 8 storage buffers with its output.
          while (sums.length > 1) {
            const chunks: tf.Tensor[] = [];
            for (let i = 0; i < sums.length; i += 7) chunks.push(tf.addN(sums.slice(i, i + 7)));
            sums = chunks;
          }
          return sums[0]!;
        });
        const norm = Math.sqrt((await squares.data())[0]!);
        losses.push((await value.data())[0]!);
        norms.push(norm);
        optimizer.apply(
          new Map([...parameters].map(([name, v]) => [name, grads[v.name]!])),
          hyper.lr!,
          clipCoefficient(norm, hyper.grad_clip!),
        );
        tf.dispose([value, ...Object.values(grads), squares]);
        if (step === 1) tensors = tf.memory().numTensors;
        if (step > 1)
          expect(tf.memory().numTensors, `tensors after step ${step + 1}`).toBe(tensors);
      }
      optimizer.dispose();
      const lossError = Math.max(
        ...losses.map((l, i) => Math.abs(l - expected[i]!) / expected[i]!),
      );
      const normError = Math.max(
        ...norms.map((n, i) => Math.abs(n - expectedNorms[i]!) / expectedNorms[i]!),
      );
      console.log(
        `fused WGSL kernels, ${ADAMW_STEPS} AdamW steps: max loss rel. error ${lossError.toExponential(2)}, max grad-norm rel. error ${normError.toExponential(2)}`,
      );
      expect(lossError).toBeLessThan(ADAMW_LOSS_TOLERANCE);
      expect(normError).toBeLessThan(ADAMW_NORM_TOLERANCE);
      expect(fallbacksOnClaimingBackends()).toEqual([]);
      const used = kernelDispatchCounts().filter((c) => c.backend === 'webgpu' && c.viaKernel > 0);
      // GELU runs inside MatMulBiasGelu in the model; its own kernel serves other callers.
      expect(used.map((c) => c.kernel).sort()).toEqual(
        kernels.filter((name) => name !== GELU.name).sort(),
      );
    },
    TIMEOUT,
  );

  it.runIf(long)(
    'a dry run records the commands and tensors of the computed step',
    async () => {
      const step = async () => {
        const { value, grads } = tf.variableGrads(() => model.loss(ids, targets));
        const optimizer = new AdamW(model.parameters());
        optimizer.apply(
          new Map([...model.parameters()].map(([name, v]) => [name, grads[v.name]!])),
          1e-3,
        );
        await value.data();
        tf.dispose([value, ...Object.values(grads)]);
        optimizer.dispose();
      };
      const measureStep = async (skipDispatches: boolean) => {
        const counter = countWebGpuCommands({ skipDispatches });
        const memory = trackPeakMemory();
        try {
          await step();
          return { ...counter.counts, ...memory.peak() };
        } finally {
          memory.stop();
          counter.stop();
        }
      };
      await step(); // pipelines
      const computed = await measureStep(false);
      const dry = await measureStep(true);
      expect(computed.dispatches).toBeGreaterThan(0);
      expect(dry).toEqual(computed);
    },
    TIMEOUT,
  );
});
