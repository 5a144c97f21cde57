/**
 * GPT-2 (Radford et al. 2019) in tfjs-core, after nanoGPT's model.py: built
 * bottom-up, LayerNorm → CausalSelfAttention → MLP → Block → GPT2Model.
 *
 * Parameters carry Hugging Face's names (without the `transformer.` prefix)
 * and its Conv1D layout, weight [in, out], so x @ W needs no transpose and
 * importing an HF checkpoint is an identity map.
 */
import { causalMask, GPT2_BLOCK, runKernel, useKernel } from '@gpt2/backends/kernels';
import { fillNormal, hashSeed } from '@gpt2/data/random';
import * as tf from '@tensorflow/tfjs-core';
import { type GPT2Config, validateConfig } from './config.js';
import { ContextLengthError } from './errors/context-length-error.js';
import { type TokenIds, toTokenTensor } from './inputs.js';
import { KVCache } from './kv-cache.js';
import {
  type CrossEntropyOptions,
  crossEntropy,
  crossEntropyAttrs,
  meanOverKept,
  targetRows,
} from './loss.js';
import { causalSelfAttention } from './ops/causal-attention.js';
import { gelu } from './ops/gelu.js';
import { layerNorm } from './ops/layer-norm.js';
import { linearGelu } from './ops/linear-gelu.js';
import { crossEntropyChunkRows, lmHeadCrossEntropyRows } from './ops/lm-head-cross-entropy.js';
import { sinusoidalTable } from './sinusoidal.js';

/** How a new parameter is filled. */
type Init = { std: number } | 'zeros' | 'ones';

/** Creates and registers parameters, in creation order (which is HF's order). */
type ParameterFactory = (name: string, shape: number[], init: Init) => tf.Variable;

/** What every layer's forward pass needs besides its input. */
interface ForwardContext {
  /** Whether dropout applies (training). */
  training: boolean;
  /** Dropout when training, identity otherwise. */
  dropout: <T extends tf.Tensor>(x: T, rate: number) => T;
  /**
   * The seed the next dropout of `rate` uses, or undefined when no dropout
   * applies (not training, or rate 0). `draw: false` only asks whether one applies.
   */
  dropoutSeed: (rate: number, draw?: boolean) => number | undefined;
  /** Additive causal mask [T, Tk] (0 or -1e9), absent when T = 1. */
  mask: tf.Tensor2D | undefined;
  cache: KVCache | undefined;
  /** Side branches (LoRA adapters) by layer name, e.g. `h.0.attn.c_attn`. */
  branches: ReadonlyMap<string, LinearBranch>;
}

/**
 * A side branch on one of the model's Conv1D layers: its output is added to
 * the layer's x·W + b. This is how LoRA adapters plug in (see `addLora`);
 * attach one with {@link GPT2Model.setLinearBranch}.
 */
export interface LinearBranch {
  /**
   * The branch's output [N, out] for the layer's input `x` [N, in]. Called
   * inside the model's `tf.tidy`. `dropout` is the model's own (identity
   * unless training; seeded, so resumed runs draw the same masks).
   */
  forward(x: tf.Tensor2D, dropout: <T extends tf.Tensor>(x: T, rate: number) => T): tf.Tensor2D;
}

/** x @ W + b (+ a side branch) for x [N, in], W [in, out] (HF Conv1D). */
function linear(
  x: tf.Tensor2D,
  weight: tf.Variable,
  bias: tf.Variable | undefined,
  branch: LinearBranch | undefined,
  context: ForwardContext,
): tf.Tensor2D {
  let y = tf.matMul(x, weight as tf.Tensor2D) as tf.Tensor2D; // [N, out]
  if (bias) y = tf.add(y, bias) as tf.Tensor2D; // [N, out]
  return branch ? (tf.add(y, branch.forward(x, context.dropout)) as tf.Tensor2D) : y; // [N, out]
}

class LayerNorm {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(param: ParameterFactory, prefix: string, config: GPT2Config) {
    this.weight = param(`${prefix}.weight`, [config.nEmbd], 'ones');
    this.bias = config.bias ? param(`${prefix}.bias`, [config.nEmbd], 'zeros') : undefined;
    this.epsilon = config.layerNormEpsilon;
  }

