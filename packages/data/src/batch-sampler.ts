/**
 * Batches of training windows from a {@link TokenDataset}, deterministic and resumable.
 *
 * Every batch is a pure function of the sampler state, so the state (a small JSON object) is all
 * that a checkpoint needs. The next batch is read ahead while the trainer works on the current
 * one; `getState()` always describes the next batch `next()` will *return*, never the one being
 * prefetched, so a restored sampler returns exactly what an uninterrupted one would have.
 */
import { createRng, hash32, type RngState, shuffleInPlace } from './random/index.js';
import type { TokenDataset } from './token-dataset.js';

/** A batch of training windows: row-major [batchSize, blockSize]; targets are inputs shifted by one token. */
export interface Batch {
  /** Token ids, [batchSize, blockSize] row-major. */
  inputs: Int32Array;
  /** `targets[b, t] = inputs[b, t + 1]` (the token after each input position). */
  targets: Int32Array;
  batchSize: number;
  blockSize: number;
}

/** Anything the trainer can pull batches from. State is plain JSON and restores the exact sequence. */
export interface BatchSource {
  next(): Promise<Batch>;
  /** JSON-serialisable; describes the next batch `next()` will return. */
  getState(): BatchSamplerState;
  setState(state: BatchSamplerState): void;
}

/** Opaque JSON state of a {@link BatchSource}. */
export type BatchSamplerState = { [key: string]: unknown };

/** How windows are chosen. */
export type SamplingMode =
  /** Independent uniformly random window starts, as nanoGPT's `get_batch` does. */
  | 'random'
  /** Every window `[k·T, k·T + T]` once per epoch, in a seeded shuffled order. */
  | 'epoch';

/** Default of {@link BatchSamplerOptions.mode}. */
export const DEFAULT_SAMPLING_MODE: SamplingMode = 'random';
/** Default of {@link BatchSamplerOptions.seed}. */
export const DEFAULT_SAMPLER_SEED = 1337;
/** Default of {@link BatchSamplerOptions.prefetch}. */
export const DEFAULT_PREFETCH = true;

/** Options of {@link createBatchSampler}. */
export interface BatchSamplerOptions {
  /** Rows per batch (B). Required. */
  batchSize: number;
  /** Context length (T); each row reads T + 1 tokens. Required. */
  blockSize: number;
  /** `'random'` (nanoGPT) or `'epoch'` (shuffled pass over every window). Default `'random'`. */
  mode?: SamplingMode;
  /** Seed of the window order. Default {@link DEFAULT_SAMPLER_SEED} (1337). */
  seed?: number;
  /** Read the next batch ahead while the current one is used. Default `true`. */
  prefetch?: boolean;
}

/** The sampler's resumable state (what `getState()` returns). */
export type BatchSamplerStateV1 = {
  kind: 'gpt2-data.batch-sampler';
  version: 1;
  mode: SamplingMode;
  seed: number;
  batchSize: number;
  blockSize: number;
  /** Dataset length when the state was taken; a restore into another dataset is refused. */
  datasetTokens: number;
  /** Batches returned so far. */
  step: number;
  /** Epoch of the next window (`'epoch'` mode; 0 in `'random'` mode). */
  epoch: number;
  /** Index of the next window within the epoch's shuffled order (`'epoch'` mode). */
  position: number;
  /** Generator state before the next batch (`'random'` mode; null in `'epoch'` mode). */
  rng: RngState | null;
};

/**
 * A batch sampler: a {@link BatchSource} with a few read-only facts about its
 * windows. Read these, not the fields of `getState()`: the state is a
 * versioned format for checkpoints, the properties are the API.
 */
export interface BatchSampler extends BatchSource {
  getState(): BatchSamplerStateV1;
  /** Rows per batch (B). */
  readonly batchSize: number;
  /** Context length (T) of each row. */
  readonly blockSize: number;
  /** Windows per epoch (the `'epoch'` mode's pass; also the epoch size of `'random'` runs): ⌊(N − 1) / T⌋. */
  readonly windowsPerEpoch: number;
  /** Whole batches per epoch: ⌊windowsPerEpoch / batchSize⌋. */
  readonly batchesPerEpoch: number;
  readonly dataset: TokenDataset;
}

