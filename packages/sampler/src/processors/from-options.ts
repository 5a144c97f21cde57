import type { ResolvedGenerateOptions } from '../options.js';
import type { LogitProcessor } from './logit-processor.js';
import {
  noRepeatNgramProcessor,
  presenceFrequencyPenaltyProcessor,
  repetitionPenaltyProcessor,
} from './penalties.js';
import { minPProcessor, temperatureProcessor, topKProcessor, topPProcessor } from './warpers.js';

/** The processors the options ask for, split like Hugging Face's processors (penalties) and warpers (sampling only). */
export interface ProcessorPipeline {
  /** Penalties and user processors: used by greedy, sampling and beam search. */
  penalties: LogitProcessor[];
  /** Temperature, top-k, top-p, min-p: used only when sampling. */
  warpers: LogitProcessor[];
}

/** Build the processor pipeline from resolved options (off processors are left out). */
export function processorsFromOptions(options: ResolvedGenerateOptions): ProcessorPipeline {
  const penalties: LogitProcessor[] = [];
  if (options.repetitionPenalty !== 1)
    penalties.push(repetitionPenaltyProcessor(options.repetitionPenalty));
  if (options.presencePenalty !== 0 || options.frequencyPenalty !== 0) {
    penalties.push(
      presenceFrequencyPenaltyProcessor({
        presencePenalty: options.presencePenalty,
        frequencyPenalty: options.frequencyPenalty,
      }),
    );
  }
  if (options.noRepeatNgramSize > 0)
    penalties.push(noRepeatNgramProcessor(options.noRepeatNgramSize));
  penalties.push(...options.logitProcessors);
  const warpers: LogitProcessor[] = [];
  if (!options.greedy) {
    if (options.temperature !== 1) warpers.push(temperatureProcessor(options.temperature));
    if (options.topK !== undefined) warpers.push(topKProcessor(options.topK));
    if (options.topP < 1) warpers.push(topPProcessor(options.topP));
    if (options.minP > 0) warpers.push(minPProcessor(options.minP));
  }
  return { penalties, warpers };
}
