/**
 * Record one WGSL compute program with several inputs and outputs on tfjs's
 * webgpu backend (see internals.ts for why not `runWebGPUProgram`).
 *
 * A program names its storage bindings and uniform fields; the runner writes
 * their declarations ahead of the program's WGSL (inputs `read`, outputs
 * `read_write`, then one uniform struct `params`), so that the bindings and
 * the host-side values cannot drift apart. Pipelines are built with an
 * explicit layout (layout `'auto'` drops bindings a shader leaves unused, and
 * then the bind group no longer matches) and cached per device by `key`.
 */
import { env, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { WebGpuError } from '../../errors/webgpu-error.js';
import type { GpuBufferLike, GpuDeviceLike, WebGpuBackendInternals } from './internals.js';

/** WebGPU's `GPUBufferUsage` and `GPUShaderStage` bits (fixed by the spec). */
const USAGE = { COPY_SRC: 0x04, COPY_DST: 0x08, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const COMPUTE_STAGE = 0x4;

/** WGSL element type of a storage binding. */
export type ElementType = 'f32' | 'i32';

/** A uniform field: its WGSL scalar type and value. */
export type UniformValue = readonly ['f32' | 'u32' | 'i32', number];

/** One fused WGSL program, ready to dispatch. */
export interface FusedProgram {
  /** Names the program in labels and error messages. */
  label: string;
  /** Everything the WGSL source depends on: the pipeline cache key. */
  key: string;
  /** Input bindings, in order: name and element type. */
  inputs: readonly (readonly [string, ElementType])[];
  /** Output bindings, in order: name, element type, shape. */
  outputs: readonly (readonly [string, ElementType, readonly number[]])[];
  /** Uniform fields, in order; `workgroups` is added by the runner. */
  uniforms: readonly (readonly [string, UniformValue])[];
  /**
   * Workgroups to run. The runner lays them out in two dimensions when they
   * exceed `maxComputeWorkgroupsPerDimension`; the shader gets the flat index
   * from `workgroupIndex(wid, nwg)` and must return when it is ≥ `params.workgroups`.
   */
  workgroups: number;
  /** The program's WGSL: its entry point is `main`, declarations come from the runner. */
  body(): string;
}

const pipelines = new WeakMap<object, Map<string, { pipeline: unknown; layout: unknown }>>();

function wgslType(type: ElementType): string {
  return type === 'f32' ? 'array<f32>' : 'array<i32>';
}

/** The declarations the runner puts ahead of a program's body. */
function prelude(program: FusedProgram): string {
  const lines: string[] = [];
  let binding = 0;
  for (const [name, type] of program.inputs) {
    lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${name}: ${wgslType(type)};`);
  }
  for (const [name, type] of program.outputs) {
    lines.push(
      `@group(0) @binding(${binding++}) var<storage, read_write> ${name}: ${wgslType(type)};`,
    );
  }
  const fields = [['workgroups', ['u32', 0]] as const, ...program.uniforms].map(
    ([name, [type]]) => `  ${name}: ${type},`,
  );
  lines.push(`struct Params {\n${fields.join('\n')}\n};`);
  lines.push(`@group(0) @binding(${binding}) var<uniform> params: Params;`);
  lines.push(
    'fn workgroupIndex(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.y * nwg.x + wid.x; }',
  );
  return lines.join('\n');
}

function pipelineFor(
  device: GpuDeviceLike,
  program: FusedProgram,
): { pipeline: unknown; layout: unknown } {
  let cache = pipelines.get(device);
  if (!cache) {
    cache = new Map();
    pipelines.set(device, cache);
  }
  const key = `${program.key}|${program.inputs.map(([n, t]) => n + t).join(',')}|${program.outputs.map(([n, t]) => n + t).join(',')}|${program.uniforms.map(([n, [t]]) => n + t).join(',')}`;
  let entry = cache.get(key);
  if (!entry) {
    const storage = [
      ...program.inputs.map(() => 'read-only-storage'),
      ...program.outputs.map(() => 'storage'),
    ];
    const layout = device.createBindGroupLayout({
      label: program.label,
      entries: [
        ...storage.map((type, binding) => ({
          binding,
          visibility: COMPUTE_STAGE,
          buffer: { type },
        })),
        { binding: storage.length, visibility: COMPUTE_STAGE, buffer: { type: 'uniform' } },
      ],
    });
    const module = device.createShaderModule({
      label: program.label,
      code: `${prelude(program)}\n${program.body()}`,
    });
    const pipeline = device.createComputePipeline({
      label: program.label,
      layout: device.createPipelineLayout({ label: program.label, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    entry = { pipeline, layout };
    cache.set(key, entry);
  }
  return entry;
}

/** The uniform buffer of a program: its fields packed as 4-byte scalars, padded to 16 bytes. */
function uniformBuffer(
  backend: WebGpuBackendInternals,
  values: readonly UniformValue[],
): GpuBufferLike {
  const size = Math.max(16, Math.ceil((values.length * 4) / 16) * 16);
  const data = new ArrayBuffer(size);
  const view = new DataView(data);
  values.forEach(([type, value], i) => {
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'u32') view.setUint32(i * 4, value, true);
    else view.setInt32(i * 4, value, true);
  });
  const buffer = backend.bufferManager.acquireBuffer(size, USAGE.UNIFORM | USAGE.COPY_DST);
  backend.queue.writeBuffer(buffer, 0, new Uint8Array(data));
  // Released when the queue is submitted, as tfjs does with its own uniforms.
  backend.uniformPendingDisposal.push(buffer);
  return buffer;
}

/** The GPU buffer of a tensor, uploading its values first when they are still on the CPU. */
export function gpuBuffer(backend: WebGpuBackendInternals, tensor: TensorInfo): GpuBufferLike {
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId).resource;
  if (!resource) throw new Error('webgpu: a tensor has no GPU buffer after upload.');
  return resource;
}

/** Lay `count` workgroups out within the per-dimension limit: [x, y]. */
export function workgroupGrid(count: number, perDimension: number): [number, number] {
  if (count <= perDimension) return [count, 1];
  const y = Math.ceil(count / perDimension);
  if (y > perDimension) throw new RangeError(`webgpu: ${count} workgroups exceed the device grid.`);
  return [Math.ceil(count / y), y];
}

/**
 * Make the outputs of `program` and record its dispatch on the backend's
 * command encoder; returns the outputs (the engine wraps them as tensors).
 * With nothing to compute (zero workgroups or an empty binding) no dispatch is
 * recorded: empty outputs get no values and the others zeros (sums over
 * nothing), which is what each fused kernel's reference gives then.
 */
export function runFusedProgram(
  backend: WebGpuBackendInternals,
  program: FusedProgram,
  inputs: readonly TensorInfo[],
): TensorInfo[] {
  if (inputs.length !== program.inputs.length) {
    throw new Error(
      `${program.label}: ${inputs.length} inputs given, ${program.inputs.length} declared.`,
    );
  }
  const outputs = program.outputs.map(([, type, shape]) =>
    backend.makeTensorInfo([...shape], type === 'f32' ? 'float32' : 'int32'),
  );
  const empty =
    program.workgroups === 0 ||
    [...inputs, ...outputs].some((tensor) => util.sizeFromShape(tensor.shape) === 0);
  if (empty) {
    for (const output of outputs) {
      const size = util.sizeFromShape(output.shape);
      backend.tensorMap.get(output.dataId).values =
        output.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
    }
    return outputs;
  }
  checkFusedLimits(backend, program, [...inputs, ...outputs]);
  const { device } = backend;
  const { pipeline, layout } = pipelineFor(device, program);
  const buffers = [...inputs, ...outputs].map((tensor) => gpuBuffer(backend, tensor));
  const [x, y] = workgroupGrid(
    program.workgroups,
    device.limits.maxComputeWorkgroupsPerDimension ?? 65535,
  );
  const uniforms = uniformBuffer(backend, [
    ['u32', program.workgroups],
    ...program.uniforms.map(([, value]) => value),
  ]);
  const bindGroup = device.createBindGroup({
    label: program.label,
    layout,
    entries: [...buffers, uniforms].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  for (const tensor of [...inputs, ...outputs]) backend.commandQueueOwnedIds.add(tensor.dataId);
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass({});
  const pass = backend.computePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y, 1);
  backend.dispatchCountInPass++;
  if (backend.dispatchCountInPass >= (env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  return outputs;
}

/**
 * Record a buffer-to-buffer copy (a transfer command, not a dispatch) between
 * the buffers of two tensors, in bytes. Ends the open compute pass: copies
 * are recorded between passes.
 */
export function copyBetween(
  backend: WebGpuBackendInternals,
  source: TensorInfo,
  sourceOffset: number,
  destination: TensorInfo,
  destinationOffset: number,
  bytes: number,
): void {
  if (bytes === 0) return;
  const from = gpuBuffer(backend, source);
  const to = gpuBuffer(backend, destination);
  backend.commandQueueOwnedIds.add(source.dataId);
  backend.commandQueueOwnedIds.add(destination.dataId);
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.commandEncoder!.copyBufferToBuffer(from, sourceOffset, to, destinationOffset, bytes);
}

/**
 * A fused program that would break a device limit throws before dispatch, as
 * the device watch does for tfjs's programs (webgpu/device-errors.ts): the
 * kernels keep within 8 storage buffers and split work at the binding size,
 * so this only fires on a bug.
 */
function checkFusedLimits(
  backend: WebGpuBackendInternals,
  program: FusedProgram,
  tensors: readonly TensorInfo[],
): void {
  const buffers = storageBufferLimit(backend);
  if (tensors.length > buffers) {
    throw new WebGpuError({
      kind: 'limit',
      message: `The fused WebGPU program ${program.label} binds ${tensors.length} storage buffers; this device allows ${buffers} per shader stage.`,
      programs: [program.label],
      hint: 'this is a bug in @gpt2/backends: report it; createWebgpuBackend({ fusedKernels: false }) avoids it.',
      limit: 'maxStorageBuffersPerShaderStage',
      required: tensors.length,
      available: buffers,
    });
  }
  const bytes = bindingByteLimit(backend);
  for (const tensor of tensors) {
    const size = util.sizeFromShape(tensor.shape) * 4;
    if (size > bytes) {
      throw new WebGpuError({
        kind: 'limit',
        message: `The fused WebGPU program ${program.label} binds a tensor of ${size} bytes (shape [${tensor.shape.join(', ')}]); this device allows ${bytes} bytes per binding.`,
        programs: [program.label],
        hint: 'use a smaller batch, or createWebgpuBackend({ limits: "adapter" }) where the adapter offers more.',
        limit: 'maxStorageBufferBindingSize',
        required: size,
        available: bytes,
      });
    }
  }
}

/** Storage buffers a device allows per shader stage (8 unless it was requested with more). */
export function storageBufferLimit(backend: WebGpuBackendInternals): number {
  return backend.device.limits.maxStorageBuffersPerShaderStage ?? 8;
}

/** Bytes one storage binding may span on this device. */
export function bindingByteLimit(backend: WebGpuBackendInternals): number {
  const limits = backend.device.limits;
  return Math.min(
    limits.maxStorageBufferBindingSize ?? 134217728,
    limits.maxBufferSize ?? 268435456,
  );
}
