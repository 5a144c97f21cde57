import { flopsPerToken } from '@gpt2/model';
import type { TrainableModel } from './trainable-model.js';

/** Training FLOPs per token of a model with a GPT-2 config, or undefined for other models. */
export function modelFlopsPerToken(model: TrainableModel): number | undefined {
  return model.config ? flopsPerToken(model.config, { training: true }) : undefined;
}
