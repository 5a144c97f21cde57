import {
  ADAMW_UPDATE,
  ADAMW_UPDATE_MULTI,
  adamWUpdateMultiInputs,
  dispatch,
  runKernel,
  useKernel,
} from '@gpt2/backends/kernels';
import * as tf from '@tensorflow/tfjs-core';

/** Options for {@link AdamW}. Defaults follow nanoGPT's GPT-2 recipe. */
export interface AdamWOptions {
  /** Decay rate of the first moment. Default: {@link DEFAULT_ADAMW}.beta1 (0.9). */
  beta1?: number;
  /** Decay rate of the second moment. Default: {@link DEFAULT_ADAMW}.beta2 (0.95, nanoGPT; PyTorch's own default is 0.999). */
  beta2?: number;
  /** Added to the denominator for stability. Default: {@link DEFAULT_ADAMW}.eps (1e-8). */
  eps?: number;
  /** Decoupled weight decay, multiplied by the learning rate. Default: {@link DEFAULT_ADAMW}.weightDecay (0.1). */
  weightDecay?: number;
  /**
   * Which parameters get weight decay. Default: those of rank ≥ 2 (matmul
   * weights and embeddings, not biases or LayerNorm gains), as nanoGPT's
   * `configure_optimizers` does.
   */
  decays?: (name: string, variable: tf.Variable) => boolean;
}

/** Default AdamW hyperparameters (nanoGPT's). */
export const DEFAULT_ADAMW = {
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
} as const;

/** The JSON-serialisable hyperparameters of an {@link AdamW}. */
export interface AdamWHyperparameters {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Serializable optimizer state: the step count and the two moments of every parameter. */
export interface AdamWState {
  /** Number of updates applied so far (PyTorch's `state['step']`). */
  step: number;
  /** `m.<name>` and `v.<name>` for every optimized parameter; owned by the caller. */
  tensors: Map<string, tf.Tensor>;
}

const rankAtLeastTwo = (_name: string, variable: tf.Variable): boolean => variable.rank >= 2;

/**
 * AdamW with decoupled weight decay, written on tfjs variables so that it
 * matches `torch.optim.AdamW` operation for operation (tfjs's AdamOptimizer
 * couples the decay into the gradient, which is Adam + L2, not AdamW).
 *
 * The moments are non-trainable variables. Each step assigns the new
 * parameter and moments to the variables, one parameter at a time, so the
 * step's extra memory is one parameter's temporaries (none on a backend whose
 * fused kernel writes in place, such as wasm with the native addon).
 */
export class AdamW {
  readonly hyperparameters: Readonly<AdamWHyperparameters>;
  private readonly params: Map<string, tf.Variable>;
  private readonly decayed: Set<string>;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  private stepCount = 0;

  /**
   * @param parameters The variables to optimize, keyed by name (frozen ones left out).
   */
  constructor(parameters: Map<string, tf.Variable>, options: AdamWOptions = {}) {
    const hyperparameters = {
      beta1: options.beta1 ?? DEFAULT_ADAMW.beta1,
      beta2: options.beta2 ?? DEFAULT_ADAMW.beta2,
      eps: options.eps ?? DEFAULT_ADAMW.eps,
      weightDecay: options.weightDecay ?? DEFAULT_ADAMW.weightDecay,
    };
    for (const key of ['beta1', 'beta2'] as const) {
      const value = hyperparameters[key];
      if (!(value >= 0 && value < 1))
        throw new RangeError(`AdamW: ${key} must be in [0, 1), got ${value}.`);
    }
    if (!(hyperparameters.eps >= 0))
      throw new RangeError(`AdamW: eps must be ≥ 0, got ${hyperparameters.eps}.`);
    if (!(hyperparameters.weightDecay >= 0)) {
      throw new RangeError(`AdamW: weightDecay must be ≥ 0, got ${hyperparameters.weightDecay}.`);
    }
    this.hyperparameters = Object.freeze(hyperparameters);
    this.params = new Map(parameters);
    const decays = options.decays ?? rankAtLeastTwo;
    this.decayed = new Set([...this.params].filter(([n, v]) => decays(n, v)).map(([n]) => n));
    for (const [name, variable] of this.params) {
      // tidy: tf.variable shares the initial tensor's data, and the temporary must be released.
      this.moments.set(
        name,
        tf.tidy(() => ({
          m: tf.variable(tf.zerosLike(variable), false),
          v: tf.variable(tf.zerosLike(variable), false),
        })),
      );
    }
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.stepCount;
  }