  private readonly epsilon: number;

  forward(x: tf.Tensor3D): tf.Tensor3D {
    return layerNorm(x, this.weight, this.bias, this.epsilon) as tf.Tensor3D; // [B, T, C]
  }
}

class CausalSelfAttention {
  readonly cAttnWeight: tf.Variable;
  readonly cAttnBias: tf.Variable | undefined;
  readonly cProjWeight: tf.Variable;
  readonly cProjBias: tf.Variable | undefined;

  constructor(
    param: ParameterFactory,
    private readonly prefix: string,
    private readonly config: GPT2Config,
    private readonly layer: number,
  ) {
    const C = config.nEmbd;
    // GPT-2 §2.3: residual-branch output weights are scaled by 1/√N at init,
    // N = 2·n_layer residual layers (HF GPT2PreTrainedModel._init_weights).
    const residualStd = 0.02 / Math.sqrt(2 * config.nLayer);
    this.cAttnWeight = param(`${prefix}.c_attn.weight`, [C, 3 * C], { std: 0.02 });
    this.cAttnBias = config.bias ? param(`${prefix}.c_attn.bias`, [3 * C], 'zeros') : undefined;
    this.cProjWeight = param(`${prefix}.c_proj.weight`, [C, C], { std: residualStd });
    this.cProjBias = config.bias ? param(`${prefix}.c_proj.bias`, [C], 'zeros') : undefined;
  }

