import {
  type GPT2Config,
  loadWeights,
  readSafetensors,
  saveSafetensors,
  writeSafetensors,
} from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainableModel, WeightsCodec } from './trainable-model.js';

/**
 * The default weights codec: @gpt2/model's `saveSafetensors`/`loadWeights`,
 * so `model.safetensors` in a checkpoint is a Hugging Face GPT-2 file.
 */
export const GPT2_WEIGHTS_CODEC: WeightsCodec = {
  async encode(model) {
    return saveSafetensors(model);
  },
  async decode(model, bytes) {
    await loadWeights(model, bytes);
  },
};

/**
 * A codec for any {@link TrainableModel}: every parameter under its own name,
 * float32. For models that are not GPT-2 (tests, experiments).
 */
export const PARAMETERS_WEIGHTS_CODEC: WeightsCodec = {
  async encode(model) {
    const entries: [string, { shape: number[]; data: Float32Array }][] = [];
    for (const [name, variable] of model.parameters()) {
      entries.push([
        name,
        { shape: [...variable.shape], data: (await variable.data()) as Float32Array },
      ]);
    }
    return writeSafetensors(entries);
  },
  async decode(model, bytes) {
    const { tensors } = readSafetensors(bytes, { source: 'weights' });
    const params = model.parameters();
    for (const [name, variable] of params) {
      const entry = tensors.get(name);
      if (!entry) throw new RangeError(`Weights lack parameter '${name}'.`);
      if (!tf.util.arraysEqual(entry.shape, variable.shape)) {
        throw new RangeError(
          `Weights '${name}' have shape [${entry.shape}], model has [${variable.shape}].`,
        );
      }
    }
    for (const name of tensors.keys()) {
      if (!params.has(name)) throw new RangeError(`Weights have '${name}', which the model lacks.`);
    }
    for (const [name, variable] of params) {
      const entry = tensors.get(name)!;
      tf.tidy(() => variable.assign(tf.tensor(entry.data, entry.shape, 'float32')));
    }
  },
};

/**
 * A copy of `config` with every dropout probability (embedding, attention,
 * residual) set to `p`: dropout is a property of the model, so set it when
 * creating the model you train.
 */
export function withDropout(config: GPT2Config, p: number): GPT2Config {
  if (!(p >= 0 && p < 1)) throw new RangeError(`withDropout: p must be in [0, 1), got ${p}.`);
  return { ...config, embdPdrop: p, attnPdrop: p, residPdrop: p };
}
