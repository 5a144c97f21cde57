/**
 * The native backend's implementations of the kernel contracts
 * (`kernels/contracts`): GELU, LayerNorm, causal attention and softmax
 * cross-entropy, forward and backward, each one pass in the addon
 * (native/gpt2_fused.c) where the reference chains take many.
 */
import { type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { CAUSAL_ATTENTION, CAUSAL_ATTENTION_GRAD } from '../contracts/causal-attention.js';
import { GELU, GELU_GRAD } from '../contracts/gelu.js';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../contracts/layer-norm.js';
import {
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
} from '../contracts/softmax-cross-entropy.js';
import type { NativeBackend } from './backend.js';

/** The addon's fused entry points (absent from addons built before them). */
export interface NativeFusedKernels {
  gelu(x: Float32Array, y: Float32Array): void;
  geluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  layerNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array | null,
    y: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    rows: number,
    C: number,
    epsilon: number,
  ): void;
  layerNormGrad(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    rows: number,
    C: number,
  ): void;
  softmaxCrossEntropy(
    logits: Float32Array,
    targets: Int32Array,
    loss: Float32Array,
    logsumexp: Float32Array,
    ignoreIndex: number,
    labelSmoothing: number,
  ): void;
  softmaxCrossEntropyGrad(
    dloss: Float32Array,
    logits: Float32Array,
    targets: Int32Array,
    logsumexp: Float32Array,
    dlogits: Float32Array,
    ignoreIndex: number,
    labelSmoothing: number,
  ): void;
  causalAttention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    y: Float32Array,
    logsumexp: Float32Array,
    slices: number,
    Tq: number,
    Tk: number,
    D: number,
    scale: number,
  ): void;
  causalAttentionGrad(
    dy: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    y: Float32Array,
    logsumexp: Float32Array,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    slices: number,
    Tq: number,
    Tk: number,
    D: number,
    scale: number,
  ): void;
}

type Backend = NativeBackend & { addon: NativeBackend['addon'] & NativeFusedKernels };

function float32(kernel: string, inputs: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t && t.dtype !== 'float32') {
      throw new TypeError(`${kernel}: ${name} must be float32, got ${t.dtype}.`);
    }
  }
}

const f32 = (backend: Backend, t: TensorInfo) => backend.values(t) as Float32Array;
const alloc = (backend: Backend, size: number) => backend.allocate('float32', size) as Float32Array;

export const nativeGelu: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as Backend;
  const x = inputs.x as TensorInfo;
  float32(GELU.name, { x });
  const y = alloc(b, util.sizeFromShape(x.shape));
  b.addon.gelu(f32(b, x), y);
  return [b.output(x.shape, 'float32', y)];
};

export const nativeGeluGrad: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as Backend;
  const { dy, x } = inputs as Record<string, TensorInfo>;
  float32(GELU_GRAD.name, { dy, x });
  const dx = alloc(b, util.sizeFromShape(x!.shape));
  b.addon.geluGrad(f32(b, dy!), f32(b, x!), dx);
  return [b.output(x!.shape, 'float32', dx)];
};

export const nativeLayerNorm: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as Backend;
  const { x, gamma, beta } = inputs as Record<string, TensorInfo | undefined>;
  float32(LAYER_NORM.name, { x, gamma, beta });
  const C = x!.shape.at(-1)!;
  const rows = util.sizeFromShape(x!.shape) / C;
  const y = alloc(b, rows * C);
  const mean = alloc(b, rows);
  const rstd = alloc(b, rows);
  const { epsilon } = attrs as unknown as { epsilon: number };
  b.addon.layerNorm(
    f32(b, x!),
    f32(b, gamma!),
    beta ? f32(b, beta) : null,
    y,
    mean,
    rstd,
    rows,
    C,
    epsilon,
  );
  const statShape = [...x!.shape.slice(0, -1), 1];
  return [
    b.output(x!.shape, 'float32', y),
    b.output(statShape, 'float32', mean),
    b.output(statShape, 'float32', rstd),
  ];
};

export const nativeLayerNormGrad: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as Backend;
  const { dy, x, gamma, mean, rstd } = inputs as Record<string, TensorInfo>;
  float32(LAYER_NORM_GRAD.name, { dy, x, gamma, mean, rstd });
  const C = x!.shape.at(-1)!;
  const rows = util.sizeFromShape(x!.shape) / C;
  const dx = alloc(b, rows * C);
  const dgamma = alloc(b, C);
  const dbeta = alloc(b, C);
  b.addon.layerNormGrad(
    f32(b, dy!),
    f32(b, x!),
    f32(b, gamma!),
    f32(b, mean!),
    f32(b, rstd!),
    dx,
    dgamma,
    dbeta,
    rows,
    C,
  );
  return [
    b.output(x!.shape, 'float32', dx),
    b.output([C], 'float32', dgamma),
    b.output([C], 'float32', dbeta),
  ];
};

