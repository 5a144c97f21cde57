import { formatBytes } from './memory-limit.js';

const marker = Symbol.for('gpt2.error.OutOfMemoryError');

/** One line of what a workload needs, for {@link OutOfMemoryError.breakdown}. */
export interface MemoryNeed {
  /** What the bytes hold: `weights`, `gradients`, `AdamW moments`, `activations`, … */
  name: string;
  bytes: number;
}

/** Options for {@link OutOfMemoryError}. */
export interface OutOfMemoryErrorOptions {
  /** The tfjs backend (`tf.getBackend()`), e.g. `wasm`. */
  backend: string;
  /** Bytes the work needs in all: an estimate, or the bytes in use plus the allocation that failed. */
  requiredBytes: number;
  /** Bytes the backend can hold. */
  limitBytes: number;
  /** What the limit is, for the message: `the wasm32 heap`, `this machine's memory`. */
  limit: string;
  /** The work, for the message: `training gpt2 (124M parameters) at batch 4 × 256`. Default: none. */
  workload?: string;
  /** What the bytes are, largest first or in the estimate's order. Default: none. */
  breakdown?: readonly MemoryNeed[];
  /** The single allocation that failed (the wasm heap guard). Default: none. */
  requestedBytes?: number;
  /** Bytes already in use when it failed. Default: none. */
  inUseBytes?: number;
  /** Whether the work trains (the ways out differ). Default: unknown (the ways out of both). */
  training?: boolean;
  /** Replaces the message's first sentence, for failures that are not one allocation or estimate. Default: none. */
  summary?: string;
  /** Ways out, one per line. Default: {@link outOfMemoryRemedies} for the backend. */
  remedies?: readonly string[];
  cause?: unknown;
}

/**
 * The ways out of an out-of-memory error on `backend`, one sentence each,
 * naming both the library option and the CLI flag; for training, inference,
 * or (`undefined`) both.
 */
export function outOfMemoryRemedies(backend: string, training?: boolean): string[] {
  const remedies: string[] = [];
  if (backend === 'wasm' || backend === 'webgl' || backend === 'webgpu') {
    remedies.push(
      "in Node, the 'native' backend (initBackend('native'), --backend native) keeps tensors in Node memory, with no 4 GB ceiling",
    );
  }
  if (training !== false) {
    remedies.push(
      'a smaller batch with gradient accumulation keeps the effective batch (gradientAccumulationSteps; gpt2 train --gradientAccumulationSteps N)',
      'recompute activations in the backward pass (recompute: true; gpt2 train --recompute true): only each block input is kept',
      'fine-tune LoRA adapters instead of every weight: no gradients or AdamW moments for the frozen weights',
    );
  }
  if (training !== true) remedies.push('fewer sequences at once, or a shorter context');
  remedies.push('a smaller model');
  return remedies;
}

/**
 * The work needs more memory than the backend has: found before it starts
 * (an estimate, from `checkMemory` in @gpt2/model), or when an allocation
 * fails (the wasm heap guard). Says what the work needs, the limit, and the
 * ways out; the fields carry the same for programs.
 */
export class OutOfMemoryError extends Error {
  readonly [marker] = true;
  override readonly name = 'OutOfMemoryError';
  readonly backend: string;
  readonly requiredBytes: number;
  readonly limitBytes: number;
  readonly limit: string;
  readonly workload: string | undefined;
  readonly breakdown: readonly MemoryNeed[];
  readonly requestedBytes: number | undefined;
  readonly inUseBytes: number | undefined;
  readonly remedies: readonly string[];

  constructor(options: OutOfMemoryErrorOptions) {
    const remedies = options.remedies ?? outOfMemoryRemedies(options.backend, options.training);
    super(composeMessage(options, remedies), { cause: options.cause });
    this.backend = options.backend;
    this.requiredBytes = options.requiredBytes;
    this.limitBytes = options.limitBytes;
    this.limit = options.limit;
    this.workload = options.workload;
    this.breakdown = options.breakdown ?? [];
    this.requestedBytes = options.requestedBytes;
    this.inUseBytes = options.inUseBytes;
    this.remedies = remedies;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is OutOfMemoryError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

function composeMessage(options: OutOfMemoryErrorOptions, remedies: readonly string[]): string {
  const { backend, requiredBytes, limitBytes, limit } = options;
  const parts = options.breakdown
    ?.filter((item) => item.bytes > 0)
    .map((item) => `${item.name} ${formatBytes(item.bytes)}`);
  const needs = `${formatBytes(requiredBytes)}${parts && parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
  let first: string;
  if (options.summary !== undefined) {
    first = `Out of memory on ${backend}: ${options.summary}`;
  } else if (options.requestedBytes !== undefined) {
    const inUse =
      options.inUseBytes !== undefined ? ` with ${formatBytes(options.inUseBytes)} in use` : '';
    first = `Out of memory on ${backend}: allocating ${formatBytes(options.requestedBytes)}${inUse} would pass ${limit}'s limit of ${formatBytes(limitBytes)}`;
    if (options.workload) first += `; ${options.workload} needs about ${needs}`;
  } else {
    first = `Out of memory on ${backend}: ${options.workload ?? 'this work'} needs about ${needs}, more than ${limit}'s ${formatBytes(limitBytes)}`;
  }
  return `${first}.\n  Ways out:\n${remedies.map((r) => `  - ${r};`).join('\n')}`;
}