  forward(x: tf.Tensor3D, context: ForwardContext): tf.Tensor3D {
    const [B, T, C] = x.shape;
    const nh = this.config.nHead;
    const hd = C / nh;
    const qkv = linear(
      tf.reshape(x, [B * T, C]) as tf.Tensor2D,
      this.cAttnWeight,
      this.cAttnBias,
      context.branches.get(`${this.prefix}.c_attn`),
      context,
    ); // [B*T, 3C]
    const [q, k, v] = tf.split(qkv, 3, -1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // [B*T, C] each
    const heads = (t: tf.Tensor2D) =>
      tf.transpose(tf.reshape(t, [B, T, nh, hd]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, nh, T, hd]
    let keys: tf.Tensor4D; // [B, nh, Tk, hd]
    let values: tf.Tensor4D; // [B, nh, Tk, hd]
    if (!context.cache) {
      keys = heads(k); // [B, nh, T, hd]
      values = heads(v); // [B, nh, T, hd]
    } else {
      // The cache is position-major [Tk, B, C] (see KVCache).
      const byPosition = (t: tf.Tensor2D) =>
        tf.transpose(tf.reshape(t, [B, T, C]), [1, 0, 2]) as tf.Tensor3D; // [T, B, C]
      const cached = context.cache.append(this.layer, byPosition(k), byPosition(v)); // [Tk, B, C]
      const Tk = cached.k.shape[0];
      const cachedHeads = (t: tf.Tensor3D) =>
        tf.transpose(tf.reshape(t, [Tk, B, nh, hd]), [1, 2, 0, 3]) as tf.Tensor4D; // [B, nh, Tk, hd]
      keys = cachedHeads(cached.k);
      values = cachedHeads(cached.v);
    }
    const dropping = context.training && this.config.attnPdrop > 0;
    const y = causalSelfAttention(heads(q), keys, values, {
      scale: 1 / Math.sqrt(hd),
      mask: context.mask, // [T, Tk]
      ...(dropping ? { dropout: (p) => context.dropout(p, this.config.attnPdrop) } : {}),
    }); // [B, nh, T, hd]
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D; // [B*T, C]
    const out = linear(
      merged,
      this.cProjWeight,
      this.cProjBias,
      context.branches.get(`${this.prefix}.c_proj`),
      context,
    ); // [B*T, C]
    return context.dropout(tf.reshape(out, [B, T, C]) as tf.Tensor3D, this.config.residPdrop); // [B, T, C]
  }
}

class MLP {
  readonly cFcWeight: tf.Variable;
  readonly cFcBias: tf.Variable | undefined;
  readonly cProjWeight: tf.Variable;
  readonly cProjBias: tf.Variable | undefined;

  constructor(
    param: ParameterFactory,
    private readonly prefix: string,
    private readonly config: GPT2Config,
  ) {
    const C = config.nEmbd;
    const residualStd = 0.02 / Math.sqrt(2 * config.nLayer); // see CausalSelfAttention
    this.cFcWeight = param(`${prefix}.c_fc.weight`, [C, 4 * C], { std: 0.02 });
    this.cFcBias = config.bias ? param(`${prefix}.c_fc.bias`, [4 * C], 'zeros') : undefined;
    this.cProjWeight = param(`${prefix}.c_proj.weight`, [4 * C, C], { std: residualStd });
    this.cProjBias = config.bias ? param(`${prefix}.c_proj.bias`, [C], 'zeros') : undefined;
  }

  forward(x: tf.Tensor3D, context: ForwardContext): tf.Tensor3D {
    const [B, T, C] = x.shape;
    const { branches } = context;
    const fc = branches.get(`${this.prefix}.c_fc`);
    const rows = tf.reshape(x, [B * T, C]) as tf.Tensor2D; // [B*T, C]
    // GELU(x·W + b) in one kernel where the backend has MATMUL_BIAS_GELU; a LoRA branch on
    // c_fc adds to x·W + b before GELU, so that layer keeps the separate ops.
    const h = fc
      ? gelu(linear(rows, this.cFcWeight, this.cFcBias, fc, context))
      : linearGelu(rows, this.cFcWeight as tf.Tensor2D, this.cFcBias as tf.Tensor1D | undefined); // [B*T, 4C]
    const out = linear(
      h,
      this.cProjWeight,
      this.cProjBias,
      branches.get(`${this.prefix}.c_proj`),
      context,
    ); // [B*T, C]
    return context.dropout(tf.reshape(out, [B, T, C]) as tf.Tensor3D, this.config.residPdrop); // [B, T, C]
  }
}

class Block {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: LayerNorm;
  readonly mlp: MLP;

  constructor(
    param: ParameterFactory,
    private readonly config: GPT2Config,
    private readonly layer: number,
  ) {
    this.ln1 = new LayerNorm(param, `h.${layer}.ln_1`, config);
    this.attn = new CausalSelfAttention(param, `h.${layer}.attn`, config, layer);
    this.ln2 = new LayerNorm(param, `h.${layer}.ln_2`, config);
    this.mlp = new MLP(param, `h.${layer}.mlp`, config);
  }

  /** Pre-LayerNorm residual block (GPT-2 §2.3). */
  forward(x: tf.Tensor3D, context: ForwardContext): tf.Tensor3D {
    // The fused block knows nothing of LoRA branches: a model under an adapter keeps the ops.
    if (
      context.cache &&
      !context.training &&
      context.branches.size === 0 &&
      useKernel(GPT2_BLOCK)
    ) {
      return this.#forwardFused(x, context.cache);
    }
    x = tf.add(x, this.attn.forward(this.ln1.forward(x), context)); // [B, T, C]
    return tf.add(x, this.mlp.forward(this.ln2.forward(x), context)); // [B, T, C]
  }

  /**
   * The same block as one `GPT2Block` kernel (@gpt2/backends/kernels), for
   * inference with a KV cache on a backend that has it: a decode step reads
   * each weight once, and the native backend appends to the cache in place.
   */
  #forwardFused(x: tf.Tensor3D, cache: KVCache): tf.Tensor3D {
    const past = cache.get(this.layer);
    const optional = (name: string, t: tf.Variable | undefined) => (t ? { [name]: t } : {});
    const [y, keys, values] = runKernel(
      GPT2_BLOCK,
      {
        x,
        ln1Gamma: this.ln1.weight as tf.Tensor1D,
        ...optional('ln1Beta', this.ln1.bias),
        attnWeight: this.attn.cAttnWeight as tf.Tensor2D,
        ...optional('attnBias', this.attn.cAttnBias),
        attnProjWeight: this.attn.cProjWeight as tf.Tensor2D,
        ...optional('attnProjBias', this.attn.cProjBias),
        ln2Gamma: this.ln2.weight as tf.Tensor1D,
        ...optional('ln2Beta', this.ln2.bias),
        fcWeight: this.mlp.cFcWeight as tf.Tensor2D,
        ...optional('fcBias', this.mlp.cFcBias),
        mlpProjWeight: this.mlp.cProjWeight as tf.Tensor2D,
        ...optional('mlpProjBias', this.mlp.cProjBias),
        ...(past ? { pastKeys: past.keys, pastValues: past.values } : {}),
      },
      {
        nHead: this.config.nHead,
        epsilon: this.config.layerNormEpsilon,
        capacity: cache.nPositions,
      },
    ); // [B, T, C]; [Tk, B, C] twice
    cache.set(this.layer, keys, values);
    return y;
  }

  /** The block's variables, in a fixed order (the recomputed block's inputs). */
  variables(): tf.Variable[] {
    const { ln1, attn, ln2, mlp } = this;
    return [
      ln1.weight,
      ln1.bias,
      attn.cAttnWeight,
      attn.cAttnBias,
      attn.cProjWeight,
      attn.cProjBias,
      ln2.weight,
      ln2.bias,
      mlp.cFcWeight,
      mlp.cFcBias,
      mlp.cProjWeight,
      mlp.cProjBias,
    ].filter((v): v is tf.Variable => v !== undefined);
  }
}

/**
 * Runs `body` (an autodiff pass) on a tape of its own inside a gradient
 * function. tfjs keeps one active tape: a nested `gradients` call would
 * replace the tape of the backward pass that is running (and clear it when
 * done, which breaks the outer pass's clean-up), so it is set aside and put back.
 */
function onOwnTape<T>(body: () => T): T {
  const state = tf.engine().state as unknown as { activeTape: unknown };
  const outer = state.activeTape;
  try {
    return body();
  } finally {
    state.activeTape = outer;
  }
}

/**
 * A block whose activations are recomputed in the backward pass (activation
 * checkpointing, Chen et al. 2016): the forward pass keeps only the block's
 * input; the backward pass runs the block forward again on its own tape and
 * differentiates that. The block's variables are passed as inputs of the
 * custom gradient, so they receive their gradients (a customGrad sees only
 * its inputs). Dropout draws its seeds once, in the forward pass, and the
 * recomputation replays them: the same masks, so the same gradients.
 */
function recomputedBlock(
  block: Block,
  context: ForwardContext,
  replayMask: () => tf.Tensor2D | undefined,
): (x: tf.Tensor3D) => tf.Tensor3D {
  const variables = block.variables();
  const seeds: number[] = [];
  const recording: ForwardContext = {
    ...context,
    dropout: (x, rate) => {
      const seed = context.dropoutSeed(rate);
      if (seed === undefined) return x;
      seeds.push(seed);
      return tf.dropout(x, rate, undefined, seed) as typeof x;
    },
  };
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const x = args[0] as tf.Tensor3D;
    save([x]);
    return {
      value: block.forward(x, recording), // [B, T, C]; the tape is off in here
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          let next = 0;
          const replaying: ForwardContext = {
            ...context,
            mask: replayMask(), // the forward pass's slice is gone by now
            dropout: (t, rate) =>
              context.dropoutSeed(rate, false) === undefined
                ? t
                : (tf.dropout(t, rate, undefined, seeds[next++]) as typeof t),
          };
          const input = saved[0] as tf.Tensor3D;
          const { value, grads } = onOwnTape(() =>
            tf.engine().gradients(() => block.forward(input, replaying), [input, ...variables], dy),
          );
          value.dispose();
          return grads;
        }),
    };
  }) as (x: tf.Tensor3D, ...variables: tf.Variable[]) => tf.Tensor3D;
  return (x) => run(x, ...variables);
}

