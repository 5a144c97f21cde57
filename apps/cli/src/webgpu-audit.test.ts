/**
 * The WebGPU kernel audit: every tfjs kernel, and the WebGPU program behind
 * it, that training (clipping, accumulation, dropout, evaluation), sampling
 * (cached and uncached, top-k/top-p/penalties, beam search) and evaluation
 * (strided perplexity, continuation scores) dispatch, with the most storage
 * buffers each binds. On WebGPU's default limits (8 per stage) every
 * dispatch must fit; a kernel that does not would otherwise be rejected by
 * the device and return garbage. Dawn on SwiftShader, gated like every
 * WebGPU test; the table is printed for docs (packages/backends/README.md).
 */
import { initBackend } from '@gpt2/backends';
import { requireSoftwareWebGpu } from '@gpt2/backends/testing';
import { createWebgpuBackend, observeWebGpuDispatches } from '@gpt2/backends/webgpu';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { evaluatePerplexity, scoreContinuations } from '@gpt2/eval';
import { GPT2Model, resolveConfig } from '@gpt2/model';
import { generateText } from '@gpt2/sampler';
import { createFakeTokenizer } from '@gpt2/sampler/testing';
import { createTrainer } from '@gpt2/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
const ready = requireSoftwareWebGpu({ swiftshaderPath });

interface ProgramUse {
  kernels: Set<string>;
  dispatches: number;
  storageBuffers: number;
  largestBinding: number;
  workloads: Set<string>;
}

describe.runIf(ready)('WebGPU kernel audit (Dawn on SwiftShader, default limits)', () => {
  const uses = new Map<string, ProgramUse>();
  const restore: tf.KernelConfig[] = [];
  const restoreFlags: (() => void)[] = [];
  let kernel = '';
  let workload = '';

  afterAll(async () => {
    for (const reset of restoreFlags) reset();
    for (const config of restore) {
      tf.unregisterKernel(config.kernelName, 'webgpu');
      tf.registerKernel(config);
    }
    await initBackend('cpu');
  });

  it('every program that train, sample and eval dispatch binds at most 8 storage buffers', {
    timeout: 300_000,
  }, async () => {
    const info = await initBackend(createWebgpuBackend({ swiftshaderPath, limits: 'default' }));
    const limit = info.limits!.maxStorageBuffersPerShaderStage;
    expect(limit).toBe(8);
    // tfjs runs small ops whose inputs are still on the CPU there; at real sizes they run on
    // the GPU, so the audit sends everything to the GPU.
    const cpuForward = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    restoreFlags.push(() => tf.env().set('WEBGPU_CPU_FORWARD', cpuForward));
    // Name the kernel behind each program: wrap every webgpu kernel for the audit.
    for (const config of tf.getKernelsForBackend('webgpu')) {
      restore.push(config);
      tf.unregisterKernel(config.kernelName, 'webgpu');
      tf.registerKernel({
        ...config,
        kernelFunc: (args) => {
          const outer = kernel;
          kernel = config.kernelName;
          try {
            return config.kernelFunc(args);
          } finally {
            kernel = outer;
          }
        },
      });
    }
    const stop = observeWebGpuDispatches(tf.backend(), (d) => {
      const use = uses.get(d.program) ?? {
        kernels: new Set<string>(),
        dispatches: 0,
        storageBuffers: 0,
        largestBinding: 0,
        workloads: new Set<string>(),
      };
      use.kernels.add(kernel || '(direct)');
      use.dispatches++;
      use.storageBuffers = Math.max(use.storageBuffers, d.storageBuffers);
      use.largestBinding = Math.max(use.largestBinding, d.largestBinding);
      use.workloads.add(workload);
      uses.set(d.program, use);
    });
    try {
      const V = 48;
      const config = resolveConfig({
        preset: 'gpt2-tiny',
        vocabSize: V,
        nPositions: 8,
        nEmbd: 16,
        nLayer: 2,
        nHead: 2,
        embdPdrop: 0.1,
        residPdrop: 0.1,
        attnPdrop: 0.1,
      });
      const stream = Array.from({ length: 400 }, (_, i) => (i * 7 + (i >> 3)) % V);
      const model = GPT2Model.create(config, { seed: 9 });

      workload = 'train';
      const trainer = createTrainer({
        model,
        train: createBatchSampler(tokenDatasetFromArray(stream.slice(0, 300)), {
          batchSize: 2,
          blockSize: 8,
        }),
        val: createBatchSampler(tokenDatasetFromArray(stream.slice(300)), {
          batchSize: 2,
          blockSize: 8,
        }),
        config: {
          maxSteps: 2,
          gradientAccumulationSteps: 2,
          gradClip: 1,
          evalInterval: 2,
          evalBatches: 1,
          schedule: { type: 'constant', lr: 1e-3 },
        },
      });
      await trainer.run();
      trainer.dispose();

      workload = 'sample';
      const tokenizer = createFakeTokenizer(V);
      for (const options of [
        { useCache: true, topK: 5, topP: 0.9, temperature: 0.8, repetitionPenalty: 1.2 },
        { useCache: false, greedy: true },
        { useCache: true, numBeams: 2 },
      ]) {
        await generateText(model, tokenizer, [1, 2, 3], {
          ...options,
          seed: 1,
          maxNewTokens: 7,
          stopTokenIds: [],
        });
      }

      workload = 'eval';
      await evaluatePerplexity(model, { tokens: stream.slice(0, 30) }, { stride: 4, batchSize: 2 });
      await scoreContinuations(model, [
        { context: [1, 2, 3], continuation: [4, 5] },
        { context: [6], continuation: [7, 8, 9] },
      ]);
      model.dispose();
    } finally {
      stop();
    }

    const rows = [...uses].sort((a, b) => b[1].storageBuffers - a[1].storageBuffers);
    console.log(
      [
        `WebGPU kernel audit (${rows.length} programs, device limit ${limit} storage buffers per stage):`,
        '| program | tfjs kernels | storage buffers (max) | dispatches | used by |',
        '|---|---|---|---|---|',
        ...rows.map(
          ([program, use]) =>
            `| ${program} | ${[...use.kernels].sort().join(', ')} | ${use.storageBuffers} | ${use.dispatches} | ${[...use.workloads].join(', ')} |`,
        ),
      ].join('\n'),
    );
    for (const [program, use] of rows) {
      expect(use.storageBuffers, program).toBeLessThanOrEqual(limit);
    }
    const programs = rows.map(([program]) => program);
    // The kernels that used to exceed the limit are exercised, in chunks.
    expect(programs).toContain('AddNPackedProgram (addN)');
    expect(rows.find(([p]) => p === 'AddNPackedProgram (addN)')![1].storageBuffers).toBe(limit);
    expect(new Set(rows.flatMap(([, use]) => [...use.workloads]))).toEqual(
      new Set(['train', 'sample', 'eval']),
    );
  });
});
