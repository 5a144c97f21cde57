import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The tfjs-backend-wasm release whose internals the kernel overrides were
 * written against. Anything else gets the stock kernels (see
 * {@link checkWasmInternals}).
 */
export const SUPPORTED_WASM_VERSION = '4.22.0';

/** The Emscripten module inside tfjs-backend-wasm, as far as the overrides use it. */
export interface WasmModule {
  HEAPU8: Uint8Array;
  cwrap(
    name: string,
    returnType: null | 'number',
    argTypes: string[],
  ): (...args: unknown[]) => unknown;
  tfjs: {
    /** Tells the C++ side where tensor `id`'s `size` floats live. Allocates nothing. */
    registerTensor(id: number, size: number, memoryOffset: number): void;
    /** Forgets tensor `id` (and XNNPACK operators cached for it). Frees nothing. */
    disposeData(id: number): void;
  };
}

/** `BackendWasm` fields and methods that are not part of the KernelBackend interface. */
export interface WasmBackendInternals {
  wasm: WasmModule;
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  refCount(dataId: DataId): number;
  incRef(dataId: DataId): void;
}

/**
 * Why the overrides cannot run on `backend` (a tfjs-backend-wasm of version
 * `version`), or undefined when every internal they touch is present. The
 * overrides read `dataIdMap`, the heap and `cwrap`, none of which is public
 * API: a different release could rename them, and a silent mismatch would
 * compute wrong numbers rather than fail.
 */
export function checkWasmInternals(backend: unknown, version: string): string | undefined {
  if (version !== SUPPORTED_WASM_VERSION) {
    return `tfjs-backend-wasm is ${version}, the overrides were written for ${SUPPORTED_WASM_VERSION}`;
  }
  const b = backend as Partial<WasmBackendInternals> | undefined;
  const missing: string[] = [];
  if (typeof b?.dataIdMap?.get !== 'function') missing.push('dataIdMap');
  if (typeof b?.dataIdNextNumber !== 'number') missing.push('dataIdNextNumber');
  if (typeof b?.makeOutput !== 'function') missing.push('makeOutput');
  if (typeof b?.disposeData !== 'function') missing.push('disposeData');
  const wasm = b?.wasm;
  if (!(wasm?.HEAPU8 instanceof Uint8Array)) missing.push('wasm.HEAPU8');
  if (typeof wasm?.cwrap !== 'function') missing.push('wasm.cwrap');
  if (typeof wasm?.tfjs?.registerTensor !== 'function') missing.push('wasm.tfjs.registerTensor');
  if (typeof wasm?.tfjs?.disposeData !== 'function') missing.push('wasm.tfjs.disposeData');
  return missing.length > 0
    ? `tfjs-backend-wasm internals missing: ${missing.join(', ')}`
    : undefined;
}

/**
 * The C++ tensor id and heap byte offset of a tensor. The offset is unsigned
 * (`>>> 0`): the heap reaches 4 GiB, and a pointer that came back from C++ as
 * an i32 is negative past 2 GiB. Word indices into the heap are `offset >>> 2`.
 */
export function heapLocation(
  backend: WasmBackendInternals,
  info: TensorInfo,
): { id: number; offset: number } {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error('wasm kernel override: tensor data not found on the wasm backend');
  return { id: data.id, offset: data.memoryOffset >>> 0 };
}

/**
 * Runs `body` with a temporary C++ tensor id for `size` floats at byte
 * `offset` of the heap (a view into another tensor's memory), then forgets
 * the id. A fresh id each time matters: XNNPACK caches packed weights under
 * the weight tensor's id, so a reused id would return stale packing.
 */
export function withHeapView<T>(
  backend: WasmBackendInternals,
  offset: number,
  size: number,
  body: (id: number) => T,
): T {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, offset);
  try {
    return body(id);
  } finally {
    backend.wasm.tfjs.disposeData(id);
  }
}
