/**
 * Inputs for the kernel conformance suite, per contract: small, odd shapes
 * and the edge cases each contract names (optional inputs, keys longer than
 * queries, ignored targets, label smoothing). A new contract adds its cases
 * here; the suite fails for a contract without any.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAMW_UPDATE } from '../kernels/contracts/adamw-update.js';
import { CAUSAL_ATTENTION, CAUSAL_ATTENTION_GRAD } from '../kernels/contracts/causal-attention.js';
import { GELU, GELU_GRAD } from '../kernels/contracts/gelu.js';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../kernels/contracts/layer-norm.js';
import {
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
} from '../kernels/contracts/softmax-cross-entropy.js';
import { seededFloats } from './matmul-reference.js';

/** One conformance case: its inputs and attributes, built on the active backend. */
export interface KernelCase {
  label: string;
  /** Creates the input tensors (the suite disposes them). */
  build(): { inputs: Record<string, tf.Tensor>; attrs: object };
}

/** A float32 tensor of seeded values in [−scale, scale). */
function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    seededFloats(size, seed).map((x) => x * scale),
    shape,
    'float32',
  );
}

function adamw(label: string, shape: number[], seed: number, attrs: object): KernelCase {
  return {
    label,
    build: () => ({
      inputs: {
        param: random(shape, seed),
        m: random(shape, seed + 1, 0.1),
        v: tf.abs(random(shape, seed + 2, 0.01)),
        grad: random(shape, seed + 3),
      },
      attrs,
    }),
  };
}

const ADAMW_ATTRS = {
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  stepSize: 3e-4 / (1 - 0.9 ** 3),
  biasCorrection2Sqrt: Math.sqrt(1 - 0.95 ** 3),
  decay: 1 - 3e-4 * 0.1,
  gradScale: 1,
};

/** The reference's forward outputs that a gradient case needs; the others are disposed. */
function forward(run: () => readonly tf.Tensor[], keep: readonly number[]): tf.Tensor[] {
  const outputs = tf.tidy(() => [...run()]);
  tf.dispose(outputs.filter((_, i) => !keep.includes(i)));
  return keep.map((i) => outputs[i]!);
}

function layerNormGrad(label: string, shape: number[], seed: number): KernelCase {
  return {
    label,
    build() {
      const C = shape.at(-1)!;
      const x = random(shape, seed, 3);
      const gamma = random([C], seed + 1);
      const [mean, rstd] = forward(
        () => LAYER_NORM.reference({ x, gamma }, { epsilon: 1e-5 }),
        [1, 2],
      );
      return {
        inputs: { dy: random(shape, seed + 2), x, gamma, mean: mean!, rstd: rstd! },
        attrs: {},
      };
    },
  };
}

function attention(
  label: string,
  B: number,
  H: number,
  Tq: number,
  Tk: number,
  D: number,
  seed: number,
) {
  const scale = 1 / Math.sqrt(D);
  const inputs = () => ({
    q: random([B, H, Tq, D], seed) as tf.Tensor4D,
    k: random([B, H, Tk, D], seed + 1) as tf.Tensor4D,
    v: random([B, H, Tk, D], seed + 2) as tf.Tensor4D,
  });
  return {
    forward: { label, build: () => ({ inputs: inputs(), attrs: { scale } }) } as KernelCase,
    gradient: {
      label,
      build() {
        const { q, k, v } = inputs();
        const [y, logsumexp] = forward(
          () => CAUSAL_ATTENTION.reference({ q, k, v }, { scale }),
          [0, 1],
        );
        return {
          inputs: { dy: random([B, H, Tq, D], seed + 3), q, k, v, y: y!, logsumexp: logsumexp! },
          attrs: { scale },
        };
      },
    } as KernelCase,
  };
}

function crossEntropy(
  label: string,
  N: number,
  V: number,
  seed: number,
  attrs: { ignoreIndex: number; labelSmoothing: number },
) {
  const inputs = () => {
    const targets = Int32Array.from(seededFloats(N, seed + 1), (x, i) =>
      i % 3 === 1 ? attrs.ignoreIndex : Math.floor(((x + 1) / 2) * V),
    );
    return {
      logits: random([N, V], seed, 4) as tf.Tensor2D,
      targets: tf.tensor1d(targets, 'int32'),
    };
  };
  return {
    forward: { label, build: () => ({ inputs: inputs(), attrs }) } as KernelCase,
    gradient: {
      label,
      build() {
        const { logits, targets } = inputs();
        const [logsumexp] = forward(
          () => SOFTMAX_CROSS_ENTROPY.reference({ logits, targets }, attrs),
          [1],
        );
        return {
          inputs: { dloss: random([N], seed + 2), logits, targets, logsumexp: logsumexp! },
          attrs,
        };
      },
    } as KernelCase,
  };
}

const attentionCases = [
  attention('prefill, Tq = Tk = 5', 2, 3, 5, 5, 8, 10),
  attention('one query after a KV cache, Tq = 1, Tk = 7', 1, 2, 1, 7, 16, 20),
  attention('a chunk after a KV cache, Tq = 4, Tk = 9', 2, 2, 4, 9, 4, 30),
];
const crossEntropyCases = [
  crossEntropy('ignoreIndex −1, no smoothing', 7, 11, 40, { ignoreIndex: -1, labelSmoothing: 0 }),
  crossEntropy('ignoreIndex −100, label smoothing 0.1', 9, 33, 50, {
    ignoreIndex: -100,
    labelSmoothing: 0.1,
  }),
];

/** The conformance cases of every contract, by kernel name. */
export const KERNEL_CASES: Readonly<Record<string, readonly KernelCase[]>> = {
  [ADAMW_UPDATE.name]: [
    adamw('one element', [1], 1, ADAMW_ATTRS),
    adamw('[5, 8], clipped, no decay', [5, 8], 2, { ...ADAMW_ATTRS, gradScale: 0.37, decay: 1 }),
    adamw('1,001 elements', [1001], 3, ADAMW_ATTRS),
  ],
  [GELU.name]: [
    { label: '[7]', build: () => ({ inputs: { x: random([7], 60, 4) }, attrs: {} }) },
    { label: '[33, 65]', build: () => ({ inputs: { x: random([33, 65], 61, 4) }, attrs: {} }) },
  ],
  [GELU_GRAD.name]: [
    {
      label: '[33, 65]',
      build: () => ({
        inputs: { dy: random([33, 65], 62), x: random([33, 65], 63, 4) },
        attrs: {},
      }),
    },
  ],
  [LAYER_NORM.name]: [
    {
      label: '[5, 32] with bias',
      build: () => ({
        inputs: { x: random([5, 32], 70, 3), gamma: random([32], 71), beta: random([32], 72) },
        attrs: { epsilon: 1e-5 },
      }),
    },
    {
      label: '[2, 3, 17] without bias',
      build: () => ({
        inputs: { x: random([2, 3, 17], 73, 3), gamma: random([17], 74) },
        attrs: { epsilon: 1e-5 },
      }),
    },
  ],
  [LAYER_NORM_GRAD.name]: [
    layerNormGrad('[5, 32]', [5, 32], 80),
    layerNormGrad('[2, 3, 17]', [2, 3, 17], 81),
  ],
  [CAUSAL_ATTENTION.name]: attentionCases.map((c) => c.forward),
  [CAUSAL_ATTENTION_GRAD.name]: attentionCases.map((c) => c.gradient),
  [SOFTMAX_CROSS_ENTROPY.name]: crossEntropyCases.map((c) => c.forward),
  [SOFTMAX_CROSS_ENTROPY_GRAD.name]: crossEntropyCases.map((c) => c.gradient),
};
