/**
 * Measurements of WebGPU work for benches and audits: the commands recorded
 * on the device (compute dispatches, buffer copies, queue submits), counted
 * where every path meets, on the WebGPU objects themselves, so tfjs's stock
 * programs and this package's fused kernels are counted alike; and the peak
 * memory of a piece of work, as tfjs counts it (`tf.memory().numBytes`) and
 * as the webgpu backend holds it in GPU buffers.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Commands recorded on the device since the counter started (or was reset). */
export interface WebGpuCommandCounts {
  /** Compute dispatches (`dispatchWorkgroups`): one per shader run. */
  dispatches: number;
  /** Buffer-to-buffer copies (`copyBufferToBuffer`): transfers, no shader. */
  copies: number;
  /** Queue submissions. */
  submits: number;
}

/** A running count from {@link countWebGpuCommands}. */
export interface WebGpuCommandCounter {
  /** The counts so far (a live object). */
  readonly counts: Readonly<WebGpuCommandCounts>;
  /** Zero the counts. */
  reset(): void;
  /** Stop counting and restore the WebGPU methods. */
  stop(): void;
}

/** Options for {@link countWebGpuCommands}. */
export interface CountWebGpuCommandsOptions {
  /**
   * Record dispatches without running them (a dry run): the counts, the
   * tensors and the buffers are those of the real work, the values are
   * garbage. For measuring the dispatches and memory of work too large to
   * compute on a software adapter. Default: false.
   */
  skipDispatches?: boolean;
}

interface Patchable {
  prototype: Record<string, unknown>;
}

let active: WebGpuCommandCounter | undefined;

/**
 * Count the WebGPU commands recorded from now on, in this realm (the methods
 * of `GPUComputePassEncoder`, `GPUCommandEncoder` and `GPUQueue` are wrapped
 * until {@link WebGpuCommandCounter.stop}). One counter at a time.
 *
 * @throws Error when WebGPU's classes are not installed (no WebGPU here, or,
 *   in Node, before `initBackend('webgpu')`) or a counter is running.
 */
export function countWebGpuCommands(
  options: CountWebGpuCommandsOptions = {},
): WebGpuCommandCounter {
  if (active) throw new Error('countWebGpuCommands: a counter is already running; stop it first.');
  const classes = globalThis as unknown as Partial<
    Record<'GPUComputePassEncoder' | 'GPUCommandEncoder' | 'GPUQueue', Patchable>
  >;
  const pass = classes.GPUComputePassEncoder?.prototype;
  const encoder = classes.GPUCommandEncoder?.prototype;
  const queue = classes.GPUQueue?.prototype;
  if (!pass || !encoder || !queue) {
    throw new Error(
      "countWebGpuCommands: WebGPU's classes are not installed; in Node, call initBackend('webgpu') first.",
    );
  }
  const counts: WebGpuCommandCounts = { dispatches: 0, copies: 0, submits: 0 };
  const originals = [
    [pass, 'dispatchWorkgroups', pass.dispatchWorkgroups],
    [encoder, 'copyBufferToBuffer', encoder.copyBufferToBuffer],
    [queue, 'submit', queue.submit],
  ] as const;
  const dispatch = pass.dispatchWorkgroups as (...args: unknown[]) => void;
  const copy = encoder.copyBufferToBuffer as (...args: unknown[]) => void;
  const submit = queue.submit as (...args: unknown[]) => void;
  pass.dispatchWorkgroups = function (this: unknown, ...args: unknown[]) {
    counts.dispatches++;
    if (!options.skipDispatches) dispatch.apply(this, args);
  };
  encoder.copyBufferToBuffer = function (this: unknown, ...args: unknown[]) {
    counts.copies++;
    copy.apply(this, args);
  };
  queue.submit = function (this: unknown, ...args: unknown[]) {
    counts.submits++;
    submit.apply(this, args);
  };
  const counter: WebGpuCommandCounter = {
    counts,
    reset() {
      counts.dispatches = 0;
      counts.copies = 0;
      counts.submits = 0;
    },
    stop() {
      if (active !== counter) return;
      for (const [target, name, original] of originals) target[name] = original;
      active = undefined;
    },
  };
  active = counter;
  return counter;
}

/** Peaks seen by a {@link trackPeakMemory} tracker. */
export interface PeakMemory {
  /** Highest `tf.memory().numBytes`: the bytes of all live tensors, as tfjs counts them. */
  tensorBytes: number;
  /**
   * Highest bytes in GPU buffers in use on the webgpu backend (its buffer
   * manager's `numBytesUsed`): tensors plus kernel temporaries and uniforms.
   * Undefined on other backends.
   */
  gpuBytes?: number;
}

/** A running peak from {@link trackPeakMemory}. */
export interface PeakMemoryTracker {
  /** The peaks so far, from the tracker's start (or last reset). */
  peak(): PeakMemory;
  /** Start the peaks again from the current usage. */
  reset(): void;
  /** Stop tracking. */
  stop(): void;
}

interface EngineInternals {
  state: { numBytes: number };
  trackTensor(tensor: unknown, backend: unknown): void;
}

interface BufferManagerInternals {
  numBytesUsed: number;
  acquireBuffer(...args: unknown[]): unknown;
}

/** A function that puts `object[name]` back as it is now (an own property or inherited). */
function ownRestorer(object: object, name: string): () => void {
  const record = object as Record<string, unknown>;
  const own = Object.hasOwn(object, name);
  const value = record[name];
  return () => {
    if (own) record[name] = value;
    else delete record[name];
  };
}

/**
 * Track the peak memory of the active backend from now on: tfjs's count of
 * tensor bytes, sampled whenever a tensor is made, and on webgpu the bytes of
 * GPU buffers in use, sampled whenever a buffer is acquired.
 */
export function trackPeakMemory(): PeakMemoryTracker {
  const engine = tf.engine() as unknown as EngineInternals;
  const manager = (tf.backend() as unknown as { bufferManager?: BufferManagerInternals })
    .bufferManager;
  let tensorBytes = engine.state.numBytes;
  let gpuBytes = manager?.numBytesUsed;
  const restore = [
    ownRestorer(engine, 'trackTensor'),
    ...(manager ? [ownRestorer(manager, 'acquireBuffer')] : []),
  ];
  const trackTensor = engine.trackTensor;
  engine.trackTensor = function (this: EngineInternals, ...args) {
    trackTensor.apply(this, args);
    tensorBytes = Math.max(tensorBytes, this.state.numBytes);
  };
  const acquire = manager?.acquireBuffer;
  if (manager && acquire) {
    manager.acquireBuffer = function (this: BufferManagerInternals, ...args: unknown[]) {
      const buffer = acquire.apply(this, args);
      gpuBytes = Math.max(gpuBytes ?? 0, this.numBytesUsed);
      return buffer;
    };
  }
  return {
    peak: () => ({ tensorBytes, ...(gpuBytes !== undefined ? { gpuBytes } : {}) }),
    reset() {
      tensorBytes = engine.state.numBytes;
      gpuBytes = manager?.numBytesUsed;
    },
    stop() {
      for (const undo of restore) undo();
    },
  };
}