/** How {@link GPT2Model.create} fills the parameters. */
export type GPT2Init = 'gpt2' | 'zeros';

/** Options for {@link GPT2Model.create}. */
export interface GPT2ModelOptions {
  /** Seed for the initial weights and for dropout. Default: {@link DEFAULT_SEED}. */
  seed?: number;
  /**
   * `'gpt2'`: GPT-2's initialisation (N(0, 0.02), scaled residual
   * projections, zero biases, unit LayerNorm). `'zeros'`: skip the random
   * numbers, for a model whose weights are loaded next. Default: `'gpt2'`.
   */
  init?: GPT2Init;
}

/** Options for {@link GPT2Model.forward}. */
export interface ForwardOptions {
  /** Apply dropout. Default: false. */
  training?: boolean;
  /**
   * Past keys and values: `ids` are then the new tokens only, positions
   * continue from `cache.length`, and the cache is extended in place.
   * Default: none (a full forward pass from position 0).
   */
  cache?: KVCache;
  /**
   * Compute logits for the last position only, [B, 1, V]: all a sampler
   * needs, and the V-wide head is most of a short forward pass (512 × 50,257
   * logits for a 512-token gpt2 prefill otherwise). Default: false ([B, T, V]).
   */
  lastPositionOnly?: boolean;
}

