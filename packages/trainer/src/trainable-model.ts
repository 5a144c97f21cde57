import type { GPT2Config } from '@gpt2/model';
import type * as tf from '@tensorflow/tfjs-core';

/** Options the trainer passes to {@link TrainableModel.loss}. */
export interface TrainableLossOptions {
  /** True during training steps (dropout on), false during evaluation. */
  training?: boolean;
  /** Label smoothing ε in [0, 1). */
  labelSmoothing?: number;
  /** Recompute each block's activations in the backward pass (a model without blocks may ignore it). */
  recompute?: boolean;
}

/**
 * What the trainer needs from a model: its variables and a scalar loss.
 * `GPT2Model` from @gpt2/model fits; so does any small test model.
 */
export interface TrainableModel {
  /** The model's config; used for config.json in checkpoints, resume checks and FLOP utilisation. */
  readonly config?: GPT2Config;
  /** Trainable variables by stable name. */
  parameters(): Map<string, tf.Variable>;
  /** Mean loss of a batch: `ids` and `targets` are int32 [B, T]. */
  loss(ids: tf.Tensor2D, targets: tf.Tensor2D, options?: TrainableLossOptions): tf.Scalar;
  /**
   * The model's own random state (e.g. its dropout mask counter), JSON. When
   * present, checkpoints save it and resume restores it, so runs with dropout
   * resume exactly too.
   */
  getRandomState?(): unknown;
  /** Restore {@link getRandomState}'s value. */
  setRandomState?(state: unknown): void;
  /**
   * Model FLOPs per token, for model FLOP utilisation, when the GPT-2 count
   * from `config` does not apply (a LoRA model computes no weight gradients
   * for its frozen weights). Default: `flopsPerToken(config)`.
   */
  flopsPerToken?(options: { training: boolean }): number;
}

/** Turns a model's weights into checkpoint bytes and back. */
export interface WeightsCodec {
  /** Serialize the weights (safetensors bytes). */
  encode(model: TrainableModel): Promise<Uint8Array>;
  /** Load weights from {@link encode}'s bytes into the model; throws a clear error on mismatch. */
  decode(model: TrainableModel, bytes: Uint8Array): Promise<void>;
  /** The weights' file name in a checkpoint. Default: `model.safetensors`. */
  readonly file?: string;
  /** Files written beside the weights, by name (e.g. PEFT's `adapter_config.json`). Default: none. */
  sideFiles?(model: TrainableModel): Promise<ReadonlyMap<string, Uint8Array>>;
  /** Write the model's `config.json` too (a checkpoint that is a model folder). Default: true. */
  readonly writesModelConfig?: boolean;
}
