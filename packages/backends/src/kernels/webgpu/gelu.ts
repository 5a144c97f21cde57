/**
 * GELU and its gradient on webgpu: one element-wise dispatch each, where the
 * chains take six and thirteen (the gradient recomputes the forward values).
 */
import { type KernelConfig, util } from '@tensorflow/tfjs-core';
import { GELU, GELU_COEFFICIENTS, GELU_GRAD } from '../contracts/gelu.js';
import { contractKernelConfig } from '../contracts/register.js';
import type { WebGpuBackendInternals } from './internals.js';
import { runFusedProgram } from './program.js';
import { elementIndex, entryPoint, f32, GELU_FUNCTION, WORKGROUP } from './wgsl.js';

export const geluKernel: KernelConfig = contractKernelConfig(
  GELU,
  'webgpu',
  ({ inputs: { x }, backend }) => {
    const size = util.sizeFromShape(x.shape);
    return runFusedProgram(
      backend as unknown as WebGpuBackendInternals,
      {
        label: GELU.name,
        key: 'gelu',
        inputs: [['x', 'f32']],
        outputs: [['y', 'f32', x.shape]],
        uniforms: [['size', ['u32', size]]],
        workgroups: Math.ceil(size / WORKGROUP),
        body: () => `${GELU_FUNCTION}
${entryPoint()} {
  ${elementIndex('params.size')}
  y[i] = gelu(x[i]);
}`,
      },
      [x],
    );
  },
);

export const geluGradKernel: KernelConfig = contractKernelConfig(
  GELU_GRAD,
  'webgpu',
  ({ inputs: { dy, x }, backend }) => {
    const size = util.sizeFromShape(x.shape);
    const { forwardQuadratic, forwardConstant, backwardQuadratic, backwardConstant } =
      GELU_COEFFICIENTS;
    return runFusedProgram(
      backend as unknown as WebGpuBackendInternals,
      {
        label: GELU_GRAD.name,
        key: 'gelu-grad',
        inputs: [
          ['dy', 'f32'],
          ['x', 'f32'],
        ],
        outputs: [['dx', 'f32', x.shape]],
        uniforms: [['size', ['u32', size]]],
        workgroups: Math.ceil(size / WORKGROUP),
        // The chain's order: x², s = σ(2u), y = x·s; slope = s + (y − y·s)·2u'.
        body: () => `
${entryPoint()} {
  ${elementIndex('params.size')}
  let v = x[i];
  let x2 = v * v;
  let s = 1.0 / (1.0 + exp(-1.0 * (v * (x2 * ${f32(forwardQuadratic)} + ${f32(forwardConstant)}))));
  let y = v * s;
  let twoDu = x2 * ${f32(backwardQuadratic)} + ${f32(backwardConstant)};
  dx[i] = dy[i] * (s + (y - y * s) * twoDu);
}`,
      },
      [dy, x],
    );
  },
);