/** Options for {@link GPT2Model.loss}. */
export interface LossOptions extends CrossEntropyOptions {
  /** Apply dropout. Default: false. */
  training?: boolean;
  /**
   * Keep only each block's input during the forward pass and recompute the
   * block's activations in the backward pass (activation checkpointing): the
   * activations of all blocks but one are never held, for about one more
   * forward pass of compute. Matters only under a gradient tape. Default: false.
   */
  recompute?: boolean;
  /**
   * How the output head and the cross-entropy run. `'auto'`: in chunks of
   * tokens (a fused head + cross-entropy whose [B·T, V] logits and their
   * gradient never exist whole) when the logits would be large, whole
   * otherwise (see `crossEntropyChunkRows`); a number n > 0: chunks of n
   * tokens; 0: the logits whole, as {@link GPT2Model.forward} gives them.
   * Default: {@link DEFAULT_CROSS_ENTROPY_CHUNK} (`'auto'`).
   */
  crossEntropyChunk?: number | 'auto';
}

/** Default {@link LossOptions.crossEntropyChunk}. */
export const DEFAULT_CROSS_ENTROPY_CHUNK = 'auto';

/** Default {@link GPT2ModelOptions.seed} (nanoGPT's). */
export const DEFAULT_SEED = 1337;

let modelCount = 0;

/** GPT-2 language model: token ids [B, T] → next-token logits [B, T, V]. */
export class GPT2Model {
  readonly config: GPT2Config;
  readonly #parameters = new Map<string, tf.Variable>();
  readonly #wte: tf.Variable;
  readonly #wpe: tf.Variable | undefined;
  readonly #blocks: Block[] = [];
  readonly #lnF: LayerNorm;
  readonly #lmHead: tf.Variable | undefined;
  readonly #branches = new Map<string, LinearBranch>();
  readonly #seed: number;
  #dropoutCalls = 0;
  #sinusoid: tf.Tensor2D | undefined;
  #causalMask: tf.Tensor2D | undefined;
  #disposed = false;

