import type * as tf from '@tensorflow/tfjs-core';
import type { AdapterInfo, BackendName, DeviceKind } from './types.js';

/** Loads a module by name. Swappable so tests can stand in for optional packages. */
export type ImportModule = (specifier: string) => Promise<unknown>;

/** What {@link initBackend} hands a provider's `activate`. */
export interface ActivationContext {
  /** The shared tfjs-core instance: register kernels and switch backends on this one. */
  readonly tf: typeof tf;
  /**
   * True when this provider is one candidate among several (`'auto'`, or a
   * list of providers): it should then refuse where it would win but run
   * slowly (a software WebGPU adapter), rather than being picked.
   */
  readonly auto: boolean;
}

/** What a provider reports after activating its backend. */
export interface ActivatedBackend {
  /** The name tfjs reports (`tf.getBackend()`), e.g. `tensorflow` for node. */
  tfBackend: string;
  device: DeviceKind;
  /** Threads used for compute (0 when the backend does not say). */
  threads: number;
  simd: boolean;
  adapter?: AdapterInfo;
  /** Kernel patches and overrides active on the backend, for logs. */
  patches: string[];
  /**
   * Names of the kernel contracts (`@gpt2/backends/kernels`) this backend
   * registered implementations of. Library ops must then never fall back to
   * the reference chain for them; a test holds every provider to it.
   */
  kernels: string[];
  /** OpenBLAS threads, when a native BLAS kernel serves the matMuls. */
  blasThreads?: number;
  /** The BLAS library and its kernel family (native backend), e.g. `OpenBLAS 0.3.21 Zen`. */
  blas?: string;
}

/**
 * One backend, configured by its factory (`createWasmBackend(options)` and so
 * on, each on its own subpath export), activated by {@link initBackend}.
 * A new backend is one more provider module and subpath export.
 */
export interface BackendProvider {
  /** The backend's name in `BackendInfo`, logs and `'auto'`'s order. */
  readonly name: BackendName;
  /** Environments where it can run at all. */
  readonly runsIn: 'node' | 'browser' | 'both';
  /**
   * Load the backend's packages, register its kernels, switch tfjs to it and
   * check that it took; throw a `BackendUnavailableError` saying why and how to
   * fix it otherwise. Called again each time the backend is (re)selected.
   */
  activate(context: ActivationContext): Promise<ActivatedBackend>;
}
