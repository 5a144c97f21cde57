import type { BackendInfo, BackendRequest } from '@gpt2/backends';

/** Why auto did not pick WebGPU, in words, or nothing when it did or was not asked to. */
export function explainFallback(info: BackendInfo, requested: BackendRequest): string | undefined {
  if (requested !== 'auto' || info.name === 'webgpu') return undefined;
  const webgpu = info.attempts.find((attempt) => attempt.backend === 'webgpu');
  if (!webgpu || webgpu.ok) return undefined;
  return `WebGPU is not usable here (${webgpu.reason}), so the app fell back automatically to ${info.name}. Everything still works, only slower than on a GPU through WebGPU. To try WebGPU anyway, pick it above.`;
}