  private constructor(config: GPT2Config, options: GPT2ModelOptions) {
    this.config = Object.freeze({ ...validateConfig(config) });
    const seed = options.seed ?? DEFAULT_SEED;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}.`);
    const init = options.init ?? 'gpt2';
    if (init !== 'gpt2' && init !== 'zeros') {
      throw new RangeError(`init must be 'gpt2' or 'zeros', got ${String(init)}.`);
    }
    this.#seed = seed;
    const scope = `gpt2_${modelCount++}`; // tfjs variable names are global
    const param: ParameterFactory = (name, shape, how) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (how === 'ones') values.fill(1);
      // Each tensor draws from its own stream, keyed by its name: the same
      // seed gives the same wte whatever the depth, on every backend.
      else if (how !== 'zeros' && init === 'gpt2')
        fillNormal(values, how.std, hashSeed(seed, name));
      const initial = tf.tensor(values, shape, 'float32');
      const variable = tf.variable(initial, true, `${scope}/${name}`);
      initial.dispose(); // the variable holds its own reference to the data
      this.#parameters.set(name, variable);
      return variable;
    };
    const { vocabSize: V, nPositions: P, nEmbd: C } = this.config;
    // HF and nanoGPT initialise both embeddings with N(0, 0.02).
    this.#wte = param('wte.weight', [V, C], { std: 0.02 });
    if (this.config.positionEmbedding === 'learned') {
      this.#wpe = param('wpe.weight', [P, C], { std: 0.02 });
    }
    for (let layer = 0; layer < this.config.nLayer; layer++) {
      this.#blocks.push(new Block(param, this.config, layer));
    }
    this.#lnF = new LayerNorm(param, 'ln_f', this.config);
    if (!this.config.tieWordEmbeddings) {
      this.#lmHead = param('lm_head.weight', [V, C], { std: 0.02 });
    }
  }

  /** A new model with GPT-2's initialisation, deterministic in `options.seed`. */
  static create(config: GPT2Config, options: GPT2ModelOptions = {}): GPT2Model {
    return new GPT2Model(config, options);
  }

  /**
   * Trainable variables keyed by HF GPT-2 names without the `transformer.`
   * prefix, in HF's order, Conv1D layout [in, out]: `wte.weight` [V, C],
   * `wpe.weight` [P, C] (learned positions only), `h.{i}.ln_1.weight|bias`,
   * `h.{i}.attn.c_attn.weight` [C, 3C], `h.{i}.attn.c_proj.weight` [C, C],
   * `h.{i}.ln_2.*`, `h.{i}.mlp.c_fc.weight` [C, 4C], `h.{i}.mlp.c_proj.weight`
   * [4C, C], their biases (when `config.bias`), `ln_f.*`, and `lm_head.weight`
   * [V, C] only when embeddings are untied. A new Map each call.
   */
  parameters(): Map<string, tf.Variable> {
    this.#assertLive();
    return new Map(this.#parameters);
  }

  /**
   * Names of the Conv1D layers a {@link LinearBranch} can attach to, in
   * parameter order: `h.{i}.attn.c_attn` [C → 3C], `h.{i}.attn.c_proj`
   * [C → C], `h.{i}.mlp.c_fc` [C → 4C], `h.{i}.mlp.c_proj` [4C → C]. Each
   * layer's weight is `parameters().get(name + '.weight')`, [in, out].
   */
  linearLayerNames(): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.config.nLayer; i++) {
      names.push(
        `h.${i}.attn.c_attn`,
        `h.${i}.attn.c_proj`,
        `h.${i}.mlp.c_fc`,
        `h.${i}.mlp.c_proj`,
      );
    }
    return names;
  }

  /**
   * Attach `branch` to the Conv1D layer `layer` (one of
   * {@link linearLayerNames}), or detach with `undefined`. Every forward pass
   * then adds the branch's output to the layer's. One branch per layer: an
   * adapter must be detached before another is attached.
   *
   * @throws RangeError for an unknown layer, or a layer that already has a branch.
   */
  setLinearBranch(layer: string, branch: LinearBranch | undefined): void {
    this.#assertLive();
    if (!this.linearLayerNames().includes(layer)) {
      throw new RangeError(
        `setLinearBranch: '${layer}' is not a Conv1D layer of this model (h.{i}.attn.c_attn, h.{i}.attn.c_proj, h.{i}.mlp.c_fc or h.{i}.mlp.c_proj, i < ${this.config.nLayer}).`,
      );
    }
    if (branch === undefined) {
      this.#branches.delete(layer);
      return;
    }
    if (this.#branches.has(layer)) {
      throw new RangeError(
        `setLinearBranch: layer '${layer}' already has a branch (another adapter is attached); remove it first.`,
      );
    }
    this.#branches.set(layer, branch);
  }

  /** A KV cache for incremental decoding of `batchSize` sequences. */
  createKVCache(batchSize: number): KVCache {
    return new KVCache({
      nLayer: this.config.nLayer,
      batchSize,
      nPositions: this.config.nPositions,
    });
  }

  /**
   * Next-token logits, float32 [B, T, V] ([B, 1, V] with
   * `lastPositionOnly`), for int32 token ids [B, T].
   *
   * @throws TokenIdError, TypeError or RangeError for bad ids;
   *   ContextLengthError when cached + new positions exceed `nPositions`.
   */
  forward(ids: TokenIds, options: ForwardOptions = {}): tf.Tensor3D {
    this.#assertLive();
    const { cache } = options;
    if (cache !== undefined) this.#checkCache(cache);
    return tf.tidy(() => {
      const x = this.#hidden(ids, options); // [B, To, C]
      const [B, To, C] = x.shape;
      // Weight tying (Press & Wolf 2017; GPT-2): the output projection is the
      // token embedding, logits = x @ wte^T.
      const logits = tf.matMul(tf.reshape(x, [B * To, C]), this.#head(), false, true); // [B*To, V]
      return tf.reshape(logits, [B, To, this.config.vocabSize]) as tf.Tensor3D; // [B, To, V]
    });
  }

  /**
   * Mean cross-entropy of the next-token predictions for `ids` against
   * `targets` (both [B, T]), over targets that are not `ignoreIndex`. With
   * large logits the head and the loss run in chunks of tokens, and with
   * `recompute` the blocks' activations are recomputed in the backward pass
   * (see {@link LossOptions}).
   */
  loss(ids: TokenIds, targets: TokenIds, options: LossOptions = {}): tf.Scalar {
    this.#assertLive();
    const attrs = crossEntropyAttrs(options);
    const { training = false, recompute = false } = options;
    if (typeof recompute !== 'boolean') {
      throw new TypeError(`recompute must be a boolean, got ${String(recompute)}.`);
    }
    return tf.tidy(() => {
      const x = this.#hidden(ids, { training, recompute }); // [B, T, C]
      const [B, T, C] = x.shape;
      const V = this.config.vocabSize;
      const chunk = crossEntropyChunkRows(
        options.crossEntropyChunk ?? DEFAULT_CROSS_ENTROPY_CHUNK,
        B * T,
        V,
        C,
      );
      if (chunk === 0) {
        const logits = tf.matMul(tf.reshape(x, [B * T, C]), this.#head(), false, true); // [B*T, V]
        return crossEntropy(tf.reshape(logits, [B, T, V]) as tf.Tensor3D, targets, attrs);
      }
      const y = targetRows(targets, [B, T], V, attrs.ignoreIndex); // [B*T]
      const { loss, weights } = lmHeadCrossEntropyRows(
        tf.reshape(x, [B * T, C]) as tf.Tensor2D,
        this.#head(),
        y,
        attrs,
        chunk,
      ); // [B*T] each
      return meanOverKept(loss, weights);
    });
  }

  /** The output head [V, C]: `lm_head`, or the token embedding when tied. */
  #head(): tf.Tensor2D {
    return (this.#lmHead ?? this.#wte) as tf.Tensor2D;
  }

  /**
   * The final hidden states, after ln_f: [B, T, C] ([B, 1, C] with
   * `lastPositionOnly`). Call inside `tf.tidy`.
   */
  #hidden(ids: TokenIds, options: ForwardOptions & { recompute?: boolean }): tf.Tensor3D {
    const { cache, training = false, lastPositionOnly = false, recompute = false } = options;
    const { vocabSize: V, nPositions: P, nEmbd: C } = this.config;
    const idx = toTokenTensor(ids, { input: 'ids', vocabSize: V });
    const [B, T] = idx.shape;
    const start = cache?.length ?? 0;
    if (start + T > P)
      throw new ContextLengthError({ length: start + T, nPositions: P, cached: start });
    if (cache && B !== cache.batchSize) {
      throw new RangeError(`ids have batch size ${B}, the KV cache ${cache.batchSize}.`);
    }
    // A recomputed block differentiates the block's own variables only; an
    // adapter's would get no gradient. Adapters train in little memory anyway.
    if (recompute && this.#branches.size > 0) {
      throw new Error(
        'recompute is not supported on a model with LoRA adapters attached: train the adapters without recompute (their gradients and moments are small).',
      );
    }
    const maskSlice = () =>
      T > 1 ? (tf.slice(this.#mask(), [start, 0], [T, start + T]) as tf.Tensor2D) : undefined; // [T, Tk]
    const dropoutSeed = (rate: number, draw = true) =>
      training && rate > 0 ? (draw ? this.#nextDropoutSeed() : 0) : undefined;
    const context: ForwardContext = {
      training,
      dropout: (x, rate) => {
        const seed = dropoutSeed(rate);
        return seed === undefined ? x : (tf.dropout(x, rate, undefined, seed) as typeof x);
      },
      dropoutSeed,
      mask: maskSlice(),
      cache,
      branches: this.#branches,
    };
    const tok = tf.reshape(tf.gather(this.#wte, tf.reshape(idx, [B * T])), [B, T, C]); // [B, T, C]
    const pos = tf.slice(this.#positions(), [start, 0], [T, C]); // [T, C]
    let x = context.dropout(tf.add(tok, pos), this.config.embdPdrop) as tf.Tensor3D; // [B, T, C]
    for (const block of this.#blocks) {
      if (recompute && !cache) {
        x = recomputedBlock(block, context, maskSlice)(x); // [B, T, C]
      } else {
        // A tidy per block: its temporaries go as soon as it is done (what
        // a gradient needs is kept by the tape, whatever the tidy).
        const input = x;
        x = tf.tidy(() => block.forward(input, context)); // [B, T, C]
      }
    }
    cache?.advance(T);
    // nanoGPT's inference-time optimisation: only the last position's logits.
    if (lastPositionOnly && T > 1) x = tf.slice(x, [0, T - 1, 0], [B, 1, C]); // [B, 1, C]
    return this.#lnF.forward(x); // [B, To, C]
  }

  /** True after {@link dispose}. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Release every parameter and cached constant. */
  dispose(): void {
    if (this.#disposed) return;
    for (const variable of this.#parameters.values()) variable.dispose();
    this.#parameters.clear();
    this.#branches.clear();
    this.#sinusoid?.dispose();
    this.#causalMask?.dispose();
    this.#disposed = true;
  }

  /** The position table: learned wpe, or the constant sinusoid [P, C]. */
  #positions(): tf.Tensor2D {
    if (this.#wpe) return this.#wpe as tf.Tensor2D;
    const { nPositions: P, nEmbd: C } = this.config;
    this.#sinusoid ??= tf.keep(tf.tensor2d(sinusoidalTable(P, C), [P, C]));
    return this.#sinusoid;
  }

  /**
   * The additive causal mask for all positions, [P, P]: 0 where key j ≤ query
   * i, -1e9 above the diagonal. Built once from constants (the gradient of
   * tf.linalg.bandPart throws) and sliced per call to [T, start + T].
   */
  #mask(): tf.Tensor2D {
    const P = this.config.nPositions;
    this.#causalMask ??= tf.keep(causalMask(P, P));
    return this.#causalMask;
  }

  /**
   * The dropout random state, for checkpoints: restoring it makes a resumed
   * run draw the same dropout masks as an uninterrupted one.
   */
  getRandomState(): { dropoutCalls: number } {
    return { dropoutCalls: this.#dropoutCalls };
  }

  /** Restore a state from {@link getRandomState}. */
  setRandomState(state: { dropoutCalls: number }): void {
    if (!Number.isSafeInteger(state?.dropoutCalls) || state.dropoutCalls < 0) {
      throw new TypeError(`Invalid model random state: ${JSON.stringify(state)}`);
    }
    this.#dropoutCalls = state.dropoutCalls;
  }

  /** A fresh, reproducible seed per dropout call: same model seed, same masks. */
  #nextDropoutSeed(): number {
    return hashSeed(this.#seed, `dropout:${this.#dropoutCalls++}`);
  }

  #checkCache(cache: KVCache): void {
    if (!(cache instanceof KVCache) || cache.nLayer !== this.config.nLayer) {
      throw new TypeError('options.cache must be a KVCache from this model (model.createKVCache).');
    }
    if (cache.isDisposed) throw new Error('options.cache was disposed.');
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error('GPT2Model: used after dispose().');
  }
}
