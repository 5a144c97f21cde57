import { flopsPerToken } from '@gpt2/model';
import type { TrainableModel } from './trainable-model.js';

/**
 * Training FLOPs per token: the model's own count when it has one (a LoRA
 * model's frozen weights cost less than 6 per token), else GPT-2's for a
 * model with a GPT-2 config, else undefined.
 */
export function modelFlopsPerToken(model: TrainableModel): number | undefined {
  if (model.flopsPerToken) return model.flopsPerToken({ training: true });
  return model.config ? flopsPerToken(model.config, { training: true }) : undefined;
}
