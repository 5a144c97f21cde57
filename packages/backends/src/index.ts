/**
 * `@gpt2/backends`: pick, activate and verify the tfjs backend in one line,
 * `initBackend('auto')`. Each backend is a provider on its own subpath
 * (`@gpt2/backends/wasm` → `createWasmBackend(options)`, and likewise `cpu`,
 * `webgl`, `webgpu`, `node`, `node-gpu`); the custom-kernel contracts are on
 * `@gpt2/backends/kernels`. This module loads no backend until asked.
 */
export {
  BackendUnavailableError,
  type BackendUnavailableReason,
} from './errors/backend-unavailable-error.js';
export {
  WebGpuError,
  type WebGpuErrorKind,
} from './errors/webgpu-error.js';
export {
  AUTO_ORDER,
  describeBackend,
  type InitBackendOptions,
  initBackend,
} from './init-backend.js';
export { type MemoryTracker, trackMemory } from './memory/track-memory.js';
export {
  DEFAULT_PEAK_FLOPS_SIZE,
  type MeasurePeakFlopsOptions,
  measurePeakFlops,
} from './peak-flops.js';
export type {
  ActivatedBackend,
  ActivationContext,
  BackendProvider,
  ImportModule,
} from './provider.js';
export type { NodeBackendOptions } from './providers/tfjs-node.js';
export type { WasmBackendOptions } from './providers/wasm.js';
export type { WebgpuBackendOptions } from './providers/webgpu.js';
export {
  type AdapterInfo,
  BACKEND_NAMES,
  type BackendAttempt,
  type BackendInfo,
  type BackendName,
  type BackendRequest,
  type DeviceKind,
  RESERVED_BACKEND_NAMES,
  type WebGpuLimits,
} from './types.js';
export {
  type CountWebGpuCommandsOptions,
  countWebGpuCommands,
  type PeakMemory,
  type PeakMemoryTracker,
  trackPeakMemory,
  type WebGpuCommandCounter,
  type WebGpuCommandCounts,
} from './webgpu/measure.js';
