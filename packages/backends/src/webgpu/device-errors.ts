/**
 * No silent GPU errors. A WebGPU device reports a rejected pipeline, an
 * oversized binding or a failed allocation asynchronously, as an error object
 * that nobody reads unless asked; tfjs-backend-webgpu never asks, so the op
 * returns garbage (or the zeros of a skipped command buffer) and training
 * carries on. This module watches the device of a tfjs `WebGPUBackend`:
 *
 * - **Before each dispatch** (synchronous, a few comparisons): a program that
 *   binds more storage buffers than `maxStorageBuffersPerShaderStage`, or a
 *   tensor larger than `maxStorageBufferBindingSize` / `maxBufferSize`, throws
 *   a {@link WebGpuError} of kind `limit` at the op, before the device sees it.
 * - **Pipeline creation** (once per shader) runs inside its own error scopes,
 *   so a rejected shader is pinned to its program.
 * - **Everything else** (bind groups, buffers, uniform writes, the submit)
 *   runs inside rolling error scopes, closed and reopened at each queue
 *   submit (tfjs submits every 15 dispatches and before each read), so an
 *   error is pinned to the programs of that batch.
 * - A last `uncapturederror` listener catches what escapes the scopes, and
 *   `device.lost` marks the device as gone.
 *
 * A recorded error is thrown at the next op on this backend, or by the
 * pending `data()`, which waits for the scopes of its own submit first.
 * Each error is thrown once; a lost device fails every later op.
 */
import { WebGpuError, type WebGpuErrorKind } from '../errors/webgpu-error.js';
import type { WebGpuLimits } from '../types.js';
import { formatBytes, type GpuDeviceLike, readLimits } from './device.js';

/** The parts of a tfjs `WebGPUProgram` read here. */
interface ProgramLike {
  shaderKey?: string;
  outputShape?: number[];
  pixelsOpType?: number | null;
}

/** The parts of a tfjs `TensorInfo` read here. */
interface TensorInfoLike {
  shape: number[];
  dtype: string;
}

/** The parts of tfjs-backend-webgpu 4.22's `WebGPUBackend` that the watch wraps. */
export interface WebGpuBackendInternals {
  device: GpuDeviceLike;
  runWebGPUProgram(
    program: ProgramLike,
    inputs: TensorInfoLike[],
    outputDtype: string,
    uniforms?: unknown,
    output?: TensorInfoLike,
  ): TensorInfoLike;
  submitQueue(): void;
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
}

/** One program dispatch, as seen by {@link observeWebGpuDispatches}. */
export interface WebGpuDispatch {
  /** The program's name: its class, then its shader key, e.g. `AddNPackedProgram (addN)`. */
  program: string;
  /** Storage buffers it binds: its inputs plus its output. */
  storageBuffers: number;
  /** Bytes of its largest input or output binding. */
  largestBinding: number;
}

const FILTERS = ['internal', 'out-of-memory', 'validation'] as const;
/** `popErrorScope` returns the innermost scope first. */
const POPPED: readonly WebGpuErrorKind[] = ['validation', 'out-of-memory', 'internal'];
const MAX_BATCH_NAMES = 32;

const HINTS: Record<Exclude<WebGpuErrorKind, 'limit'>, string> = {
  validation:
    'the device rejected this work, so the results of its batch are invalid. A program exceeded a device limit or has a bug: report the message above with your model size.',
  'out-of-memory':
    'the GPU ran out of memory: use a smaller batch, context or model, and dispose tensors you no longer need (tf.memory() shows what is held).',
  internal:
    'the WebGPU implementation failed on this program (often a shader too large for the driver): try smaller shapes or another backend.',
  'device-lost':
    "the GPU device is gone with every tensor on it (driver reset or crash): call initBackend('webgpu') again and reload the model.",
};

/** Bytes a tensor of this dtype takes on the GPU (tfjs stores bool as int32). */
function bytesOf(tensor: TensorInfoLike): number {
  const elements = tensor.shape.reduce((a, b) => a * b, 1);
  return elements * (tensor.dtype === 'complex64' ? 8 : 4);
}

/**
 * A program's name. Class names survive in Node; a minifying bundler renames
 * them, and the shader key (set in the program's constructor) still says
 * which program it is.
 */
