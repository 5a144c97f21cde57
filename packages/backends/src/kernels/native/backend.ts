/**
 * The 'native' tfjs backend: tfjs-backend-cpu's storage model (each tensor a
 * TypedArray in Node memory, so no 4 GB ceiling) with the hot kernels in the
 * native addon, which reads and writes those arrays in place.
 *
 * Storage is freed when a tensor is disposed, not at the next garbage
 * collection: the ArrayBuffer of an array that a kernel made is detached
 * (its memory released) once no tensor uses it, unless it ever left the
 * backend (read by `dataSync`/`data`), where a caller may still hold it.
 * Arrays that came from the caller (`tf.tensor(values)`) are never detached.
 */
import { Buffer } from 'node:buffer';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { backend_util, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeKernels } from './native-kernels.js';

/** Arrays smaller than this are left to the garbage collector (detaching costs more than it saves). */
const RELEASE_MIN_BYTES = 1 << 14;

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
  readonly #buffers = new WeakMap<ArrayBufferLike, BufferUse>();

  constructor(addon: NativeBackendAddon) {
    super();
    this.addon = addon;
    // MathBackendCPU prints a "use tfjs-node" banner on its first write.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** Uninitialised storage for a kernel's output (every element is written by the kernel). */
  allocate(dtype: DataType, size: number): NativeStorage {
    if (dtype === 'bool') return new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
    const buffer = Buffer.allocUnsafeSlow(size * 4).buffer;
    return dtype === 'int32' ? new Int32Array(buffer, 0, size) : new Float32Array(buffer, 0, size);
  }

  /** The storage of a tensor, in place. */
  values(tensor: TensorInfo): NativeStorage {
    return this.data.get(tensor.dataId)!.values as NativeStorage;
  }

  /** A new tensor over `values` (owned by the backend). */
  output(shape: number[], dtype: DataType, values: NativeStorage): TensorInfo {
    return this.makeTensorInfo(shape, dtype, values);
  }

  #track(values: backend_util.BackendValues | undefined, owned: boolean): void {
    if (!ArrayBuffer.isView(values) || values.byteLength < RELEASE_MIN_BYTES) return;
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
        if (use.owned && !use.escaped) this.addon.release(values);
      }
    }
    return released;
  }
}
