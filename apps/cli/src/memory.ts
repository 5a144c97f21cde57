import { totalmem } from 'node:os';
import type { BackendInfo } from '@gpt2/backends';
import { type MemoryLimit, memoryLimit } from '@gpt2/backends/kernels';
import {
  checkMemory,
  estimateMemory,
  type GPT2Config,
  type MemoryEstimate,
  type MemoryEstimateOptions,
} from '@gpt2/model';

/** What the CLI's commands estimate: the options besides the backend, which comes from `info`. */
export type RunMemoryOptions = Omit<MemoryEstimateOptions, 'backend' | 'nativeBlas'>;

/** The active backend's limit, with this machine's memory for backends in Node memory. */
export function activeMemoryLimit(): MemoryLimit | undefined {
  return memoryLimit({ systemMemoryBytes: totalmem() });
}

/** {@link estimateMemory} for the backend `info` describes. */
export function estimateRunMemory(
  config: GPT2Config,
  options: RunMemoryOptions,
  backend: BackendInfo,
): MemoryEstimate {
  return estimateMemory(config, {
    ...options,
    backend: backend.tfBackend,
    nativeBlas: backend.tfBackend === 'wasm' && backend.blasThreads !== undefined,
  });
}

/**
 * Checks a run's estimate against the active backend before it starts: an
 * OutOfMemoryError (what it needs, the limit, the ways out) in a second,
 * rather than `Aborted()` or a swapping machine minutes later.
 */
export function checkRunMemory(
  config: GPT2Config,
  options: RunMemoryOptions,
  backend: BackendInfo,
): MemoryEstimate {
  const estimate = estimateRunMemory(config, options, backend);
  checkMemory(estimate, { systemMemoryBytes: totalmem() });
  return estimate;
}
