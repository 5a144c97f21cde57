/**
 * The error watch on a scripted device, for what a software adapter cannot
 * produce on demand: out-of-memory, a lost device, an error outside every
 * scope. (device-errors.test.ts covers real Dawn.)
 */
import { describe, expect, it } from 'vitest';
import { WebGpuError } from '../errors/webgpu-error.js';
import type { GpuUncapturedErrorEvent } from './device.js';
import { limitNamedIn, type WebGpuBackendInternals, watchDeviceErrors } from './device-errors.js';

const MIB = 1024 * 1024;

class OutOfMemoryError {
  constructor(readonly message: string) {}
}

/** A device whose error scopes behave as WebGPU specifies, with errors raised by the test. */
class ScriptedDevice {
  readonly limits: Record<string, number> = {
    maxStorageBuffersPerShaderStage: 8,
    maxStorageBufferBindingSize: 128 * MIB,
    maxBufferSize: 256 * MIB,
  };
  readonly lost: Promise<{ reason?: string; message: string }>;
  loseDevice!: (info: { reason?: string; message: string }) => void;
  private readonly scopes: { filter: string; error: { message: string } | null }[] = [];
  private readonly listeners: ((event: GpuUncapturedErrorEvent) => void)[] = [];

  constructor() {
    this.lost = new Promise((resolve) => {
      this.loseDevice = resolve;
    });
  }
  pushErrorScope(filter: string): void {
    this.scopes.push({ filter, error: null });
  }
  popErrorScope(): Promise<{ message: string } | null> {
    const scope = this.scopes.pop();
    if (!scope) return Promise.reject(new Error('OperationError: no error scope'));
    return Promise.resolve(scope.error);
  }
  addEventListener(_type: 'uncapturederror', listener: (e: GpuUncapturedErrorEvent) => void) {
    this.listeners.push(listener);
  }
  createShaderModule(): unknown {
    return {};
  }
  createComputePipeline(): unknown {
    return {};
  }
  /** Report an error as a device does: to the innermost scope of its kind, else as uncaptured. */
  raise(filter: string, error: { message: string }): void {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i]!;
      if (scope.filter === filter) {
        scope.error ??= error;
        return;
      }
    }
    for (const listener of this.listeners) listener({ error });
  }
}

function scriptedBackend() {
  const device = new ScriptedDevice();
  let onRun: (() => void) | undefined;
  const backend: WebGpuBackendInternals = {
    device,
    runWebGPUProgram: (program) => {
      onRun?.();
      return { shape: program.outputShape ?? [], dtype: 'float32' };
    },
    submitQueue: () => undefined,
    read: async () => new Float32Array(1),
    readSync: () => new Float32Array(1),
  };
  watchDeviceErrors(backend);
  const run = (name: string, inputs = 1, shape = [4]) => {
    const program = new (class {
      shaderKey = name;
      outputShape = shape;
    })();
    Object.defineProperty(program.constructor, 'name', {
      value: `${name[0]!.toUpperCase()}${name.slice(1)}Program`,
    });
    return backend.runWebGPUProgram(
      program,
      Array.from({ length: inputs }, () => ({ shape, dtype: 'float32' })),
      'float32',
    );
  };
  return {
    device,
    backend,
    run,
    failNextRun: (fail: () => void) => {
      onRun = () => {
        onRun = undefined;
        fail();
      };
    },
  };
}

describe('the WebGPU error watch on a scripted device', () => {
  it('an out-of-memory error fails the next read, naming the programs of its batch and what to do', async () => {
    const { device, backend, run, failNextRun } = scriptedBackend();
    run('matMul');
    failNextRun(() => device.raise('out-of-memory', new OutOfMemoryError('Out of memory')));
    run('gather');
    backend.submitQueue();
    await expect(backend.read({})).rejects.toSatisfy((error: unknown) => {
      const e = error as WebGpuError;
      return (
        WebGpuError.isInstance(e) &&
        e.kind === 'out-of-memory' &&
        e.programs.join() === 'MatMulProgram (matMul),GatherProgram (gather)' &&
        /one of a batch of 2 programs/.test(e.message) &&
        /smaller batch/.test(e.hint)
      );
    });
    // Thrown once.
    await expect(backend.read({})).resolves.toBeInstanceOf(Float32Array);
  });

  it('a lost device fails every later op and read', async () => {
    const { device, backend, run } = scriptedBackend();
    device.loseDevice({ reason: 'unknown', message: 'GPU hung' });
    await Promise.resolve();
    for (let i = 0; i < 2; i++) {
      expect(() => run('add')).toThrow(/The WebGPU device was lost: GPU hung/);
    }
    await expect(backend.read({})).rejects.toMatchObject({ kind: 'device-lost' });
  });

  it('a destroyed device (our own disposal) is not an error', async () => {
    const { device, run } = scriptedBackend();
    device.loseDevice({ reason: 'destroyed', message: 'device was destroyed' });
    await Promise.resolve();
    expect(run('add')).toMatchObject({ shape: [4] });
  });

  it('an error outside every scope is caught by the uncaptured-error listener', async () => {
    const { device, backend } = scriptedBackend();
    for (let i = 0; i < 3; i++) device.popErrorScope(); // someone else popped our scopes
    device.raise('validation', { message: 'Buffer is destroyed.' });
    await expect(backend.read({})).rejects.toThrow(
      /outside the watched calls.*Buffer is destroyed/,
    );
  });

  it('limits are checked before dispatch, synchronously', () => {
    const { run } = scriptedBackend();
    expect(() => run('addN', 9)).toThrow(/binds 10 storage buffers .* allows 8 per shader stage/);
    expect(() => run('add', 1, [(130 * MIB) / 4])).toThrow(/needs a 130 MiB tensor in one binding/);
  });

  it('names the limit that a device message is about', () => {
    expect(
      limitNamedIn(
        'The total use of workgroup storage (65536 bytes) is larger than the maximum allowed (16384 bytes).',
      ),
    ).toBe('maxComputeWorkgroupStorageSize');
    expect(
      limitNamedIn(
        'The number of storage buffers (30) in the Compute stage exceeds the maximum per-stage limit (8).',
      ),
    ).toBe('maxStorageBuffersPerShaderStage');
    expect(limitNamedIn('Binding size (200000000) is larger than the maximum binding size')).toBe(
      'maxStorageBufferBindingSize',
    );
    expect(limitNamedIn('Something else went wrong.')).toBeUndefined();
  });
});
