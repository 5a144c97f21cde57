import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { ADAMW_UPDATE, type AdamWUpdateAttrs } from '../contracts/adamw-update.js';
import type { NativeBackend } from './backend.js';

/**
 * The fused AdamW step on the native backend: one threaded pass over param,
 * m, v and grad (with `inPlace`, writing param, m and v over themselves, so
 * a step allocates nothing), rounding each operation to float32 as the op chain's
 * kernels do, so the results match the chain bit for bit.
 */
export function createNativeAdamWUpdate(): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const param = inputs.param as TensorInfo;
    const tensors = [param, inputs.m, inputs.v, inputs.grad] as TensorInfo[];
    const size = util.sizeFromShape(param.shape);
    for (const t of tensors) {
      if (t?.dtype !== 'float32' || util.sizeFromShape(t.shape) !== size) {
        throw new TypeError(
          `${ADAMW_UPDATE.name}: param, m, v and grad must be float32 of one size, got ${tensors.map((x) => `${x?.dtype} [${x?.shape}]`).join(', ')}.`,
        );
      }
    }
    const a = attrs as unknown as AdamWUpdateAttrs;
    const native = backend as unknown as NativeBackend;
    const state = tensors.slice(0, 3);
    // In place when the caller gives the inputs up (it assigns the outputs to
    // their variables) and nothing else sees them: the addon reads each
    // element before it writes it, so outputs may alias inputs.
    const inPlace =
      a.inPlace === true &&
      new Set(state.map((t) => t.dataId)).size === 3 &&
      state.every((t) => native.exclusive(t));
    const [p, m, v, g] = tensors.map((t) => native.values(t) as Float32Array);
    const outs = inPlace
      ? [p!, m!, v!]
      : [0, 1, 2].map(() => native.allocate('float32', size) as Float32Array);
    native.addon.adamw(
      p!,
      m!,
      v!,
      g!,
      outs[0]!,
      outs[1]!,
      outs[2]!,
      a.beta1,
      a.beta2,
      a.eps,
      a.stepSize,
      a.biasCorrection2Sqrt,
      a.decay,
      a.gradScale,
    );
    if (!inPlace) return outs.map((values) => native.output(param.shape, 'float32', values));
    return state.map((t) => {
      native.incRef(t.dataId);
      return { dataId: t.dataId, shape: [...t.shape], dtype: 'float32' as const };
    });
  };
  return { kernelName: ADAMW_UPDATE.name, backendName: 'native', kernelFunc };
}
