export { beamSearch } from './beam-search.js';
export {
  type GeneratedSequence,
  type GenerateTextResult,
  generate,
  generateText,
} from './generate.js';
export {
  DEFAULT_LENGTH_PENALTY,
  DEFAULT_MAX_NEW_TOKENS,
  DEFAULT_TEMPERATURE,
  type GenerateOptions,
  type ResolvedGenerateOptions,
  resolveGenerateOptions,
} from './options.js';
export { type ProcessorPipeline, processorsFromOptions } from './processors/from-options.js';
export {
  composeProcessors,
  type LogitProcessor,
  type LogitProcessorContext,
} from './processors/logit-processor.js';
export {
  noRepeatNgramProcessor,
  type PresenceFrequencyPenaltyOptions,
  presenceFrequencyPenaltyProcessor,
  repetitionPenaltyProcessor,
  suppressTokensProcessor,
} from './processors/penalties.js';
export {
  minPProcessor,
  temperatureProcessor,
  topKProcessor,
  topPProcessor,
} from './processors/warpers.js';
export { type Prompt, preparePrompt } from './prompt.js';
export { argmax, logSumExp, sampleFromLogits } from './sampling.js';
export { SequenceText } from './sequence-text.js';
export { type StopMatch, StopStringMatcher } from './stop-string-matcher.js';
export { TokenWindow, type TokenWindowOptions, type WindowLogits } from './token-window.js';
export type {
  FinishEvent,
  FinishReason,
  GenerationEvent,
  RandomSource,
  SamplerKVCache,
  SamplerModel,
  SamplerTokenizer,
  SlideEvent,
  TokenEvent,
  WarningEvent,
} from './types.js';
