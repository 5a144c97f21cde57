import { totalmem } from 'node:os';
import type { BackendInfo } from '@gpt2/backends';
import { formatBytes, type MemoryLimit, memoryLimit } from '@gpt2/backends/kernels';
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

/**
 * The share of the memory limit a training run's estimate (without
 * recomputation) may take before `gpt2 train` recomputes each block by
 * itself. The estimate counts live tensors; the native backend also keeps
 * freed buffers for reuse (up to a quarter of the machine) and the allocator
 * fragments, so the process outgrows it: gpt2 (124M) at 8 × 512, estimated at
 * 16.0 GiB, reached 22.5 GiB in its first step and was killed on a 23.5 GiB machine.
 */
export const AUTO_RECOMPUTE_SHARE = 0.5;

/**
 * Whether a training run recomputes each block in the backward pass: as set
 * in its config, else on when the estimate without it takes more than
 * {@link AUTO_RECOMPUTE_SHARE} of the active backend's limit (about a third
 * more compute per step, in exchange for one block's activations instead of
 * all of them). `reason` says why it was turned on.
 */
export function chooseRecompute(
  config: GPT2Config,
  options: Omit<RunMemoryOptions, 'recompute'> & { recompute?: boolean },
  backend: BackendInfo,
  limit: MemoryLimit | undefined = activeMemoryLimit(),
): { recompute: boolean; reason?: string } {
  if (options.recompute !== undefined || !options.training || !limit) {
    return { recompute: options.recompute ?? false };
  }
  const plain = estimateRunMemory(config, { ...options, recompute: false }, backend);
  if (plain.totalBytes <= limit.bytes * AUTO_RECOMPUTE_SHARE) return { recompute: false };
  const lean = estimateRunMemory(config, { ...options, recompute: true }, backend);
  return {
    recompute: true,
    reason: `recompute: on (training.recompute unset): keeping every block's activations needs about ${formatBytes(plain.totalBytes)}, more than half of ${limit.description} (${formatBytes(limit.bytes)}); recomputing them needs ${formatBytes(lean.totalBytes)}, for about a third more compute per step. --recompute false keeps them.`,
  };
}
