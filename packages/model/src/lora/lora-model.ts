/**
 * LoRA (Hu et al. 2021, "Low-Rank Adaptation of Large Language Models"):
 * frozen Conv1D weights W [in, out] get a trainable low-rank side branch, so
 * a layer computes x·W + b + (x·A·B)·scale with A [in, r], B [r, out] and
 * scale = alpha / r. Initialised as PEFT does (`tuners/lora/layer.py`): A
 * Kaiming-uniform, B zeros, so the adapted model starts as the base model.
 *
 * A and B are held in the model's Conv1D orientation ([in, r], [r, out]: no
 * transposes in the forward pass); PEFT's files store the nn.Linear
 * orientation (`lora_A.weight` [r, in], `lora_B.weight` [out, r]), and
 * `saveLoraAdapter`/`loadLoraAdapter` transpose.
 */

import { hashSeed, uniformGenerator } from '@gpt2/data/random';
import * as tf from '@tensorflow/tfjs-core';
import type { GPT2Config } from '../config.js';
import type { FlopsPerTokenOptions } from '../count.js';
import type { TokenIds } from '../inputs.js';
import type { KVCache } from '../kv-cache.js';
import {
  DEFAULT_SEED,
  type ForwardOptions,
  type GPT2Model,
  type LinearBranch,
  type LossOptions,
} from '../model.js';
import {
  type LoraConfig,
  type LoraLayerPlan,
  type LoraOptions,
  planLoraLayers,
  resolveLoraConfig,
} from './lora-config.js';
import { loraFlopsPerToken } from './lora-footprint.js';

/** Options for {@link addLora}. */
export interface AddLoraOptions extends LoraOptions {
  /** Seed for the A matrices. Default: {@link DEFAULT_SEED}. */
  seed?: number;
}

/** One adapted layer's state. */
interface LoraLayer {
  plan: LoraLayerPlan;
  /** The base layer's frozen weight [in, out]. */
  weight: tf.Variable;
  /** [in, r] */
  a: tf.Variable;
  /** [r, out] */
  b: tf.Variable;
  branch: LinearBranch;
}

let loraCount = 0;

// mergeLora and unmergeLora reach the class's private state through these,
// set in its static block: the functions are the one public way to merge.
let mergeLayers: (lora: LoraModel, keepOriginals: boolean) => void;
let unmergeLayers: (lora: LoraModel) => void;

/** The side branch: (dropout(x)·A·scale)·B. */
function loraBranch(a: tf.Variable, b: tf.Variable, scale: number, rate: number): LinearBranch {
  return {
    forward(x, dropout) {
      const input = rate > 0 ? dropout(x, rate) : x; // [N, in]
      // Scaling the [N, r] product rather than PEFT's [N, out] output: the same
      // value up to rounding, on a tensor out/r times smaller.
      const low = tf.mul(tf.matMul(input, a as tf.Tensor2D), scale) as tf.Tensor2D; // [N, r]
      return tf.matMul(low, b as tf.Tensor2D) as tf.Tensor2D; // [N, out]
    },
  };
}

/**
 * A GPT-2 model with LoRA adapters attached: what `addLora` and
 * `loadLoraAdapter` return. While it lives, the base model's forward passes
 * include the adapters and the base weights are frozen (`trainable = false`).
 * It is a `TrainableModel` for `@gpt2/trainer` whose `parameters()` are the
 * adapters only, so gradients and optimizer state exist for them alone; and
 * a model for `@gpt2/sampler` and `@gpt2/eval` (`forward`, `createKVCache`).
 */
export class LoraModel {
  /** The adapted model. Its own `forward` includes the adapters too. */
  readonly base: GPT2Model;
  /** LoRA settings, with defaults filled in. */
  readonly loraConfig: LoraConfig;
  /** The adapted layers, in parameter order. */
  readonly layers: readonly LoraLayerPlan[];
  readonly #layers: LoraLayer[] = [];
  readonly #parameters = new Map<string, tf.Variable>();
  /** The base variables' `trainable` flags before freezing, restored by dispose. */
  readonly #trainable = new Map<tf.Variable, boolean>();
  /** Base weights as they were before {@link mergeLora}, by layer name. */
  #originals: Map<string, tf.Tensor> | undefined;
  #merged = false;
  #disposed = false;

  static {
    mergeLayers = (lora, keepOriginals) => lora.#merge(keepOriginals);
    unmergeLayers = (lora) => lora.#unmerge();
  }

