import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from './errors/backend-unavailable-error.js';
import { describeBackend, initBackend } from './init-backend.js';
import { KERNEL_CONTRACTS } from './kernels/contracts/index.js';
import type { BackendProvider } from './provider.js';
import { createCpuBackend } from './providers/cpu.js';
import { createNativeBackend } from './providers/native.js';
import { createNodeBackend } from './providers/node.js';
import { createNodeGpuBackend } from './providers/node-gpu.js';
import { createWasmBackend } from './providers/wasm.js';
import { maxRelativeError, referenceMatMul, seededFloats } from './testing/matmul-reference.js';
import { requireNativeBackend } from './testing/require-system.js';

const M = 33;
const K = 47;
const N = 29;

async function checkMatMul(): Promise<number> {
  const a = seededFloats(M * K, 1);
  const b = seededFloats(K * N, 2);
  const product = tf.matMul(tf.tensor2d(a, [M, K]), tf.tensor2d(b, [K, N]));
  const got = await product.data();
  return maxRelativeError(got, referenceMatMul(a, b, M, K, N));
}

/** A stand-in for an installed-but-broken optional package, on disk. */
function fakePackage(name: string, errorMessage: string): (specifier: string) => Promise<unknown> {
  const root = join(tmpdir(), `gpt2-fake-${process.pid}-${name.replace(/\W/g, '_')}`);
  const dir = join(root, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.mjs'), `throw new Error(${JSON.stringify(errorMessage)});\n`);
  return (specifier) =>
    import(pathToFileURL(join(root, 'node_modules', specifier, 'index.mjs')).href);
}

describe('initBackend in Node', () => {
  it('activates cpu and computes a correct matMul', async () => {
    const info = await initBackend('cpu');
    expect(info.name).toBe('cpu');
    expect(info.patches).toContain('UnsortedSegmentSum');
    expect(tf.getBackend()).toBe('cpu');
    expect(await checkMatMul()).toBeLessThan(1e-5);
  });

  it('activates wasm with SIMD, single-threaded, and computes a correct matMul', async () => {
    const info = await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info).toMatchObject({ name: 'wasm', device: 'cpu', simd: true, threads: 1 });
    expect(info.patches).toContain('UnsortedSegmentSum');
    expect(await checkMatMul()).toBeLessThan(1e-5);
  });

  it('gives a clear error when tfjs-node is not installed', async () => {
    const error = await initBackend('node').catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    const e = error as BackendUnavailableError;
    expect(e.reason).toBe('missing');
    expect(e.message).toContain('@tensorflow/tfjs-node');
    expect(e.hint).toContain('pnpm add @tensorflow/tfjs-node@4.22.0');
  });

  it('gives a clear error when tfjs-node-gpu is not installed', async () => {
    const error = (await initBackend('node-gpu').catch(
      (e: unknown) => e,
    )) as BackendUnavailableError;
    expect(error.reason).toBe('missing');
    expect(error.hint).toContain('@tensorflow/tfjs-node-gpu');
  });

  it('explains a tfjs-node whose libtensorflow was never downloaded', async () => {
    const importModule = fakePackage(
      '@tensorflow/tfjs-node',
      'The specified module could not be found.\n  /x/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node',
    );
    const error = (await initBackend(createNodeBackend({ importModule })).catch(
      (e: unknown) => e,
    )) as BackendUnavailableError;
    expect(error.reason).toBe('broken');
    expect(error.message).toContain('libtensorflow was not downloaded');
    expect(error.hint).toContain('npm rebuild @tensorflow/tfjs-node');
  });

  it('explains a tfjs-node-gpu built for another CUDA', async () => {
    const importModule = fakePackage(
      '@tensorflow/tfjs-node-gpu',
      'libcudart.so.11.0: cannot open shared object file: No such file or directory',
    );
    const error = (await initBackend(createNodeGpuBackend({ importModule })).catch(
      (e: unknown) => e,
    )) as BackendUnavailableError;
    expect(error.reason).toBe('broken');
    expect(error.hint).toContain('CUDA 11.2 and cuDNN 8.1');
  });

  it("'auto' falls back node-gpu → node → native → wasm, and says why", async () => {
    const noNative: BackendProvider = {
      name: 'native',
      runsIn: 'node',
      activate: () =>
        Promise.reject(
          new BackendUnavailableError({
            backend: 'native',
            reason: 'missing',
            message: 'the addon is not built',
            hint: '-',
          }),
        ),
    };
    const info = await initBackend('auto', { providers: [noNative] });
    expect(info.name).toBe('wasm');
    expect(info.attempts.map((a) => [a.backend, a.ok])).toEqual([
      ['node-gpu', false],
      ['node', false],
      ['native', false],
      ['wasm', true],
    ]);
    expect(info.attempts[0]?.reason).toContain('not installed');
    expect(describeBackend(info)).toMatch(
      /^wasm \(cpu, 1 thread, SIMD.*skipped node-gpu, node, native/,
    );
  });

  it("'auto' reaches cpu when wasm is broken too", async () => {
    const failing = (specifier: string) => Promise.reject(new Error(`no ${specifier} here`));
    // wasm and cpu are bundled with this package, so only the optional ones can be faked away.
    const info = await initBackend('auto', {
      providers: [
        createNodeGpuBackend({ importModule: failing }),
        createNodeBackend({ importModule: failing }),
      ],
    });
    expect(info.attempts[0]).toMatchObject({ backend: 'node-gpu', ok: false });
    expect(info.attempts[0]?.reason).toContain('failed to load');
  });

  it('reads no environment variable, and rejects unknown names', async () => {
    process.env.GPT2_BACKEND = 'cpu';
    try {
      const info = await initBackend('wasm');
      expect(info).toMatchObject({ name: 'wasm', reason: 'requested' });
    } finally {
      delete process.env.GPT2_BACKEND;
    }
    await expect(initBackend('tpu' as never)).rejects.toThrow(RangeError);
  });

  it('activates a configured provider, or the first of a list that works', async () => {
    const single = await initBackend(createWasmBackend({ kernelOverrides: false }));
    expect(single).toMatchObject({
      name: 'wasm',
      reason: 'requested',
      patches: ['UnsortedSegmentSum'],
    });
    const failing = (specifier: string) => Promise.reject(new Error(`no ${specifier} here`));
    const first = await initBackend([
      createNodeBackend({ importModule: failing }),
      createCpuBackend(),
    ]);
    expect(first.name).toBe('cpu');
    expect(first.reason).toBe('first available (skipped node)');
    expect(tf.getBackend()).toBe('cpu');
  });

  it("uses the providers given in options for 'auto' and for names", async () => {
    const byName = await initBackend('wasm', {
      providers: [createWasmBackend({ kernelOverrides: false })],
    });
    expect(byName.patches).toEqual(['UnsortedSegmentSum']);
    const noNative: BackendProvider = {
      name: 'native',
      runsIn: 'node',
      activate: () =>
        Promise.reject(
          new BackendUnavailableError({
            backend: 'native',
            reason: 'missing',
            message: 'none here',
            hint: '-',
          }),
        ),
    };
    const auto = await initBackend('auto', {
      providers: [createWasmBackend({ nativeBlas: false }), noNative],
    });
    expect(auto.name).toBe('wasm');
    expect(auto.patches).toContain('BatchMatMul (xnnpack)');
  });

  it("'auto' picks native when the addon is built, and it reports its threads, BLAS and contract kernels", async () => {
    const native = await requireNativeBackend();
    const auto = await initBackend('auto');
    expect(auto.name).toBe(native ? 'native' : 'wasm');
    if (!native) return;
    expect(auto.attempts.map((a) => [a.backend, a.ok])).toEqual([
      ['node-gpu', false],
      ['node', false],
      ['native', true],
    ]);
    expect(auto.kernels).toEqual(expect.arrayContaining(KERNEL_CONTRACTS.map((c) => c.name)));
    expect(describeBackend(auto)).toMatch(
      /^native \(cpu, \d+ threads?, SIMD, OpenBLAS .*native kernels\) — /,
    );
    const one = await initBackend(createNativeBackend({ threads: 1 }));
    expect(one.threads).toBe(1);
    expect(() => createNativeBackend({ threads: 0 })).toThrow(RangeError);
  });

  it('refuses browser-only backends in Node with a clear error', async () => {
    await expect(initBackend('webgl')).rejects.toThrow(/runs only in browsers/);
  });

  it('computes the gradient of gather on wasm, matching cpu', async () => {
    const table = seededFloats(50 * 8, 3);
    const ids = [3, 7, 3, 49, 0, 7, 7];
    const upstream = seededFloats(ids.length * 8, 4);
    const gradient = async () => {
      const g = tf.grad((t: tf.Tensor) =>
        tf.sum(
          tf.mul(tf.gather(t, tf.tensor1d(ids, 'int32')), tf.tensor2d(upstream, [ids.length, 8])),
        ),
      )(tf.tensor2d(table, [50, 8]));
      return g.data();
    };
    await initBackend('cpu');
    const onCpu = await gradient();
    await initBackend('wasm');
    const onWasm = await gradient();
    expect(maxRelativeError(onWasm, onCpu)).toBeLessThan(1e-6);
    // Row 7 was gathered three times: its gradient is the sum of three upstream rows.
    expect(onCpu[7 * 8]).toBeCloseTo(upstream[1 * 8]! + upstream[5 * 8]! + upstream[6 * 8]!, 5);
  });
});
