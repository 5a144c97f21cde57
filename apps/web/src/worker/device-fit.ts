/**
 * Whether a model's weights fit the WebGPU device, checked from its config
 * before a byte is downloaded. A WebGPU device caps each buffer, and each
 * binding of one, by its limits (128 MiB per binding by default); GPT-2
 * 124M's token embedding alone is 147 MiB.
 */
import type { WebGpuLimits } from '@gpt2/backends';
import type { GPT2Config } from '@gpt2/model';

const MIB = 1024 * 1024;

/** The largest weight tensor of a GPT-2 config, by name and bytes (float32). */
export function largestWeight(config: GPT2Config): { name: string; bytes: number } {
  const { vocabSize: V, nPositions: P, nEmbd: C } = config;
  const candidates = [
    { name: 'wte.weight', elements: V * C },
    { name: 'wpe.weight', elements: config.positionEmbedding === 'learned' ? P * C : 0 },
    { name: 'h.*.mlp.c_fc.weight', elements: 4 * C * C },
  ];
  const largest = candidates.reduce((a, b) => (b.elements > a.elements ? b : a));
  return { name: largest.name, bytes: largest.elements * 4 };
}

/**
 * A one-line explanation when the model cannot be held by a device with
 * these limits, or undefined when it fits.
 */
export function explainDeviceFit(config: GPT2Config, limits: WebGpuLimits): string | undefined {
  const { name, bytes } = largestWeight(config);
  const allowed = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (bytes <= allowed) return undefined;
  const limit =
    limits.maxBufferSize < limits.maxStorageBufferBindingSize
      ? 'maxBufferSize'
      : 'maxStorageBufferBindingSize';
  return `This model does not fit this WebGPU device: ${name} needs ${Math.ceil(bytes / MIB)} MiB in one buffer, the device allows ${Math.floor(allowed / MIB)} MiB (${limit}); use wasm, or a browser and GPU with larger buffers.`;
}
