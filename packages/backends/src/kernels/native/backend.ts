/**
 * The 'native' tfjs backend: tfjs-backend-cpu's storage model (each tensor a
 * TypedArray in Node memory, so no 4 GB ceiling) with the hot kernels in the
 * native addon, which reads and writes those arrays in place.
 *
 * Storage is recycled when a tensor is disposed, not left to the garbage
 * collector: once no tensor uses the ArrayBuffer of an array that a kernel
 * made, and it never left the backend (read by `dataSync`/`data`, where a
 * caller may still hold it), it goes to a cache of free buffers by size, and
 * the next kernel output of that size reuses it. A training step allocates
 * the same sizes every step, so after the first one it touches no new memory
 * (fresh pages cost a page fault each, which made element-wise kernels 10–30×
 * slower). Past the cache's limit, a released buffer is detached and its
 * memory freed at once. Arrays from the caller (`tf.tensor(values)`) are
 * never reused or detached.
 */
import { Buffer } from 'node:buffer';
import { totalmem } from 'node:os';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { backend_util, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from './native-kernels.js';

/** Weights smaller than this are not moved to huge pages (at most one 2 MiB page would fit). */
const HUGE_PAGES_MIN_BYTES = 4 << 20;

/** Arrays smaller than this are left to the garbage collector (tracking costs more than it saves). */
const RELEASE_MIN_BYTES = 1 << 12;

/**
 * Default {@link NativeBackend.cacheLimitBytes}: free buffers kept for reuse,
 * a quarter of the machine's memory up to 8 GiB. A training step reuses what
 * the previous one freed, so the cache costs little beyond the step's own
 * peak; a smaller one makes large steps fault in fresh pages every time.
 */
export const DEFAULT_NATIVE_CACHE_BYTES = Math.min(totalmem() / 4, 8 * 1024 ** 3);

interface BufferUse {
  /** Tensors (data ids) whose values live in this buffer: views share it. */
  tensors: number;
  /** Made by a kernel, so no one outside the backend can hold it... */
  owned: boolean;
  /** ...unless it was handed out by a read. */
  escaped: boolean;
}

export type NativeStorage = Float32Array | Int32Array | Uint8Array;

interface TensorData {
  values?: backend_util.BackendValues;
  dtype: DataType;
  refCount: number;
}

/** What the backend needs of the addon. */
export type NativeBackendAddon = NativeKernels;

export class NativeBackend extends MathBackendCPU {
  readonly addon: NativeBackendAddon;
  /** > 0 while a kernel runs: arrays written then are the backend's own. */
  kernelDepth = 0;
  /** Bytes of fresh storage allocated so far (not served from the cache): flat in a steady loop. */
  allocatedBytes = 0;
  /** Free buffers kept for reuse; beyond this many bytes, released buffers are freed. */
  cacheLimitBytes = DEFAULT_NATIVE_CACHE_BYTES;
  readonly #buffers = new WeakMap<ArrayBufferLike, BufferUse>();
  /**
   * Buffers that hold a tensor grown by appending (a KV cache), with the bytes
   * the longest view of it covers: no tensor sees the buffer beyond it.
   */
  readonly #frontiers = new WeakMap<ArrayBufferLike, number>();
  /** Free buffers by byte length. */
  readonly #free = new Map<number, ArrayBuffer[]>();
  #freeBytes = 0;
  /** The most bytes {@link NativeBackend.streamed} moves onto huge pages (NativeBackendOptions.hugePageBytes). */
  hugePageBytes = 0;
  /** Buffers {@link NativeBackend.streamed} has seen. */
  readonly #streamed = new WeakSet<ArrayBufferLike>();
  #hugePageBytesUsed = 0;

  constructor(addon: NativeBackendAddon) {
    super();
    this.addon = addon;
    // MathBackendCPU prints a "use tfjs-node" banner on its first write.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** Uninitialised storage for a kernel's output (every element is written by the kernel). */
  allocate(dtype: DataType, size: number): NativeStorage {
    const bytes = dtype === 'bool' ? size : size * 4;
    let buffer = this.#reuse(bytes);
    if (!buffer) {
      buffer = Buffer.allocUnsafeSlow(bytes).buffer;
      this.allocatedBytes += bytes;
    }
    if (dtype === 'bool') return new Uint8Array(buffer, 0, size);
    return dtype === 'int32' ? new Int32Array(buffer, 0, size) : new Float32Array(buffer, 0, size);
  }

  /**
   * Storage for a float32 tensor of `size` elements whose first ones are
   * `past`'s values, for a kernel that grows a tensor by appending (the KV
   * cache of `GPT2Block`). When no tensor sees `past`'s buffer beyond past's
   * own end, this is a longer view of that buffer: the past values are already
   * in place, and the kernel writes only the new elements, where no tensor
   * looks (past's values never change). Otherwise (no past, a buffer too
   * small, or a past that is not the longest view of its buffer: after a
   * crop, or a second extension of the same past) it is a new buffer with
   * room for `capacity` elements, into which the kernel copies past first.
   * Call {@link NativeBackend.commitExtension} once the kernel has written it.
   */
  extend(past: NativeStorage | undefined, size: number, capacity: number): Float32Array {
    if (
      past instanceof Float32Array &&
      past.byteOffset === 0 &&
      past.buffer.byteLength >= size * 4 &&
      this.#frontiers.get(past.buffer) === past.byteLength
    ) {
      return new Float32Array(past.buffer, 0, size);
    }
    const bytes = Math.max(size, capacity) * 4;
    let buffer = this.#reuse(bytes);
    if (!buffer) {
      buffer = Buffer.allocUnsafeSlow(bytes).buffer;
      this.allocatedBytes += bytes;
    }
    return new Float32Array(buffer, 0, size);
  }

  /** Record that `values`, from {@link NativeBackend.extend}, is now its buffer's longest view. */
  commitExtension(values: Float32Array): void {
    this.#frontiers.set(values.buffer, values.byteLength);
  }

  /**
   * Note that a kernel streams `values` from memory over and over (a decode
   * step reads every weight once per token): the first time, a large array
   * is moved onto 2 MiB pages in place, up to {@link NativeBackend.hugePageBytes}
   * in all, which makes that stream 7–15% faster (native/gpt2_memory.c).
   * Values never change.
   */
  streamed(values: NativeStorage): void {
    const buffer = values.buffer;
    if (this.#streamed.has(buffer)) return;
    this.#streamed.add(buffer);
    const bytes = buffer.byteLength;
    if (bytes < HUGE_PAGES_MIN_BYTES || this.#hugePageBytesUsed + bytes > this.hugePageBytes)
      return;
    this.#hugePageBytesUsed += bytes;
    this.addon.hugePages(new Uint8Array(buffer), true);
  }

  /** Scratch memory for one kernel call (from the cache of free buffers); give it back with {@link NativeBackend.releaseScratch}. */
  scratch(size: number): Float32Array {
    const bytes = Math.max(size, 1) * 4;
    let buffer = this.#reuse(bytes);
    if (!buffer) {
      buffer = Buffer.allocUnsafeSlow(bytes).buffer;
      this.allocatedBytes += bytes;
    }
    return new Float32Array(buffer);
  }

  /** Give back memory from {@link NativeBackend.scratch}. */
  releaseScratch(values: Float32Array): void {
    if (values.byteLength >= RELEASE_MIN_BYTES) this.#recycle(values);
  }

  #reuse(bytes: number): ArrayBuffer | undefined {
    if (bytes < RELEASE_MIN_BYTES) return undefined;
    const buffer = this.#free.get(bytes)?.pop();
    if (buffer) this.#freeBytes -= bytes;
    return buffer;
  }

  /** A buffer no tensor uses any more: keep it for reuse, or free it past the cache limit. */
  #recycle(values: ArrayBufferView): void {
    const buffer = values.buffer as ArrayBuffer;
    // The whole buffer is free, whichever view of it went last (slices and a
    // grown KV cache view part of one).
    this.#frontiers.delete(buffer);
    if (this.#freeBytes + buffer.byteLength <= this.cacheLimitBytes) {
      const list = this.#free.get(buffer.byteLength);
      if (list) list.push(buffer);
      else this.#free.set(buffer.byteLength, [buffer]);
      this.#freeBytes += buffer.byteLength;
    } else {
      this.addon.release(values);
    }
  }

  /** Bytes of free buffers kept for reuse. */
  get cachedBytes(): number {
    return this.#freeBytes;
  }

  /** Free every cached buffer now (their memory goes back to the system). */
  emptyCache(): void {
    for (const list of this.#free.values()) {
      for (const buffer of list) this.addon.release(new Uint8Array(buffer, 0, 0));
    }
    this.#free.clear();
    this.#freeBytes = 0;
  }

  override dispose(): void {
    this.emptyCache();
    super.dispose();
  }

  /** The storage of a tensor, in place. */
  values(tensor: TensorInfo): NativeStorage {
    return this.data.get(tensor.dataId)!.values as NativeStorage;
  }

  /**
   * Whether a kernel may overwrite `tensor`'s storage: no other tensor (a
   * reshape shares the data id, a slice the buffer) and no array handed out
   * by `dataSync` sees it. Small buffers are not tracked, so never.
   */
  exclusive(tensor: TensorInfo): boolean {
    const values = (this.data.get(tensor.dataId) as TensorData | undefined)?.values;
    if (!ArrayBuffer.isView(values) || this.refCount(tensor.dataId) !== 1) return false;
    const use = this.#buffers.get(values.buffer);
    return use !== undefined && use.tensors === 1 && !use.escaped;
  }

  /** A new tensor over `values` (owned by the backend). */
  output(shape: number[], dtype: DataType, values: NativeStorage): TensorInfo {
    return this.makeTensorInfo(shape, dtype, values);
  }

  #track(values: backend_util.BackendValues | undefined, owned: boolean): void {
    // By the buffer's size, not the view's: a small slice of a large buffer must still count.
    if (!ArrayBuffer.isView(values) || values.buffer.byteLength < RELEASE_MIN_BYTES) return;
    const use = this.#buffers.get(values.buffer);
    if (use) use.tensors++;
    else this.#buffers.set(values.buffer, { tensors: 1, owned, escaped: false });
  }

  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): object {
    const dataId = super.write(values, shape, dtype);
    this.#track(values, this.kernelDepth > 0);
    return dataId;
  }

  override move(
    dataId: object,
    values: backend_util.BackendValues,
    shape: number[],
    dtype: DataType,
    refCount: number,
  ): void {
    super.move(dataId, values, shape, dtype, refCount);
    this.#track(values, false);
  }

  override readSync(dataId: object): backend_util.BackendValues {
    const values = (this.data.get(dataId) as TensorData | undefined)?.values;
    if (ArrayBuffer.isView(values)) {
      const use = this.#buffers.get(values.buffer);
      if (use) use.escaped = true;
    }
    return super.readSync(dataId);
  }

  override disposeData(dataId: object, force = false): boolean {
    const values = (this.data.get(dataId) as TensorData | undefined)?.values;
    const released = super.disposeData(dataId, force);
    if (released && ArrayBuffer.isView(values) && !this.data.has(dataId)) {
      const use = this.#buffers.get(values.buffer);
      if (use && --use.tensors === 0) {
        this.#buffers.delete(values.buffer);
        if (use.owned && !use.escaped) this.#recycle(values);
      }
    }
    return released;
  }
}
