import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../init-backend.js';
import { createWasmBackend } from '../../providers/wasm.js';
import { ADAMW_UPDATE } from '../contracts/adamw-update.js';
import { checkWasmInternals, SUPPORTED_WASM_VERSION } from './internals.js';
import { registerWasmKernels } from './register.js';

describe('the guard on tfjs-backend-wasm internals', () => {
  afterEach(() => vi.restoreAllMocks());

  it('accepts the real wasm backend of the pinned version', async () => {
    await initBackend('wasm');
    expect(checkWasmInternals(tf.backend(), SUPPORTED_WASM_VERSION)).toBeUndefined();
  });

  it('names what is missing, and rejects other versions', () => {
    expect(checkWasmInternals({}, SUPPORTED_WASM_VERSION)).toMatch(
      /missing: dataIdMap, dataIdNextNumber, makeOutput, disposeData, wasm.HEAPU8, wasm.cwrap/,
    );
    expect(checkWasmInternals({}, '4.23.0')).toMatch(/is 4.23.0, .* written for 4.22.0/);
  });

  it('falls back to the stock kernels with one warning when the internals do not match', async () => {
    await initBackend(createWasmBackend({ kernelOverrides: false }));
    const stock = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const options = { overrides: true, backend: {}, version: SUPPORTED_WASM_VERSION };
    const first = registerWasmKernels(tf, options);
    registerWasmKernels(tf, options);
    expect(first).toEqual({ patches: ['UnsortedSegmentSum'], kernels: [] });
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).toBe(stock);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('using the stock wasm kernels');
  });

  it('switches the overrides on and off, and reports them', async () => {
    const on = await initBackend(createWasmBackend({ nativeBlas: false }));
    expect(on.patches).toEqual([
      'UnsortedSegmentSum',
      'BatchMatMul (xnnpack)',
      'Sum (xnnpack)',
      'Identity (heap)',
      'Slice (heap)',
      'SplitV (heap)',
      'GatherV2 (heap)',
      'Concat (heap)',
    ]);
    const ours = tf.getKernel('Identity', 'wasm')?.kernelFunc;
    const off = await initBackend(createWasmBackend({ kernelOverrides: false }));
    expect(off.blasThreads).toBeUndefined();
    expect(off.patches).toEqual(['UnsortedSegmentSum']);
    expect(tf.getKernel(ADAMW_UPDATE.name, 'wasm')).toBeUndefined();
    expect(tf.getKernel('Identity', 'wasm')?.kernelFunc).not.toBe(ours);
  });
});
