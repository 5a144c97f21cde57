/**
 * What LoRA adds to a training step's memory, from the shapes alone: the
 * hook a memory estimate calls (adapters, their gradients and AdamW moments,
 * and the extra activations the branches keep for the backward pass).
 */
import type { GPT2Config } from '../config.js';
import { DEFAULT_FLOPS_TRAINING, type FlopsPerTokenOptions, flopsPerToken } from '../count.js';
import { type LoraOptions, planLoraLayers, resolveLoraConfig } from './lora-config.js';

/** LoRA's share of a training step's memory, float32. */
export interface LoraFootprint {
  /** Trainable (adapter) parameters: Σ r·(in + out) over the adapted layers. */
  trainableParameters: number;
  /** Number of adapted layers. */
  layers: number;
  /** The adapters' weights, bytes. */
  adapterBytes: number;
  /** Their gradients plus AdamW's two moments (3 × adapterBytes), bytes. The base weights have none. */
  trainingStateBytes: number;
  /**
   * Extra activation bytes per token of a training batch (multiply by B·T).
   * tfjs keeps every tensor of the forward pass until the backward pass ends,
   * so this counts all the branch creates per adapted layer: x·A and its
   * scaled copy [r], x·A·B and the sum with the base output [out], and with
   * dropout the four [in] buffers tf.dropout leaves (measured on cpu and
   * wasm: noise, mask, scaled mask, dropped input).
   */
  activationBytesPerToken: number;
}

/** LoRA's memory for a model of shape `model` with adapters `options`. */
export function loraFootprint(model: GPT2Config, options: LoraOptions = {}): LoraFootprint {
  const config = resolveLoraConfig(options);
  const plans = planLoraLayers(model, config);
  let trainableParameters = 0;
  let floatsPerToken = 0;
  for (const plan of plans) {
    trainableParameters += plan.r * (plan.inFeatures + plan.outFeatures);
    floatsPerToken += 2 * plan.r + 2 * plan.outFeatures;
    if (config.dropout > 0) floatsPerToken += 4 * plan.inFeatures;
  }
  return {
    trainableParameters,
    layers: plans.length,
    adapterBytes: 4 * trainableParameters,
    trainingStateBytes: 3 * 4 * trainableParameters,
    activationBytesPerToken: 4 * floatsPerToken,
  };
}

/**
 * Model FLOPs per token with LoRA adapters (unmerged), for model FLOP
 * utilisation, on the terms of `flopsPerToken`. Training: the frozen weights
 * cost 2 FLOPs per token forward and 2 backward (the input gradient; no
 * weight gradient is computed), the adapters the usual 6, attention its
 * 12·L·C·T. So about 4N instead of 6N: quoting MFU with 6N would overstate
 * the work done by half. Inference: 2N + 2·N_adapters + 4·L·C·T.
 */
export function loraFlopsPerToken(
  model: GPT2Config,
  options: LoraOptions = {},
  flops: FlopsPerTokenOptions = {},
): number {
  const training = flops.training ?? DEFAULT_FLOPS_TRAINING;
  const T = flops.sequenceLength ?? model.nPositions;
  const { nEmbd: C, nLayer: L } = model;
  // flopsPerToken's forward count, 2N + 4·L·C·T, gives N without repeating its rules.
  const N = (flopsPerToken(model, { training: false, sequenceLength: T }) - 4 * L * C * T) / 2;
  const adapters = loraFootprint(model, options).trainableParameters;
  return training ? 4 * N + 6 * adapters + 12 * L * C * T : 2 * N + 2 * adapters + 4 * L * C * T;
}
