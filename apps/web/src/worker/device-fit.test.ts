import type { WebGpuLimits } from '@gpt2/backends';
import { PRESETS, resolveConfig } from '@gpt2/model';
import { describe, expect, it } from 'vitest';
import { explainDeviceFit, largestWeight } from './device-fit.js';

const MIB = 1024 * 1024;
const limits = (binding: number, buffer: number): WebGpuLimits => ({
  maxStorageBuffersPerShaderStage: 8,
  maxStorageBufferBindingSize: binding,
  maxBufferSize: buffer,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65535,
});

describe('explainDeviceFit', () => {
  const gpt2 = resolveConfig({ preset: 'gpt2' });

  it("GPT-2 124M's wte (147 MiB) does not fit WebGPU's default 128 MiB binding: one line", () => {
    expect(largestWeight(gpt2)).toEqual({ name: 'wte.weight', bytes: 50257 * 768 * 4 });
    const message = explainDeviceFit(gpt2, limits(128 * MIB, 256 * MIB));
    expect(message).toBe(
      'This model does not fit this WebGPU device: wte.weight needs 148 MiB in one buffer, the device allows 128 MiB (maxStorageBufferBindingSize); use wasm, or a browser and GPU with larger buffers.',
    );
    expect(message).not.toMatch(/\n/);
  });

  it('names the buffer limit when it is the smaller one', () => {
    expect(explainDeviceFit(gpt2, limits(1024 * MIB, 100 * MIB))).toMatch(
      /allows 100 MiB \(maxBufferSize\)/,
    );
  });

  it('fits with the adapter limits of SwiftShader and most GPUs (1 GiB)', () => {
    expect(explainDeviceFit(gpt2, limits(1024 * MIB, 1024 * MIB))).toBeUndefined();
    expect(
      explainDeviceFit(resolveConfig({ preset: 'gpt2-tiny' }), limits(128 * MIB, 256 * MIB)),
    ).toBeUndefined();
    expect(PRESETS['gpt2-xl'].nEmbd * PRESETS['gpt2-xl'].vocabSize * 4).toBeGreaterThan(128 * MIB);
  });
});
