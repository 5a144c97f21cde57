import type { BackendInfo } from '@gpt2/backends';
import { describe, expect, it } from 'vitest';
import { explainFallback } from './fallback.js';

const webgl: BackendInfo = {
  name: 'webgl',
  tfBackend: 'webgl',
  device: 'gpu',
  threads: 0,
  simd: false,
  patches: [],
  kernels: [],
  reason: 'fastest available (auto; skipped webgpu)',
  attempts: [
    { backend: 'webgpu', ok: false, reason: 'This browser exposes no WebGPU adapter.' },
    { backend: 'webgl', ok: true, reason: 'selected' },
  ],
};

describe('explainFallback', () => {
  it('says why auto skipped WebGPU and what it chose instead', () => {
    const text = explainFallback(webgl, 'auto');
    expect(text).toMatch(/no WebGPU adapter/);
    expect(text).toMatch(/fell back automatically to webgl/);
  });

  it('says nothing when WebGPU was chosen or a backend was picked by name', () => {
    expect(explainFallback(webgl, 'webgl')).toBeUndefined();
    expect(
      explainFallback(
        {
          ...webgl,
          name: 'webgpu',
          attempts: [{ backend: 'webgpu', ok: true, reason: 'selected' }],
        },
        'auto',
      ),
    ).toBeUndefined();
  });
});