interface Plan {
  starts: number[];
  after: BatchSamplerStateV1;
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `createBatchSampler: ${name} must be an integer ≥ 1, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Create a sampler that yields `{ inputs, targets }` batches of shape [batchSize, blockSize].
 *
 * @throws RangeError when the dataset is shorter than `blockSize + 1` tokens (the context is
 *   longer than the data), or when options are not positive integers.
 * @example
 * const sampler = createBatchSampler(tokenDatasetFromArray(tokens), { batchSize: 8, blockSize: 64 });
 * const { inputs, targets } = await sampler.next();
 * const saved = JSON.stringify(sampler.getState()); // store with the checkpoint
 */
export function createBatchSampler(
  dataset: TokenDataset,
  options: BatchSamplerOptions,
): BatchSampler {
  const batchSize = positiveInteger('batchSize', options.batchSize);
  const blockSize = positiveInteger('blockSize', options.blockSize);
  const mode = options.mode ?? DEFAULT_SAMPLING_MODE;
  if (mode !== 'random' && mode !== 'epoch') {
    throw new TypeError(
      `createBatchSampler: mode must be 'random' or 'epoch', got ${String(mode)}`,
    );
  }
  const seed = options.seed ?? DEFAULT_SAMPLER_SEED;
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`createBatchSampler: seed must be a safe integer, got ${String(seed)}`);
  }
  const prefetch = options.prefetch ?? DEFAULT_PREFETCH;
  const n = dataset.length;
  if (n < blockSize + 1) {
    throw new RangeError(
      `${dataset.name}: context length ${blockSize} needs at least ${blockSize + 1} tokens, but the dataset has only ${n}`,
    );
  }
  const windowsPerEpoch = Math.floor((n - 1) / blockSize);

  let state: BatchSamplerStateV1 = {
    kind: 'gpt2-data.batch-sampler',
    version: 1,
    mode,
    seed,
    batchSize,
    blockSize,
    datasetTokens: n,
    step: 0,
    epoch: 0,
    position: 0,
    rng: mode === 'random' ? createRng(seed).getState() : null,
  };

  // The shuffled window order of one epoch, cached: rebuilt only when the epoch changes.
  let order: { epoch: number; windows: Uint32Array | Float64Array } | undefined;
  const epochOrder = (epoch: number): Uint32Array | Float64Array => {
    if (order?.epoch !== epoch) {
      const windows =
        windowsPerEpoch <= 0xffffffff
          ? new Uint32Array(windowsPerEpoch)
          : new Float64Array(windowsPerEpoch);
      for (let i = 0; i < windowsPerEpoch; i++) windows[i] = i;
      shuffleInPlace(windows, createRng(hash32(seed, epoch)));
      order = { epoch, windows };
    }
    return order.windows;
  };

  // Pure: which windows the batch at `from` reads, and the state after it.
  const plan = (from: BatchSamplerStateV1): Plan => {
    const starts: number[] = [];
    if (from.mode === 'random') {
      const rng = createRng(from.rng!);
      for (let b = 0; b < batchSize; b++) starts.push(rng.nextInt(n - blockSize));
      return { starts, after: { ...from, step: from.step + 1, rng: rng.getState() } };
    }
    let { epoch, position } = from;
    for (let b = 0; b < batchSize; b++) {
      starts.push(epochOrder(epoch)[position]! * blockSize);
      position++;
      if (position === windowsPerEpoch) {
        epoch++;
        position = 0;
      }
    }
    return { starts, after: { ...from, step: from.step + 1, epoch, position } };
  };

  const read = async (starts: number[]): Promise<Batch> => {
    const width = blockSize + 1;
    const rows = new Int32Array(batchSize * width);
    await Promise.all(
      starts.map((start, b) => dataset.read(start, rows.subarray(b * width, (b + 1) * width))),
    );
    const inputs = new Int32Array(batchSize * blockSize);
    const targets = new Int32Array(batchSize * blockSize);
    for (let b = 0; b < batchSize; b++) {
      inputs.set(rows.subarray(b * width, b * width + blockSize), b * blockSize);
      targets.set(rows.subarray(b * width + 1, (b + 1) * width), b * blockSize);
    }
    return { inputs, targets, batchSize, blockSize };
  };

  // The batch being read ahead, tagged with the step it belongs to.
  let ahead: { step: number; plan: Plan; batch: Promise<Batch> } | undefined;
  const startRead = (from: BatchSamplerStateV1) => {
    const p = plan(from);
    const batch = read(p.starts);
    // A prefetch nobody takes (after setState) must not surface as an unhandled rejection.
    batch.catch(() => {});
    return { step: from.step, plan: p, batch };
  };

  return {
    dataset,
    batchSize,
    blockSize,
    windowsPerEpoch,
    batchesPerEpoch: Math.floor(windowsPerEpoch / batchSize),
    async next() {
      const current = ahead?.step === state.step ? ahead : startRead(state);
      ahead = undefined;
      state = current.plan.after;
      if (prefetch) ahead = startRead(state);
      return current.batch;
    },
    getState() {
      return structuredClone(state);
    },
    setState(saved) {
      const s = saved as Partial<BatchSamplerStateV1>;
      if (s?.kind !== 'gpt2-data.batch-sampler' || s.version !== 1) {
        throw new TypeError(
          `BatchSampler.setState: not a batch sampler state (kind/version): ${JSON.stringify(saved)}`,
        );
      }
      const mismatches: string[] = [];
      if (s.mode !== mode) mismatches.push(`mode ${String(s.mode)} ≠ ${mode}`);
      if (s.seed !== seed) mismatches.push(`seed ${String(s.seed)} ≠ ${seed}`);
      if (s.batchSize !== batchSize)
        mismatches.push(`batchSize ${String(s.batchSize)} ≠ ${batchSize}`);
      if (s.blockSize !== blockSize)
        mismatches.push(`blockSize ${String(s.blockSize)} ≠ ${blockSize}`);
      if (s.datasetTokens !== n)
        mismatches.push(`dataset tokens ${String(s.datasetTokens)} ≠ ${n}`);
      if (mismatches.length > 0) {
        throw new RangeError(
          `BatchSampler.setState: the state was taken from a different sampler (${mismatches.join(', ')}); create the sampler with the same options and dataset`,
        );
      }
      if (
        !Number.isSafeInteger(s.step) ||
        !Number.isSafeInteger(s.epoch) ||
        !Number.isSafeInteger(s.position) ||
        s.position! < 0 ||
        s.position! >= windowsPerEpoch
      ) {
        throw new RangeError(
          `BatchSampler.setState: step/epoch/position out of range: ${JSON.stringify(saved)}`,
        );
      }
      if (mode === 'random') createRng(s.rng as RngState); // validates
      state = structuredClone(s as BatchSamplerStateV1);
      ahead = undefined;
    },
  };
}
