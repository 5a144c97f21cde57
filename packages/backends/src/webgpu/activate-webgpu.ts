import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import { registerWebGpuKernels } from '../kernels/webgpu/register.js';
import type { ActivationContext } from '../provider.js';
import { importBackendPackage, switchTo } from '../providers/activate.js';
import type { WebGpuLimits } from '../types.js';
import {
  type GpuAdapterWithDevice,
  type GpuDeviceLike,
  requestWebGpuDevice,
  type WebGpuLimitsRequest,
} from './device.js';
import { type WebGpuBackendInternals, watchDeviceErrors } from './device-errors.js';

/** What each of our `webgpu` backends was created with. */
const created = new WeakMap<object, { request: WebGpuLimitsRequest; device: GpuDeviceLike }>();

/**
 * Activate tfjs's `webgpu` backend on a device that we request with the
 * limits of `request`, watched for errors (see device-errors.ts), with the
 * kernels of kernels/webgpu registered. An active backend of ours with the
 * same request is reused; otherwise the old one is disposed with its tensors
 * (tfjs has one backend per name).
 */
export async function activateWebGpu(
  context: ActivationContext,
  adapter: GpuAdapterWithDevice,
  options: { limits: WebGpuLimitsRequest; kernelOverrides: boolean },
): Promise<{ limits: WebGpuLimits; patches: string[] }> {
  const request = options.limits;
  const { tf } = context;
  const { WebGPUBackend } = await importBackendPackage(
    'webgpu',
    '@tensorflow/tfjs-backend-webgpu',
    () => import('@tensorflow/tfjs-backend-webgpu'),
  );
  const existing = tf.findBackend('webgpu');
  const ours = existing ? created.get(existing) : undefined;
  if (!ours || ours.request !== request) {
    let device: GpuDeviceLike;
    try {
      device = await requestWebGpuDevice(adapter, request);
    } catch (error) {
      throw new BackendUnavailableError({
        backend: 'webgpu',
        reason: 'broken',
        message: `The WebGPU adapter refused a device: ${(error as Error)?.message ?? error}`,
        hint: "retry with createWebgpuBackend({ limits: 'default' }), or pick webgl or wasm.",
        cause: error,
      });
    }
    // tfjs-backend-webgpu registers its own factory only where it saw navigator.gpu at import.
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    ours?.device.destroy?.();
    tf.registerBackend(
      'webgpu',
      () => {
        const backend = new WebGPUBackend(
          device as unknown as GPUDevice,
          adapter.info as GPUAdapterInfo | undefined,
        );
        created.set(backend, { request, device });
        return backend;
      },
      3,
    );
  }
  await switchTo(context, 'webgpu', 'webgpu', 'check the adapter above; try webgl or wasm.');
  const limits = watchDeviceErrors(
    context.tf.backend() as unknown as WebGpuBackendInternals,
    adapter.limits,
  );
  return { limits, patches: registerWebGpuKernels(tf, { overrides: options.kernelOverrides }) };
}