export function programName(program: ProgramLike): string {
  const className = (program as { constructor?: { name?: string } }).constructor?.name ?? '';
  const key = (program.shaderKey ?? '').slice(0, 40);
  if (className.length > 3 && className !== 'Object')
    return key ? `${className} (${key})` : className;
  return key ? `program '${key}'` : 'an unnamed program';
}

function kindOf(error: { constructor?: { name?: string } }): WebGpuErrorKind {
  const name = error.constructor?.name ?? '';
  if (/OutOfMemory/i.test(name)) return 'out-of-memory';
  if (/Internal/i.test(name)) return 'internal';
  return 'validation';
}

/** Wording of Dawn's and Chromium's messages that points at a device limit. */
const LIMIT_PATTERNS: readonly [RegExp, keyof WebGpuLimits][] = [
  [/workgroup storage/i, 'maxComputeWorkgroupStorageSize'],
  [/storage buffers/i, 'maxStorageBuffersPerShaderStage'],
  [/binding size|maxStorageBufferBindingSize/i, 'maxStorageBufferBindingSize'],
  [/buffer size|maxBufferSize/i, 'maxBufferSize'],
  [/invocations/i, 'maxComputeInvocationsPerWorkgroup'],
  [/workgroups? ?(count|per dimension)|dispatch size/i, 'maxComputeWorkgroupsPerDimension'],
  [/workgroup size/i, 'maxComputeWorkgroupSizeX'],
];

/** The device limit a device error message is about, when its wording says (many name none). */
export function limitNamedIn(message: string): keyof WebGpuLimits | undefined {
  return LIMIT_PATTERNS.find(([pattern]) => pattern.test(message))?.[1];
}

/** Dawn repeats the culprit in every follow-up error; the first line carries the news. */
function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

/** The watch on one backend; see the module comment. */
class DeviceErrorWatch {
  readonly limits: WebGpuLimits;
  readonly observers = new Set<(dispatch: WebGpuDispatch) => void>();
  private readonly device: GpuDeviceLike;
  private readonly backend: WebGpuBackendInternals;
  private readonly adapterLimits: Record<string, number> | undefined;
  /** Errors reported by the device and not yet thrown, in the order the device saw them. */
  private recorded: {
    order: number;
    kind: WebGpuErrorKind;
    message: string;
    programs: readonly string[];
  }[] = [];
  private lost: WebGpuError | undefined;
  private readonly pending = new Set<Promise<void>>();
  /** Programs recorded since the rolling scopes were last opened. */
  private batch: string[] = [];
  private current: string | undefined;
  private order = 0;

  constructor(backend: WebGpuBackendInternals, adapterLimits?: Record<string, number>) {
    this.backend = backend;
    this.device = backend.device;
    this.limits = readLimits(backend.device);
    this.adapterLimits = adapterLimits;
    this.wrapBackend(backend);
    this.wrapPipelineCreation();
    this.device.addEventListener?.('uncapturederror', (event) => {
      event.preventDefault?.();
      this.record(kindOf(event.error), event.error.message, ['(outside the watched calls)']);
    });
    this.device.lost.then((info) => {
      if (info.reason === 'destroyed') return;
      this.lost = new WebGpuError({
        kind: 'device-lost',
        message: `The WebGPU device was lost: ${info.message || info.reason || 'no reason given'}.`,
        programs: [],
        hint: HINTS['device-lost'],
      });
    });
    this.openScopes();
  }

  /** Throw the first recorded error (once), or the lost device (always). */
  throwIfFailed(): void {
    if (this.lost) throw this.lost;
    if (this.recorded.length === 0) return;
    const [first, ...rest] = this.recorded.sort((a, b) => a.order - b.order);
    this.recorded = [];
    const { kind, message, programs } = first!;
    const where =
      programs.length === 1
        ? programs[0]
        : `one of a batch of ${programs.length} programs (${programs.join(', ')})`;
    const later =
      rest.length === 0
        ? ''
        : `\n  Then ${rest.length} more device error${rest.length === 1 ? '' : 's'}, most likely consequences: ${rest.map((r) => firstLine(r.message)).join(' | ')}`;
    const limit = limitNamedIn(message);
    throw new WebGpuError({
      kind,
      message: `WebGPU ${kind} error in ${where}: ${message.trim()}${later}`,
      programs,
      hint: HINTS[kind as Exclude<WebGpuErrorKind, 'limit'>] ?? HINTS.validation,
      ...(limit ? { limit, available: this.limits[limit] } : {}),
    });
  }

