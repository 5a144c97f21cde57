/** Backends that {@link initBackend} can activate by name in this version. */
export const BACKEND_NAMES = [
  'node-gpu',
  'node',
  'native',
  'wasm',
  'cpu',
  'webgpu',
  'webgl',
] as const;

/**
 * Names reserved for backends of a coming version (none in this one: `native`,
 * the Node native-memory CPU backend, has shipped). The types and
 * `initBackend` accept them; `'auto'` and {@link BACKEND_NAMES} leave them out.
 */
export const RESERVED_BACKEND_NAMES = [] as const;

/** A concrete backend. */
export type BackendName = (typeof BACKEND_NAMES)[number] | (typeof RESERVED_BACKEND_NAMES)[number];

/** A backend, or `'auto'` for the fastest one available. */
export type BackendRequest = BackendName | 'auto';

/** What kind of device does the arithmetic. */
export type DeviceKind = 'gpu' | 'cpu' | 'software-gpu';

/** A WebGPU adapter, as reported by `GPUAdapter.info`. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU implementations of WebGPU, such as SwiftShader. */
  isSoftware: boolean;
}

/** One backend that `'auto'` tried, and what happened. */
export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  /** Why it was skipped, or `'selected'`. */
  reason: string;
}

/** The backend that {@link initBackend} activated. */
export interface BackendInfo {
  /** The backend that was activated. */
  name: BackendName;
  /** The name tfjs reports (`tf.getBackend()`), e.g. `tensorflow` for node. */
  tfBackend: string;
  device: DeviceKind;
  /** Threads used for compute (1 for single-threaded wasm and cpu). */
  threads: number;
  /** Whether SIMD is in use (wasm only; false elsewhere). */
  simd: boolean;
  /** WebGPU adapter details. */
  adapter?: AdapterInfo;
  /**
   * Kernel patches and overrides active on this backend, by name, e.g.
   * `UnsortedSegmentSum`, `BatchMatMul (xnnpack)`, `BatchMatMul (openblas)`.
   */
  patches: string[];
  /**
   * Kernel contracts (`@gpt2/backends/kernels`) this backend implements, by
   * kernel name, e.g. `AdamWUpdate` on wasm with the native addon.
   */
  kernels: string[];
  /** OpenBLAS threads, when the native BLAS kernel serves the matMuls (wasm in Node). */
  blasThreads?: number;
  /** The BLAS library and its kernel family, on the native backend (e.g. `OpenBLAS 0.3.21 Zen`). */
  blas?: string;
  /** Why this backend was chosen, in a sentence for logs. */
  reason: string;
  /** For `'auto'`: every backend considered, in order. */
  attempts: BackendAttempt[];
}
