import * as tf from '@tensorflow/tfjs-core';
import { wasmHeapUsage } from '../kernels/wasm/heap-guard.js';

/** Tensor memory of the active backend, measured from now on (see {@link trackMemory}). */
export interface MemoryTracker {
  /** The tfjs backend measured. */
  readonly backend: string;
  /** Bytes of tensor data alive now (each buffer once, however many tensors share it). */
  readonly liveBytes: number;
  /** The most {@link liveBytes} reached since tracking started or {@link resetPeak}. */
  readonly peakBytes: number;
  /** Restart {@link peakBytes} from the current {@link liveBytes}. */
  resetPeak(): void;
  /** Stop measuring (restores the backend's methods; a no-op on wasm). */
  stop(): void;
}

/** The storage methods of tfjs-backend-cpu (and backends built on it, such as `native`). */
interface HostBackend {
  data: { has(dataId: object): boolean };
  write(values: unknown, shape: number[], dtype: tf.DataType): object;
  move(
    dataId: object,
    values: unknown,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

function bytesOf(shape: number[], dtype: tf.DataType): number {
  return dtype === 'string' || dtype === 'complex64'
    ? 0
    : tf.util.sizeFromShape(shape) * tf.util.bytesPerElement(dtype);
}

/**
 * Measure the tensor memory of the active backend: the live and peak bytes of
 * its buffers, each counted once (`tf.memory().numBytes` counts every tensor,
 * so a saved activation that shares its buffer counts twice there). On wasm
 * it reads the heap guard's count of `_malloc`; on `cpu` and backends built
 * on its storage it wraps `write`/`move`/`disposeData`, which sees only the
 * buffers that exist from now on.
 *
 * @throws Error on backends it cannot measure (webgl, webgpu, tensorflow).
 */
export function trackMemory(): MemoryTracker {
  const name = tf.getBackend();
  const backend = tf.backend();
  const heap = wasmHeapUsage(backend);
  if (heap) {
    heap.resetPeak();
    return {
      backend: name,
      get liveBytes() {
        return wasmHeapUsage(backend)!.liveBytes;
      },
      get peakBytes() {
        return wasmHeapUsage(backend)!.peakBytes;
      },
      resetPeak: () => wasmHeapUsage(backend)!.resetPeak(),
      stop: () => undefined,
    };
  }
  const host = backend as unknown as Partial<HostBackend>;
  if (
    typeof host.write !== 'function' ||
    typeof host.move !== 'function' ||
    typeof host.disposeData !== 'function' ||
    typeof host.data?.has !== 'function'
  ) {
    throw new Error(`trackMemory: cannot measure the '${name}' backend's tensor memory.`);
  }
  const target = host as HostBackend;
  const own = Object.getOwnPropertyNames(target);
  const saved = (['write', 'move', 'disposeData'] as const).map(
    (key) => [key, own.includes(key) ? target[key] : undefined] as const,
  );
  const { write, move, disposeData } = target;
  const sizes = new Map<object, number>();
  let live = 0;
  let peak = 0;
  const add = (dataId: object, bytes: number) => {
    sizes.set(dataId, bytes);
    live += bytes;
    if (live > peak) peak = live;
  };
  target.write = function (this: HostBackend, values, shape, dtype) {
    const dataId = write.call(this, values, shape, dtype);
    add(dataId, bytesOf(shape, dtype));
    return dataId;
  };
  target.move = function (this: HostBackend, dataId, values, shape, dtype, refCount) {
    move.call(this, dataId, values, shape, dtype, refCount);
    if (!sizes.has(dataId)) add(dataId, bytesOf(shape, dtype));
  };
  target.disposeData = function (this: HostBackend, dataId, force) {
    const released = disposeData.call(this, dataId, force);
    const bytes = sizes.get(dataId);
    if (bytes !== undefined && !this.data.has(dataId)) {
      sizes.delete(dataId);
      live -= bytes;
    }
    return released;
  };
  return {
    backend: name,
    get liveBytes() {
      return live;
    },
    get peakBytes() {
      return peak;
    },
    resetPeak() {
      peak = live;
    },
    stop() {
      for (const [key, original] of saved) {
        if (original) target[key] = original as never;
        else delete (target as Partial<HostBackend>)[key];
      }
    },
  };
}
