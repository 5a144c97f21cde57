import { formatBytes, WASM_HEAP_LIMIT_BYTES } from '../contracts/memory-limit.js';
import { OutOfMemoryError } from '../contracts/out-of-memory-error.js';

/**
 * The parts of tfjs-backend-wasm's Emscripten module the guard wraps. Every
 * tensor's memory comes from `_malloc` (the backend's `move`, through `write`
 * and `makeOutput`), and goes back through `_free` (`disposeData`).
 */
interface GuardedModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  /** Emscripten calls it first thing in `abort()`; a throw replaces the `Aborted()` RuntimeError. */
  onAbort?: (what: unknown) => void;
}

/** Heap use seen by the guard, for measurements. */
export interface WasmHeapUsage {
  /** The heap's current size (`HEAPU8.length`): it grows, never shrinks. */
  heapBytes: number;
  /** Bytes of live allocations made through `_malloc` from JavaScript: tensor data. */
  liveBytes: number;
  /** The most {@link liveBytes} reached since the guard started or {@link resetPeak}. */
  peakBytes: number;
  /** Restart {@link peakBytes} from the current {@link liveBytes}. */
  resetPeak(): void;
}

/** Tuning of the guard. */
export const heapGuardTuning = {
  /**
   * Bytes kept free for the C++ side's own allocations (XNNPACK's operators,
   * packed weights and workspaces), which do not go through `_malloc` from
   * JavaScript: when they fail, XNNPACK logs a status and leaves garbage in
   * the output, and other code aborts. A tensor allocation that would leave
   * less than this throws instead.
   */
  reserveBytes: 64 * 1024 * 1024,
};

interface GuardState {
  live: number;
  peak: number;
  sizes: Map<number, number>;
}

const guarded = new WeakMap<object, GuardState>();

/**
 * Make the wasm heap fail loudly. Without the guard, a `_malloc` the heap
 * cannot serve returns 0 and tfjs writes the tensor at address 0, over the
 * module's own memory (wrong numbers, then `memory access out of bounds` or
 * `Aborted()`); a tensor of 4 GiB or more wraps the byte count passed to
 * `_malloc`. With it, such an allocation throws an {@link OutOfMemoryError}
 * that says how much was asked, how much is in use and the ways out, and an
 * Emscripten abort while the heap is nearly full becomes one too.
 *
 * Returns false when the module lacks `_malloc`/`_free` (another tfjs-backend-wasm build).
 */
export function guardWasmHeap(backend: unknown): boolean {
  const wasm = (backend as { wasm?: Partial<GuardedModule> } | undefined)?.wasm;
  if (!wasm || typeof wasm._malloc !== 'function' || typeof wasm._free !== 'function') return false;
  if (guarded.has(wasm)) return true;
  const module = wasm as GuardedModule;
  const state: GuardState = { live: 0, peak: 0, sizes: new Map() };
  let malloc = module._malloc;
  let free = module._free;
  const fail = (bytes: number, cause?: unknown) =>
    new OutOfMemoryError({
      backend: 'wasm',
      requiredBytes: state.live + bytes,
      requestedBytes: bytes,
      inUseBytes: state.live,
      limitBytes: WASM_HEAP_LIMIT_BYTES,
      limit: 'the wasm32 heap',
      cause,
    });
  const guardedMalloc = (bytes: number) => {
    // tfjs passes size × bytes per element, which can reach 2^32 and wrap.
    if (bytes > 0 && state.live + bytes > WASM_HEAP_LIMIT_BYTES - heapGuardTuning.reserveBytes) {
      throw fail(bytes);
    }
    const pointer = malloc(bytes) >>> 0;
    if (pointer === 0 && bytes > 0) throw fail(bytes);
    if (pointer + bytes > module.HEAPU8.length) {
      // A request near 4 GiB can wrap the allocator's 32-bit arithmetic and
      // come back as a block that runs past the end of the heap.
      free(pointer);
      throw fail(bytes);
    }
    state.sizes.set(pointer, bytes);
    state.live += bytes;
    if (state.live > state.peak) state.peak = state.live;
    return pointer;
  };
  const guardedFree = (pointer: number) => {
    const bytes = state.sizes.get(pointer >>> 0);
    if (bytes !== undefined) {
      state.sizes.delete(pointer >>> 0);
      state.live -= bytes;
    }
    free(pointer);
  };
  // Accessors, not plain values: Emscripten's lazy export stubs replace
  // `Module._malloc` with the raw export on their first call, which would
  // silently remove a wrapper stored as a value.
  Object.defineProperty(module, '_malloc', {
    configurable: true,
    enumerable: true,
    get: () => guardedMalloc,
    set: (replacement: GuardedModule['_malloc']) => {
      malloc = replacement;
    },
  });
  Object.defineProperty(module, '_free', {
    configurable: true,
    enumerable: true,
    get: () => guardedFree,
    set: (replacement: GuardedModule['_free']) => {
      free = replacement;
    },
  });
  module.onAbort = (what: unknown) => {
    // Emscripten aborts for other reasons too; only a nearly full heap is ours to explain.
    const heap = module.HEAPU8.length;
    if (heap < WASM_HEAP_LIMIT_BYTES - 2 * heapGuardTuning.reserveBytes) return;
    throw new OutOfMemoryError({
      backend: 'wasm',
      requiredBytes: heap,
      limitBytes: WASM_HEAP_LIMIT_BYTES,
      limit: 'the wasm32 heap',
      summary: `a kernel aborted (${String(what) || 'no reason given'}) with the heap at ${formatBytes(heap)} of its ${formatBytes(WASM_HEAP_LIMIT_BYTES)} limit: its own scratch memory did not fit. The wasm module may now be inconsistent: initialise the backend again`,
      cause: what,
    });
  };
  guarded.set(wasm, state);
  return true;
}

/** What the guard on `backend` (tfjs's wasm backend) has seen, or undefined when it is not guarded. */
export function wasmHeapUsage(backend: unknown): WasmHeapUsage | undefined {
  const wasm = (backend as { wasm?: GuardedModule } | undefined)?.wasm;
  const state = wasm ? guarded.get(wasm) : undefined;
  if (!wasm || !state) return undefined;
  return {
    heapBytes: wasm.HEAPU8.length,
    liveBytes: state.live,
    peakBytes: state.peak,
    resetPeak() {
      state.peak = state.live;
    },
  };
}
