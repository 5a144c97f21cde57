/**
 * The WebGPU device behind the `webgpu` backend, requested by us rather than
 * by tfjs: tfjs-backend-webgpu 4.22 asks for the adapter's binding and buffer
 * sizes but keeps WebGPU's default of 8 storage buffers per shader stage, and
 * reports nothing. We ask for every limit its kernels depend on, at the most
 * the adapter offers, and hand the device to its `WebGPUBackend` constructor.
 */
import type { WebGpuLimits } from '../types.js';
import type { GpuAdapterLike } from './adapter.js';

/** Which limits to request from the adapter. */
export type WebGpuLimitsRequest =
  /** Everything the adapter offers for the limits tfjs's kernels depend on. */
  | 'adapter'
  /**
   * WebGPU's defaults (8 storage buffers per stage, 128 MiB per binding, 256
   * MiB per buffer), which every adapter supports: to reproduce a small device.
   */
  | 'default';

/** The limits we request and report, in the order `describeBackend` prints them. */
export const WEBGPU_LIMIT_NAMES = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const satisfies readonly (keyof WebGpuLimits)[];

/** A `GPUAdapter`, as far as requesting its device goes. */
export interface GpuAdapterWithDevice extends GpuAdapterLike {
  features?: { has(name: string): boolean };
  limits?: Record<string, number>;
  requestDevice(descriptor?: object): Promise<GpuDeviceLike>;
}

/** The parts of `GPUDevice` that @gpt2/backends uses. */
export interface GpuDeviceLike {
  readonly limits: Record<string, number>;
  readonly lost: Promise<{ reason?: string; message: string }>;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  addEventListener?(
    type: 'uncapturederror',
    listener: (event: GpuUncapturedErrorEvent) => void,
  ): void;
  createShaderModule(descriptor: { label?: string; code: string }): unknown;
  createComputePipeline(descriptor: { label?: string }): unknown;
  createComputePipelineAsync?(descriptor: { label?: string }): Promise<unknown>;
  destroy?(): void;
}

/** `GPUUncapturedErrorEvent`, as far as we read it. */
export interface GpuUncapturedErrorEvent {
  error: { message: string; constructor?: { name?: string } };
  preventDefault?(): void;
}

/** The requested limits: the adapter's values, or none (WebGPU's defaults). */
export function requiredLimits(
  adapter: GpuAdapterWithDevice,
  request: WebGpuLimitsRequest,
): Record<string, number> {
  if (request === 'default' || !adapter.limits) return {};
  const limits: Record<string, number> = {};
  for (const name of WEBGPU_LIMIT_NAMES) {
    const value = adapter.limits[name];
    if (typeof value === 'number' && Number.isFinite(value)) limits[name] = value;
  }
  return limits;
}

/** The device's limits as granted (a device may grant more than asked, never less). */
export function readLimits(device: { limits: Record<string, number> }): WebGpuLimits {
  const limits = {} as Record<keyof WebGpuLimits, number>;
  for (const name of WEBGPU_LIMIT_NAMES) limits[name] = Number(device.limits[name]);
  return limits;
}

/**
 * Request a device with the limits of `request` and, where the adapter has
 * it, `timestamp-query` (as tfjs does, for `tf.time`). Throws the adapter's
 * own error when it refuses.
 */
export async function requestWebGpuDevice(
  adapter: GpuAdapterWithDevice,
  request: WebGpuLimitsRequest,
): Promise<GpuDeviceLike> {
  const requiredFeatures = adapter.features?.has('timestamp-query') ? ['timestamp-query'] : [];
  return adapter.requestDevice({
    requiredFeatures,
    requiredLimits: requiredLimits(adapter, request),
  });
}

const MIB = 1024 * 1024;

/** `1 GiB`, `128 MiB`, `16 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MIB && bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)} GiB`;
  if (bytes >= MIB) return `${Math.round(bytes / MIB)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} B`;
}

/** The limits that decide which models fit, for one line of logs. */
export function describeLimits(limits: WebGpuLimits): string {
  return (
    `${limits.maxStorageBuffersPerShaderStage} storage buffers/stage, ` +
    `${formatBytes(limits.maxStorageBufferBindingSize)}/binding, ` +
    `${formatBytes(limits.maxBufferSize)}/buffer`
  );
}
