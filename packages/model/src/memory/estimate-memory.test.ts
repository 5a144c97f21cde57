import { OutOfMemoryError, WASM_HEAP_LIMIT_BYTES } from '@gpt2/backends/kernels';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { countParameters } from '../count.js';
import { checkMemory, formatMemoryTable } from './check-memory.js';
import { estimateMemory } from './estimate-memory.js';

const wasmLimit = { backend: 'wasm', bytes: WASM_HEAP_LIMIT_BYTES, description: 'the wasm32 heap' };

// The figures against a measured peak are in @gpt2/trainer's memory-estimate.test.ts.
describe('estimateMemory', () => {
  const gpt2 = resolveConfig({ preset: 'gpt2' });

  it('counts weights, gradients and AdamW moments at 4 bytes per float', () => {
    const P = countParameters(gpt2);
    const train = estimateMemory(gpt2, { batchSize: 1, contextLength: 64, training: true });
    const bytes = (name: string) => train.items.find((i) => i.name === name)?.bytes;
    expect(bytes('weights')).toBe(4 * P);
    expect(bytes('gradients')).toBe(4 * P);
    expect(bytes('AdamW moments')).toBe(8 * P);
    const accumulating = estimateMemory(gpt2, {
      batchSize: 1,
      contextLength: 64,
      training: true,
      gradientAccumulationSteps: 4,
    });
    expect(accumulating.items.find((i) => i.name === 'gradients')?.bytes).toBe(8 * P);
    const sample = estimateMemory(gpt2, { batchSize: 1, contextLength: 64, inference: 'generate' });
    expect(sample.items.map((i) => i.name)).not.toContain('gradients');
    expect(sample.totalBytes).toBeLessThan(train.totalBytes / 3);
  });

  it('recompute and a chunked head cut the activations, and grow with batch and context', () => {
    const at = (o: object) =>
      estimateMemory(gpt2, { batchSize: 4, contextLength: 256, training: true, ...o }).totalBytes;
    expect(at({ recompute: true })).toBeLessThan(at({}) * 0.6);
    expect(at({ crossEntropyChunk: 128 })).toBeLessThan(at({ crossEntropyChunk: 0 }));
    expect(at({ batchSize: 8 })).toBeGreaterThan(at({}));
  });

  it('rejects bad options', () => {
    expect(() => estimateMemory(gpt2, { batchSize: 0, contextLength: 8 })).toThrow(RangeError);
    expect(() => estimateMemory(gpt2, { batchSize: 1, contextLength: 2048 })).toThrow(
      /1024 positions/,
    );
  });
});

describe('checkMemory', () => {
  it('passes what fits and throws OutOfMemoryError, with the ways out, for what does not', () => {
    const gpt2 = resolveConfig({ preset: 'gpt2' });
    const small = estimateMemory(gpt2, { batchSize: 1, contextLength: 128, training: true });
    expect(checkMemory(small, { limit: wasmLimit })).toBe(wasmLimit);
    const big = estimateMemory(gpt2, { batchSize: 8, contextLength: 512, training: true });
    let error: unknown;
    try {
      checkMemory(big, { limit: wasmLimit });
    } catch (e) {
      error = e;
    }
    expect(OutOfMemoryError.isInstance(error)).toBe(true);
    const oom = error as OutOfMemoryError;
    expect(oom.requiredBytes).toBe(big.totalBytes);
    expect(oom.message).toMatch(/training a 124M-parameter model .* at batch 8 × 512/);
    expect(oom.message).toMatch(/'native' backend/);
    expect(oom.message).toMatch(/--recompute/);
    // A single tensor over a buffer limit (WebGPU) fails too.
    const perBuffer = {
      backend: 'webgpu',
      bytes: Infinity,
      description: 'the device',
      maxBufferBytes: 2 ** 27,
    };
    expect(() => checkMemory(small, { limit: perBuffer })).toThrow(/one buffer may hold/);
  });

  it('formats a table with the total and the headroom', () => {
    const tiny = resolveConfig({ preset: 'gpt2-tiny' });
    const table = formatMemoryTable(
      estimateMemory(tiny, { batchSize: 2, contextLength: 32, training: true }),
      wasmLimit,
    );
    expect(table).toMatch(/^weights +\d/m);
    expect(table).toMatch(/^total +[\d.]+ (KiB|MiB)/m);
    expect(table).toMatch(/^limit +4\.00 GiB +the wasm32 heap \(wasm\): .* to spare$/m);
  });
});