  /** Submit what tfjs has recorded but not yet submitted, so that its scopes close. */
  flush(): void {
    const backend = this.backend as WebGpuBackendInternals & {
      ensureCommandEncoderReady?(): void;
      endComputePassEncoder?(): void;
    };
    if (!backend.ensureCommandEncoderReady || !backend.endComputePassEncoder) return;
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
  }

  /** Wait until every closed scope has reported. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private wrapBackend(backend: WebGpuBackendInternals): void {
    const run = backend.runWebGPUProgram.bind(backend);
    const submit = backend.submitQueue.bind(backend);
    const read = backend.read.bind(backend);
    const readSync = backend.readSync.bind(backend);
    backend.runWebGPUProgram = (program, inputs, outputDtype, uniforms, output) => {
      this.throwIfFailed();
      const name = programName(program);
      this.check(
        program,
        name,
        inputs,
        output ?? { shape: program.outputShape ?? [], dtype: outputDtype },
      );
      if (this.batch.at(-1) !== name && this.batch.length < MAX_BATCH_NAMES) this.batch.push(name);
      this.current = name;
      try {
        return run(program, inputs, outputDtype, uniforms, output);
      } finally {
        this.current = undefined;
      }
    };
    backend.submitQueue = () => {
      submit();
      this.closeScopes(this.batch);
      this.batch = [];
      this.openScopes();
    };
    backend.read = async (dataId) => {
      let values: unknown;
      try {
        values = await read(dataId);
      } catch (error) {
        await this.settle();
        this.throwIfFailed();
        throw error;
      }
      await this.settle();
      this.throwIfFailed();
      return values;
    };
    backend.readSync = (dataId) => {
      this.throwIfFailed();
      return readSync(dataId);
    };
  }

  /** Pin shader and pipeline errors to the program being compiled (once per shader key). */
  private wrapPipelineCreation(): void {
    const device = this.device;
    const scoped = <D extends { label?: string }, R>(create: (descriptor: D) => R) => {
      return (descriptor: D): R => {
        const programs = [this.current ?? descriptor.label ?? 'a pipeline'];
        this.openScopes();
        try {
          return create(descriptor);
        } finally {
          this.closeScopes(programs);
        }
      };
    };
    device.createShaderModule = scoped(device.createShaderModule.bind(device));
    device.createComputePipeline = scoped(device.createComputePipeline.bind(device));
    const createAsync = device.createComputePipelineAsync?.bind(device);
    if (createAsync) {
      device.createComputePipelineAsync = (descriptor) => {
        const programs = [this.current ?? descriptor.label ?? 'a pipeline'];
        return createAsync(descriptor).catch((error: unknown) => {
          this.record('validation', String((error as Error)?.message ?? error), programs);
          throw error;
        });
      };
    }
  }

  /** The limits a program can be checked against before it runs. */
  private check(
    program: ProgramLike,
    name: string,
    inputs: TensorInfoLike[],
    output: TensorInfoLike,
  ): void {
    // Pixel programs bind textures, not storage buffers.
    if (program.pixelsOpType != null) return;
    const storageBuffers = inputs.length + 1;
    let largestBinding = bytesOf(output);
    for (const input of inputs) largestBinding = Math.max(largestBinding, bytesOf(input));
    for (const observer of this.observers)
      observer({ program: name, storageBuffers, largestBinding });
    const { maxStorageBuffersPerShaderStage, maxStorageBufferBindingSize, maxBufferSize } =
      this.limits;
    if (storageBuffers > maxStorageBuffersPerShaderStage) {
      throw this.limitError(
        name,
        'maxStorageBuffersPerShaderStage',
        storageBuffers,
        maxStorageBuffersPerShaderStage,
        `${name} binds ${storageBuffers} storage buffers (${inputs.length} inputs and its output); this device allows ${maxStorageBuffersPerShaderStage} per shader stage`,
        "give the op fewer inputs. For AddN, @gpt2/backends' chunked kernel does (kernelOverrides, on by default); for another kernel, please report it with the op that called it.",
      );
    }
    const limit =
      maxBufferSize < maxStorageBufferBindingSize
        ? { name: 'maxBufferSize', value: maxBufferSize }
        : { name: 'maxStorageBufferBindingSize', value: maxStorageBufferBindingSize };
    if (largestBinding > limit.value) {
      throw this.limitError(
        name,
        limit.name,
        largestBinding,
        limit.value,
        `${name} needs a ${formatBytes(largestBinding)} tensor in one binding; this device allows ${formatBytes(limit.value)} (${limit.name})`,
        'use a smaller batch, context or model on this device, or the wasm backend (4 GB heap) or cpu.',
      );
    }
  }

