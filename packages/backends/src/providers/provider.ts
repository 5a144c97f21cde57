import type * as tf from '@tensorflow/tfjs-core';
import type { AdapterInfo, BackendName, DeviceKind } from '../types.js';

/** Loads a module by name. Swappable so tests can stand in for optional packages. */
export type ImportModule = (specifier: string) => Promise<unknown>;

/** What a provider reports after activating its backend. */
export interface ActivatedBackend {
  tfBackend: string;
  device: DeviceKind;
  threads: number;
  simd: boolean;
  adapter?: AdapterInfo;
  patches: string[];
  blasThreads?: number;
  /** The BLAS library and its kernel family (native backend), e.g. `OpenBLAS 0.3.21 Zen`. */
  blas?: string;
  /** Kernels that run in the native addon (native backend). */
  nativeKernels?: string[];
}

/** Context handed to every provider. */
export interface ProviderContext {
  tf: typeof tf;
  importModule: ImportModule;
  /** Allow software WebGPU adapters (SwiftShader). */
  allowSoftwareAdapter: boolean;
  /** Use the faster kernel overrides where a backend has them (wasm). */
  kernelOverrides: boolean;
  /** Let the native BLAS addon serve the wasm overrides when it is built (Node). */
  nativeBlas: boolean;
  /** OpenBLAS threads (native backend: its kernel threads); undefined leaves the default. */
  blasThreads: number | undefined;
}

/** One backend: how to load and activate it. */
export interface BackendProvider {
  name: BackendName;
  /** Environments where it can run at all. */
  runsIn: 'node' | 'browser' | 'both';
  /** Activates the backend or throws a `BackendUnavailableError`. */
  activate(context: ProviderContext): Promise<ActivatedBackend>;
}
