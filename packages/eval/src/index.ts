/**
 * @gpt2/eval: perplexity (Hugging Face's strided protocol, with bits per byte),
 * zero-shot LAMBADA and HellaSwag from their published JSONL files, and
 * generation-quality metrics. Browser-safe: it takes strings and token arrays;
 * reading files is the caller's job.
 */
export { DatasetFormatError } from './errors/dataset-format-error.js';
export { parseJsonl } from './jsonl.js';
export {
  DEFAULT_PERPLEXITY_BATCH_SIZE,
  evaluatePerplexity,
  type PerplexityOptions,
  type PerplexityReport,
  type PerplexitySource,
} from './perplexity.js';
export { type EvalReport, formatReportTable, reportRows } from './report-table.js';
export {
  type ContinuationRequest,
  type ContinuationScore,
  DEFAULT_SCORE_BATCH_SIZE,
  type ScoreContinuationsOptions,
  scoreContinuations,
} from './score-continuations.js';
export {
  planStridedWindows,
  type StridedWindow,
  type StridedWindowOptions,
} from './strided-windows.js';
export {
  DEFAULT_REPETITION_N,
  distinctN,
  evaluateGeneration,
  type GenerationQualityOptions,
  type GenerationQualityReport,
  repetitionRate,
} from './tasks/generation-quality.js';
export {
  evaluateHellaSwag,
  type HellaSwagExample,
  type HellaSwagOptions,
  type HellaSwagReport,
  parseHellaSwag,
} from './tasks/hellaswag.js';
export {
  evaluateLambada,
  type LambadaExample,
  type LambadaOptions,
  type LambadaReport,
  parseLambada,
  splitLastWord,
} from './tasks/lambada.js';
export { type TokenLogprobs, tokenLogprobs } from './token-logprobs.js';
export type { EvalTokenizer, ProgressCallback, ProgressEvent, ScoringModel } from './types.js';
export {
  type UnigramBaseline,
  type UnigramBaselineOptions,
  unigramBaseline,
} from './unigram-baseline.js';
export {
  createUnigramModel,
  DEFAULT_UNIGRAM_POSITIONS,
  smoothedTokenCounts,
  UnigramModel,
  type UnigramModelOptions,
} from './unigram-model.js';
export { utf8ByteLength } from './utf8.js';