/** The attention sizes of q [B, H, Tq, D] and k [B, H, Tk, D]. */
function attentionSizes(q: TensorInfo, k: TensorInfo) {
  const [B, H, Tq, D] = q.shape as [number, number, number, number];
  const Tk = k.shape[2]!;
  return { slices: B * H, Tq, Tk, D };
}

export const nativeCausalAttention: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as Backend;
  const { q, k, v } = inputs as Record<string, TensorInfo>;
  float32(CAUSAL_ATTENTION.name, { q, k, v });
  const { slices, Tq, Tk, D } = attentionSizes(q!, k!);
  const { scale } = attrs as unknown as { scale: number };
  const y = alloc(b, slices * Tq * D);
  const lse = alloc(b, slices * Tq);
  b.addon.causalAttention(f32(b, q!), f32(b, k!), f32(b, v!), y, lse, slices, Tq, Tk, D, scale);
  return [b.output(q!.shape, 'float32', y), b.output(q!.shape.slice(0, 3), 'float32', lse)];
};

export const nativeCausalAttentionGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as Backend;
  const { dy, q, k, v, y, logsumexp } = inputs as Record<string, TensorInfo>;
  float32(CAUSAL_ATTENTION_GRAD.name, { dy, q, k, v, y, logsumexp });
  const { slices, Tq, Tk, D } = attentionSizes(q!, k!);
  const { scale } = attrs as unknown as { scale: number };
  const dq = alloc(b, slices * Tq * D);
  const dk = alloc(b, slices * Tk * D);
  const dv = alloc(b, slices * Tk * D);
  b.addon.causalAttentionGrad(
    f32(b, dy!),
    f32(b, q!),
    f32(b, k!),
    f32(b, v!),
    f32(b, y!),
    f32(b, logsumexp!),
    dq,
    dk,
    dv,
    slices,
    Tq,
    Tk,
    D,
    scale,
  );
  return [
    b.output(q!.shape, 'float32', dq),
    b.output(k!.shape, 'float32', dk),
    b.output(v!.shape, 'float32', dv),
  ];
};

function targetsOf(b: Backend, kernel: string, targets: TensorInfo): Int32Array {
  const values = b.values(targets);
  if (!(values instanceof Int32Array))
    throw new TypeError(`${kernel}: targets must be int32, got ${targets.dtype}.`);
  return values;
}

export const nativeSoftmaxCrossEntropy: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as Backend;
  const { logits, targets } = inputs as Record<string, TensorInfo>;
  float32(SOFTMAX_CROSS_ENTROPY.name, { logits });
  const [N] = logits!.shape as [number, number];
  const { ignoreIndex, labelSmoothing } = attrs as unknown as {
    ignoreIndex: number;
    labelSmoothing: number;
  };
  const loss = alloc(b, N);
  const lse = alloc(b, N);
  b.addon.softmaxCrossEntropy(
    f32(b, logits!),
    targetsOf(b, SOFTMAX_CROSS_ENTROPY.name, targets!),
    loss,
    lse,
    ignoreIndex,
    labelSmoothing,
  );
  return [b.output([N], 'float32', loss), b.output([N], 'float32', lse)];
};

export const nativeSoftmaxCrossEntropyGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as Backend;
  const { dloss, logits, targets, logsumexp } = inputs as Record<string, TensorInfo>;
  float32(SOFTMAX_CROSS_ENTROPY_GRAD.name, { dloss, logits, logsumexp });
  const { ignoreIndex, labelSmoothing } = attrs as unknown as {
    ignoreIndex: number;
    labelSmoothing: number;
  };
  const dlogits = alloc(b, util.sizeFromShape(logits!.shape));
  b.addon.softmaxCrossEntropyGrad(
    f32(b, dloss!),
    f32(b, logits!),
    targetsOf(b, SOFTMAX_CROSS_ENTROPY_GRAD.name, targets!),
    f32(b, logsumexp!),
    dlogits,
    ignoreIndex,
    labelSmoothing,
  );
  return [b.output(logits!.shape, 'float32', dlogits)];
};
