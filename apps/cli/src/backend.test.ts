import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './backend.js';
import type { CliContext } from './cli/context.js';
import { UsageError } from './errors/usage-error.js';

function contextWith(env: Record<string, string>): CliContext & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => true },
    stderr: { write: (chunk: string) => (err += chunk) },
    stdin: new PassThrough(),
    env,
    cwd: process.cwd(),
    signal: new AbortController().signal,
    catchInterrupts: () => {},
    verbose: false,
    err: () => err,
  };
}

describe('the CLI passes its environment to the backends as options', () => {
  it('GPT2_BACKEND overrides --backend, and says so', async () => {
    const context = contextWith({ GPT2_BACKEND: 'cpu' });
    const info = await selectBackend('wasm', context);
    expect(info.name).toBe('cpu');
    expect(context.err()).toMatch(/^backend: cpu \(.*\) — GPT2_BACKEND=cpu\n$/);
  });

  it('GPT2_KERNEL_OVERRIDES=0 leaves the stock wasm kernels', async () => {
    const info = await selectBackend('wasm', contextWith({ GPT2_KERNEL_OVERRIDES: '0' }));
    expect(info.patches).toEqual(['UnsortedSegmentSum']);
    const tuned = await selectBackend('wasm', contextWith({ GPT2_NATIVE_BLAS: '0' }));
    expect(tuned.patches).toContain('BatchMatMul (xnnpack)');
  });

  it('rejects a GPT2_BLAS that is not builtin, openblas or auto', async () => {
    const error = await selectBackend('native', contextWith({ GPT2_BLAS: 'mkl' })).catch(
      (e: unknown) => e,
    );
    expect(UsageError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      "GPT2_BLAS must be one of auto, openblas, builtin, got 'mkl'",
    );
  });

  it('rejects a GPT2_BLAS_THREADS that is not a positive integer', async () => {
    const error = await selectBackend('wasm', contextWith({ GPT2_BLAS_THREADS: 'two' })).catch(
      (e: unknown) => e,
    );
    expect(UsageError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      "GPT2_BLAS_THREADS must be a positive integer, got 'two'",
    );
  });
});