  private limitError(
    program: string,
    limit: string,
    required: number,
    available: number,
    message: string,
    hint: string,
  ): WebGpuError {
    const offered = this.adapterLimits?.[limit];
    const better =
      offered !== undefined && offered > available
        ? `this adapter offers ${limit.includes('Size') ? formatBytes(offered) : offered}: request the adapter's limits (the default of initBackend('webgpu')), or `
        : '';
    return new WebGpuError({
      kind: 'limit',
      message: `WebGPU limit exceeded: ${message}.`,
      programs: [program],
      limit,
      required,
      available,
      hint: better ? `${better}${hint}` : hint,
    });
  }

  private openScopes(): void {
    for (const filter of FILTERS) this.device.pushErrorScope(filter);
  }

  private closeScopes(programs: readonly string[]): void {
    const order = this.order++;
    const pops = POPPED.map(() => this.device.popErrorScope());
    const done = Promise.all(pops).then(
      (errors) => {
        errors.forEach((error, i) => {
          if (error) this.record(POPPED[i]!, error.message, programs, order);
        });
      },
      (error: unknown) => this.record('internal', String(error), programs, order),
    );
    const tracked = done.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private record(
    kind: WebGpuErrorKind,
    message: string,
    programs: readonly string[],
    order = this.order++,
  ): void {
    this.recorded.push({ order, kind, message, programs });
  }
}

const watches = new WeakMap<object, DeviceErrorWatch>();

/**
 * Install the watch on a tfjs `WebGPUBackend` (once per backend). Returns the
 * limits the device really has. `adapterLimits` lets limit errors say when
 * the adapter offered more than the device was given.
 */
export function watchDeviceErrors(
  backend: WebGpuBackendInternals,
  adapterLimits?: Record<string, number>,
): WebGpuLimits {
  let watch = watches.get(backend);
  if (!watch) {
    watch = new DeviceErrorWatch(backend, adapterLimits);
    watches.set(backend, watch);
  }
  return watch.limits;
}

/** True when `backend` is a WebGPU backend under {@link watchDeviceErrors}. */
export function isWatched(backend: object): boolean {
  return watches.has(backend);
}

/**
 * Call `listener` for every program dispatched on `backend` (a watched tfjs
 * `WebGPUBackend`, e.g. `tf.backend()`), before it runs: its name, how many
 * storage buffers it binds and its largest binding. For audits and dispatch
 * counts. Returns a function that stops listening.
 */
export function observeWebGpuDispatches(
  backend: object,
  listener: (dispatch: WebGpuDispatch) => void,
): () => void {
  const watch = watches.get(backend);
  if (!watch) {
    throw new Error(
      "observeWebGpuDispatches: the backend is not a watched WebGPU backend; activate it with initBackend('webgpu').",
    );
  }
  watch.observers.add(listener);
  return () => watch.observers.delete(listener);
}

/**
 * Submit the work recorded so far, wait until the device has reported on it,
 * then throw the first error it reported, if any. `await tensor.data()` does this by itself;
 * this is for code that wants a checkpoint without reading a tensor.
 */
export async function checkWebGpuErrors(backend: object): Promise<void> {
  const watch = watches.get(backend);
  if (!watch) return;
  watch.flush();
  await watch.settle();
  watch.throwIfFailed();
}
