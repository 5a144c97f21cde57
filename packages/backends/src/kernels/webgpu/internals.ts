/**
 * The parts of tfjs-backend-webgpu 4.22's `WebGPUBackend` that our fused
 * kernels use. tfjs's own `runWebGPUProgram` binds one output per program
 * (read-write) and only read-only inputs; a fused kernel returns several
 * outputs (attention: y and the log-sum-exp; LayerNorm: y, mean and 1/σ), so
 * it records its dispatch itself, the way `recordAndSubmit` does: on the
 * backend's command encoder and compute pass, with the same deferred-submit
 * batching and the same bookkeeping that keeps a buffer alive until the
 * queue has run the commands that use it.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';

/** The part of `GPUBuffer` used here. */
export interface GpuBufferLike {
  readonly size: number;
}

/** The part of `GPUComputePassEncoder` used here. */
export interface GpuComputePassLike {
  setPipeline(pipeline: unknown): void;
  setBindGroup(index: number, bindGroup: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
}

/** The part of `GPUCommandEncoder` used here. */
export interface GpuCommandEncoderLike {
  beginComputePass(descriptor?: object): GpuComputePassLike;
  copyBufferToBuffer(
    source: GpuBufferLike,
    sourceOffset: number,
    destination: GpuBufferLike,
    destinationOffset: number,
    size: number,
  ): void;
}

/** The part of `GPUDevice` used here. */
export interface GpuDeviceLike {
  readonly limits: Readonly<Record<string, number>>;
  createShaderModule(descriptor: { code: string; label?: string }): unknown;
  createBindGroupLayout(descriptor: { entries: object[]; label?: string }): unknown;
  createPipelineLayout(descriptor: { bindGroupLayouts: unknown[]; label?: string }): unknown;
  createComputePipeline(descriptor: {
    layout: unknown;
    compute: { module: unknown; entryPoint: string };
    label?: string;
  }): unknown;
  createBindGroup(descriptor: { layout: unknown; entries: object[]; label?: string }): unknown;
}

/** tfjs's per-tensor record on the webgpu backend. */
export interface WebGpuTensorData {
  dtype: string;
  shape: number[];
  values: ArrayLike<number> | null;
  resource: GpuBufferLike | null;
  refCount: number;
}

/** The internals of tfjs's `WebGPUBackend` that a fused kernel records its work with. */
export interface WebGpuBackendInternals {
  device: GpuDeviceLike;
  queue: { writeBuffer(buffer: GpuBufferLike, offset: number, data: ArrayBufferView): void };
  tensorMap: { get(dataId: object): WebGpuTensorData; has(dataId: object): boolean };
  bufferManager: {
    acquireBuffer(size: number, usage: number): GpuBufferLike;
  };
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GpuBufferLike[];
  commandEncoder: GpuCommandEncoderLike | null;
  computePassEncoder: GpuComputePassLike | null;
  dispatchCountInPass: number;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  makeTensorInfo(shape: number[], dtype: string): TensorInfo;
  uploadToGPU(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

const METHODS = [
  'ensureCommandEncoderReady',
  'endComputePassEncoder',
  'submitQueue',
  'makeTensorInfo',
  'uploadToGPU',
  'disposeData',
] as const;

/**
 * The tfjs webgpu backend as {@link WebGpuBackendInternals}, or a message
 * saying what is missing (another tfjs version renamed something): the
 * provider then leaves the fused kernels out, with that message, rather than
 * recording commands the backend does not know about.
 */
export function webGpuInternals(backend: unknown): WebGpuBackendInternals | string {
  const candidate = backend as Partial<Record<string, unknown>> | undefined;
  if (!candidate) return 'no webgpu backend';
  const missing: string[] = METHODS.filter((name) => typeof candidate[name] !== 'function');
  for (const field of ['device', 'queue', 'tensorMap', 'bufferManager', 'uniformPendingDisposal']) {
    if (candidate[field] === undefined || candidate[field] === null) missing.push(field);
  }
  if (!('dispatchCountInPass' in candidate)) missing.push('dispatchCountInPass');
  if (!(candidate.commandQueueOwnedIds instanceof WeakSet)) missing.push('commandQueueOwnedIds');
  if (missing.length > 0)
    return `tfjs-backend-webgpu internals changed (missing ${missing.join(', ')})`;
  return backend as WebGpuBackendInternals;
}
