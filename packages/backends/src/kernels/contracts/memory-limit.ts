import * as tf from '@tensorflow/tfjs-core';

/**
 * The most the wasm backend's heap can grow to: wasm32 addresses 4 GiB, and
 * tfjs-backend-wasm 4.22's Emscripten build stops one 64 KiB page short of it
 * (`getHeapMax()` returns 4,294,901,760).
 */
export const WASM_HEAP_LIMIT_BYTES = 4_294_901_760;

/** How much memory a backend's tensors can use, for `checkMemory` and error messages. */
export interface MemoryLimit {
  /** The tfjs backend name (`tf.getBackend()`). */
  backend: string;
  /** Bytes for all tensors together; `Infinity` when only {@link maxBufferBytes} is known. */
  bytes: number;
  /** What the limit is, for messages: `the wasm32 heap`, `this machine's memory`. */
  description: string;
  /** The largest single tensor the backend can hold (WebGPU's buffer and binding limits). Default: none. */
  maxBufferBytes?: number;
}

/** Options for {@link memoryLimit}. */
export interface MemoryLimitOptions {
  /**
   * The machine's memory in bytes, for backends whose tensors live in ordinary
   * memory (`cpu`, `native`, `tensorflow`). The library reads no system state:
   * a Node app passes `os.totalmem()`. Default: none (those backends are then
   * not checked).
   */
  systemMemoryBytes?: number;
  /** A GPU's memory in bytes, when the app knows it (WebGPU does not report it). Default: none. */
  deviceMemoryBytes?: number;
}

/** Backends whose tensors are ordinary memory of the process. */
const HOST_MEMORY_BACKENDS = new Set(['cpu', 'native', 'tensorflow']);

interface WebGpuLimits {
  maxBufferSize?: number;
  maxStorageBufferBindingSize?: number;
}

/**
 * The memory limit of the active tfjs backend: the wasm32 heap for `wasm`;
 * the buffer limits of the device (and its memory, when given) for `webgpu`;
 * `systemMemoryBytes` for backends in ordinary memory. Undefined when nothing
 * is known (WebGL, or a Node backend without `systemMemoryBytes`).
 */
export function memoryLimit(options: MemoryLimitOptions = {}): MemoryLimit | undefined {
  const backend = tf.getBackend();
  if (backend === undefined) return undefined;
  if (backend === 'wasm') {
    return { backend, bytes: WASM_HEAP_LIMIT_BYTES, description: 'the wasm32 heap' };
  }
  if (HOST_MEMORY_BACKENDS.has(backend)) {
    const bytes = options.systemMemoryBytes;
    return bytes !== undefined && bytes > 0
      ? { backend, bytes, description: "this machine's memory" }
      : undefined;
  }
  if (backend === 'webgpu') {
    const limits = (tf.backend() as { device?: { limits?: WebGpuLimits } }).device?.limits;
    const perBuffer = Math.min(
      limits?.maxBufferSize ?? Infinity,
      limits?.maxStorageBufferBindingSize ?? Infinity,
    );
    const device = options.deviceMemoryBytes;
    if (!Number.isFinite(perBuffer) && device === undefined) return undefined;
    return {
      backend,
      bytes: device ?? Infinity,
      description: device !== undefined ? "the GPU's memory" : "the WebGPU device's buffer limit",
      ...(Number.isFinite(perBuffer) ? { maxBufferBytes: perBuffer } : {}),
    };
  }
  return undefined;
}

/** `1.5 GiB`, `312 MiB`, `12 KiB`, `100 B`: binary units, three significant digits. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${bytes < 0 ? '-' : ''}${value.toFixed(digits)} ${units[unit]}`;
}