  /** Names of the parameters that receive weight decay. */
  get decayedParameters(): ReadonlySet<string> {
    return this.decayed;
  }

  /**
   * Apply one update. `grads` must hold a gradient for every optimized
   * parameter; `gradScale` multiplies them first (the clipping coefficient).
   * The gradients are not disposed.
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number, gradScale = 1): void {
    if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`AdamW: lr must be ≥ 0, got ${lr}.`);
    const { beta1, beta2, eps, weightDecay } = this.hyperparameters;
    const step = this.stepCount + 1;
    // Same order of operations as torch.optim.adamw._single_tensor_adamw (torch 1.13).
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
    const stepSize = lr / biasCorrection1;
    for (const name of this.params.keys()) {
      if (!grads.has(name)) throw new RangeError(`AdamW: no gradient for parameter '${name}'.`);
    }
    const scalars = { beta1, beta2, eps, stepSize, biasCorrection2Sqrt, gradScale };
    const decayOf = (name: string) =>
      this.decayed.has(name) && weightDecay !== 0 ? 1 - lr * weightDecay : 1;
    const assign = (name: string, param: tf.Variable, [p, m, v]: readonly tf.Tensor[]) => {
      const moments = this.moments.get(name)!;
      moments.m.assign(m!);
      moments.v.assign(v!);
      param.assign(p!);
    };
    if (useKernel(ADAMW_UPDATE_MULTI)) {
      // A GPU's kernel over every parameter at once: per-dispatch cost
      // dominates its small tensors. The same numbers as the per-parameter kernel.
      const entries = [...this.params];
      tf.tidy(() => {
        const outputs = runKernel(
          ADAMW_UPDATE_MULTI,
          adamWUpdateMultiInputs(
            entries.map(([name, param]) => {
              const { m, v } = this.moments.get(name)!;
              return { param, m, v, grad: grads.get(name)! };
            }),
          ),
          { ...scalars, decays: entries.map(([name]) => decayOf(name)) },
        );
        entries.forEach(([name, param], i) => {
          assign(name, param, outputs.slice(3 * i, 3 * i + 3));
        });
      });
    } else {
      // Each parameter apart, one tidy each: a tidy around the whole loop would
      // hold every parameter's temporaries of the op chain until its end.
      for (const [name, param] of this.params) {
        const { m, v } = this.moments.get(name)!;
        tf.tidy(() => {
          // The backend's fused kernel when it has one (one kernel per parameter
          // instead of ~14: the step is dominated by per-kernel cost), else the
          // contract's op chain; the same numbers either way. The outputs go
          // straight into the variables, so a kernel may write them in place.
          const outputs = dispatch(
            ADAMW_UPDATE,
            { param, m, v, grad: grads.get(name)! },
            { ...scalars, decay: decayOf(name), inPlace: true },
          );
          assign(name, param, outputs);
        });
      }
    }
    this.stepCount = step;
  }

  /** Copies of the moments and the step count, for checkpoints. The caller disposes the tensors. */
  getState(): AdamWState {
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, { m, v }] of this.moments) {
      tensors.set(`m.${name}`, tf.clone(m));
      tensors.set(`v.${name}`, tf.clone(v));
    }
    return { step: this.stepCount, tensors };
  }

  /**
   * Restore moments and step from {@link getState}'s output (or a checkpoint).
   * @throws RangeError when a moment is missing, extra, or has the wrong shape.
   */
  setState(state: AdamWState): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new RangeError(`AdamW: state step must be an integer ≥ 0, got ${state.step}.`);
    }
    const expected = new Set<string>();
    for (const [name, { m }] of this.moments) {
      for (const prefix of ['m.', 'v.']) {
        const key = prefix + name;
        expected.add(key);
        const tensor = state.tensors.get(key);
        if (!tensor) throw new RangeError(`AdamW: optimizer state lacks '${key}'.`);
        if (!tf.util.arraysEqual(tensor.shape, m.shape)) {
          throw new RangeError(
            `AdamW: '${key}' has shape [${tensor.shape}], parameter has [${m.shape}].`,
          );
        }
      }
    }
    for (const key of state.tensors.keys()) {
      if (!expected.has(key)) {
        throw new RangeError(
          `AdamW: optimizer state has '${key}', which is not an optimized parameter.`,
        );
      }
    }
    for (const [name, { m, v }] of this.moments) {
      m.assign(state.tensors.get(`m.${name}`)! as tf.Tensor);
      v.assign(state.tensors.get(`v.${name}`)! as tf.Tensor);
    }
    this.stepCount = state.step;
  }

  /** Free the moment variables. */
  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}