  /** Use {@link addLora} or `loadLoraAdapter`. */
  constructor(base: GPT2Model, options: AddLoraOptions = {}) {
    const { seed = DEFAULT_SEED, ...loraOptions } = options;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}.`);
    this.base = base;
    this.loraConfig = resolveLoraConfig(loraOptions);
    this.layers = Object.freeze(planLoraLayers(base.config, this.loraConfig));
    const baseParameters = base.parameters();
    const scope = `lora_${loraCount++}`; // tfjs variable names are global
    const attached: string[] = [];
    try {
      for (const plan of this.layers) {
        const weight = baseParameters.get(`${plan.name}.weight`)!;
        const a = tf.tidy(() =>
          tf.variable(
            tf.tensor2d(initA(plan, seed), [plan.inFeatures, plan.r]),
            true,
            `${scope}/${plan.name}.lora_A`,
          ),
        );
        const b = tf.tidy(() =>
          tf.variable(tf.zeros([plan.r, plan.outFeatures]), true, `${scope}/${plan.name}.lora_B`),
        );
        this.#parameters.set(`${plan.name}.lora_A`, a);
        this.#parameters.set(`${plan.name}.lora_B`, b);
        const branch = loraBranch(a, b, plan.scale, this.loraConfig.dropout);
        this.#layers.push({ plan, weight, a, b, branch });
        base.setLinearBranch(plan.name, branch);
        attached.push(plan.name);
      }
    } catch (error) {
      for (const name of attached) base.setLinearBranch(name, undefined);
      for (const variable of this.#parameters.values()) variable.dispose();
      throw error;
    }
    // PEFT's requires_grad_(False): tf.variableGrads skips non-trainable
    // variables, so no gradient is ever computed for a base weight.
    for (const variable of baseParameters.values()) {
      this.#trainable.set(variable, variable.trainable);
      variable.trainable = false;
    }
  }

  /** The base model's config (the trainer records it in checkpoints). */
  get config(): GPT2Config {
    return this.base.config;
  }

  /** True between {@link mergeLora} and {@link unmergeLora}. */
  get merged(): boolean {
    return this.#merged;
  }

  /**
   * The adapters, in the base model's layer order: `h.{i}.attn.c_attn.lora_A`
   * [in, r] and `h.{i}.attn.c_attn.lora_B` [r, out] for each adapted layer
   * (Conv1D orientation; PEFT files hold their transposes). A new Map each call.
   */
  parameters(): Map<string, tf.Variable> {
    this.#assertLive();
    return new Map(this.#parameters);
  }

  /** Number of trainable (adapter) parameters: Σ r·(in + out) over the adapted layers. */
  trainableParameterCount(): number {
    return this.layers.reduce(
      (sum, plan) => sum + plan.r * (plan.inFeatures + plan.outFeatures),
      0,
    );
  }

  /** Model FLOPs per token with the adapters: see `loraFlopsPerToken` (the trainer's MFU uses it). */
  flopsPerToken(options: FlopsPerTokenOptions = {}): number {
    const { layers, ...config } = this.loraConfig;
    return loraFlopsPerToken(
      this.base.config,
      { ...config, ...(layers ? { layers } : {}) },
      options,
    );
  }

  /** The base model's forward pass, adapters included. See `GPT2Model.forward`. */
  forward(ids: TokenIds, options: ForwardOptions = {}): tf.Tensor3D {
    this.#assertLive();
    return this.base.forward(ids, options);
  }

  /**
   * Mean cross-entropy, as `GPT2Model.loss`, adapters included.
   * @throws Error when training while merged: the adapters would get no gradient.
   */
  loss(ids: TokenIds, targets: TokenIds, options: LossOptions = {}): tf.Scalar {
    this.#assertLive();
    if (this.#merged && options.training) {
      throw new Error(
        'LoraModel: the adapters are merged into the weights; unmergeLora() before training.',
      );
    }
    return this.base.loss(ids, targets, options);
  }

  /** A KV cache for the base model. */
  createKVCache(batchSize: number): KVCache {
    return this.base.createKVCache(batchSize);
  }

  /** The base model's dropout state (LoRA dropout draws from it too). */
  getRandomState(): { dropoutCalls: number } {
    return this.base.getRandomState();
  }

  /** Restore {@link getRandomState}'s value. */
  setRandomState(state: { dropoutCalls: number }): void {
    this.base.setRandomState(state);
  }

  /**
   * Detach the adapters and free them. The base weights stay as they are:
   * the originals when unmerged, the merged weights after {@link mergeLora}
   * (PEFT's `merge_and_unload`). Base variables become trainable again.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // A disposed base has dropped its branches (and its variables) already.
    if (!this.#merged && !this.base.isDisposed) {
      for (const layer of this.#layers) this.base.setLinearBranch(layer.plan.name, undefined);
    }
    for (const [variable, trainable] of this.#trainable) variable.trainable = trainable;
    for (const variable of this.#parameters.values()) variable.dispose();
    tf.dispose([...(this.#originals?.values() ?? [])]);
    this.#originals = undefined;
    this.#parameters.clear();
  }

  #merge(keepOriginals: boolean): void {
    this.#assertLive();
    if (this.#merged) throw new Error('mergeLora: the adapters are merged already.');
    const originals = keepOriginals ? new Map<string, tf.Tensor>() : undefined;
    for (const { plan, weight, a, b } of this.#layers) {
      const merged = tf.tidy(() => tf.add(weight, tf.mul(tf.matMul(a, b), plan.scale))); // [in, out]
      // A clone shares the original's data; assign() gives the variable new
      // data and leaves the clone holding the old: no copy, and exact.
      if (originals) originals.set(plan.name, tf.keep(tf.clone(weight)));
      weight.assign(merged);
      merged.dispose();
      this.base.setLinearBranch(plan.name, undefined);
    }
    this.#originals = originals;
    this.#merged = true;
  }

  #unmerge(): void {
    this.#assertLive();
    if (!this.#merged) throw new Error('unmergeLora: the adapters are not merged.');
    const originals = this.#originals;
    if (!originals) {
      throw new Error(
        'unmergeLora: mergeLora ran with keepOriginals: false, so the original weights are gone.',
      );
    }
    for (const { plan, weight, branch } of this.#layers) {
      weight.assign(originals.get(plan.name)!);
      this.base.setLinearBranch(plan.name, branch);
    }
    tf.dispose([...originals.values()]);
    this.#originals = undefined;
    this.#merged = false;
  }

  #assertLive(): void {
    if (this.#disposed) throw new Error('LoraModel: used after dispose().');
  }
}

/**
 * PEFT's default A: `nn.init.kaiming_uniform_(lora_A.weight, a=√5)` on the
 * [r, in] weight, i.e. U(-1/√in, 1/√in) (gain √(2/(1+5)) times √(3/in)).
 * Drawn from a stream keyed by the layer's name, so it is the same on every backend.
 */
function initA(plan: LoraLayerPlan, seed: number): Float32Array {
  const bound = 1 / Math.sqrt(plan.inFeatures);
  const uniform = uniformGenerator(hashSeed(seed, `lora:${plan.name}.lora_A`));
  const values = new Float32Array(plan.inFeatures * plan.r);
  for (let i = 0; i < values.length; i++) values[i] = (2 * uniform() - 1) * bound;
  return values;
}

/**
 * Attach fresh LoRA adapters to `model` (PEFT's `get_peft_model`): A
 * Kaiming-uniform, B zeros, so outputs are unchanged until training. Train
 * the returned model's `parameters()`; the base weights are frozen.
 *
 * @example
 * const lora = addLora(model, { r: 8, alpha: 16, targets: ['c_attn', 'c_proj'] });
 * @throws RangeError for bad options or unknown target modules, and when
 *   the model already carries adapters.
 */
export function addLora(model: GPT2Model, options: AddLoraOptions = {}): LoraModel {
  return new LoraModel(model, options);
}

/** Options for {@link mergeLora}. */
export interface MergeLoraOptions {
  /**
   * Keep the original weights so {@link unmergeLora} restores them bit for
   * bit (one extra copy of each adapted weight while merged). With false,
   * the merge is final: dispose the LoraModel afterwards to drop the adapters
   * (PEFT's `merge_and_unload`). Default: true.
   */
  keepOriginals?: boolean;
}

/**
 * Fold the adapters into the base weights, W ← W + A·B·scale, and detach the
 * branches: the model then runs at the base model's cost with the adapted
 * outputs. The base model can be saved as a plain GPT-2 checkpoint.
 */
export function mergeLora(lora: LoraModel, options: MergeLoraOptions = {}): void {
  mergeLayers(lora, options.keepOriginals ?? true);
}

/** Undo {@link mergeLora}: restore the original weights exactly and reattach the adapters. */
export function unmergeLora(lora: LoraModel): void {
  unmergeLayers(lora);
}
