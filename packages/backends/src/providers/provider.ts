import type * as tf from '@tensorflow/tfjs-core';
import type { AdapterInfo, BackendName, DeviceKind, WebGpuLimits } from '../types.js';
import type { WebGpuLimitsRequest } from '../webgpu/device.js';

/** Loads a module by name. Swappable so tests can stand in for optional packages. */
export type ImportModule = (specifier: string) => Promise<unknown>;

/** What a provider reports after activating its backend. */
export interface ActivatedBackend {
  tfBackend: string;
  device: DeviceKind;
  threads: number;
  simd: boolean;
  adapter?: AdapterInfo;
  limits?: WebGpuLimits;
  patches: string[];
  blasThreads?: number;
}

/** Context handed to every provider. */
export interface ProviderContext {
  tf: typeof tf;
  importModule: ImportModule;
  /** Allow software WebGPU adapters (SwiftShader). */
  allowSoftwareAdapter: boolean;
  /** Which limits to request for the WebGPU device. */
  webgpuLimits: WebGpuLimitsRequest;
  /** Use the faster kernel overrides where a backend has them (wasm). */
  kernelOverrides: boolean;
  /** Let the native BLAS addon serve the wasm overrides when it is built (Node). */
  nativeBlas: boolean;
  /** OpenBLAS threads; undefined leaves OpenBLAS's own default. */
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
