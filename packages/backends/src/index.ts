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
export {
  DEFAULT_PEAK_FLOPS_SIZE,
  type MeasurePeakFlopsOptions,
  measurePeakFlops,
} from './peak-flops.js';
export { explainNodeImportFailure } from './providers/node.js';
export type { ImportModule } from './providers/provider.js';
export {
  type AdapterInfo,
  BACKEND_NAMES,
  type BackendAttempt,
  type BackendInfo,
  type BackendName,
  type BackendRequest,
  type DeviceKind,
  type WebGpuLimits,
} from './types.js';
export { DEFAULT_WEBGPU_LIMITS, type WebGpuLimitsRequest } from './webgpu/device.js';
export {
  checkWebGpuErrors,
  observeWebGpuDispatches,
  type WebGpuDispatch,
} from './webgpu/device-errors.js';
