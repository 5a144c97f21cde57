import type { BackendInfo } from '@gpt2/backends';
import type { MemoryLimit } from '@gpt2/backends/kernels';
import { resolveConfig } from '@gpt2/model';
import { describe, expect, it } from 'vitest';
import { chooseRecompute } from './memory.js';

const native = { tfBackend: 'native' } as BackendInfo;
const machine: MemoryLimit = {
  backend: 'native',
  bytes: 23.5 * 1024 ** 3,
  description: "this machine's memory (native)",
};
const gpt2 = resolveConfig({ preset: 'gpt2' });
const run = (batchSize: number, recompute?: boolean) => ({
  batchSize,
  contextLength: 512,
  training: true,
  gradientAccumulationSteps: 1,
  recompute,
});

describe('chooseRecompute', () => {
  it('turns recomputation on when the plain estimate takes over half the machine, and says why', () => {
    // 124M at 8 × 512: ~16 GiB without it, which outgrew 23.5 GiB in practice.
    const chosen = chooseRecompute(gpt2, run(8), native, machine);
    expect(chosen.recompute).toBe(true);
    expect(chosen.reason).toMatch(/more than half of this machine's memory.*--recompute false/);
    expect(chooseRecompute(gpt2, run(2), native, machine)).toEqual({ recompute: false });
  });

  it('keeps what the config says, and leaves a backend without a total limit alone', () => {
    expect(chooseRecompute(gpt2, run(8, false), native, machine)).toEqual({ recompute: false });
    expect(chooseRecompute(gpt2, run(1, true), native, machine)).toEqual({ recompute: true });
    const unbounded = { ...machine, bytes: Number.POSITIVE_INFINITY };
    expect(chooseRecompute(gpt2, run(8), native, unbounded)).toEqual({ recompute: false });
  });
});
