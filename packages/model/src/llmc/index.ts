/**
 * llm.c interchange (browser-safe): `model.bin` (versions 3 and 5), a run's
 * state files (for their float32 master weights) and `tokenizer.bin`. Node
 * file helpers are on `@gpt2/model/node`.
 */
export {
  checkFileSize as checkLlmcFileSize,
  DEFAULT_LLMC_VOCAB_MULTIPLE,
  encodeLlmcHeader,
  LLMC_HEADER_BYTES,
  LLMC_MODEL_MAGIC,
  LLMC_STATE_MAGIC,
  LLMC_TENSORS,
  LLMC_TOKENIZER_MAGIC,
  LLMC_VERSION_BFLOAT16,
  LLMC_VERSION_FLOAT32,
  type LlmcDtype,
  type LlmcHeader,
  type LlmcLayout,
  type LlmcParseOptions,
  type LlmcTensor,
  llmcLayout,
  paddedVocabSize,
  parseLlmcHeader,
} from './llmc-format.js';
export { LlmcFormatError, type LlmcFormatProblem } from './llmc-format-error.js';
export { LLMC_STATE_VERSION, type LlmcStateHeader, parseLlmcStateHeader } from './llmc-state.js';
export {
  decodeLlmcTokenizer,
  encodeLlmcTokenizer,
  LLMC_MAX_TOKEN_BYTES,
  LLMC_TOKENIZER_VERSION,
  type LlmcTokenizerTable,
} from './llmc-tokenizer.js';
export {
  configFromLlmcHeader,
  type LlmcCheckpoint,
  type LlmcConfigOverrides,
  type LoadLlmcCheckpointOptions,
  loadLlmcCheckpoint,
  readLlmcHeader,
} from './load-llmc.js';
export {
  DEFAULT_LLMC_DTYPE,
  encodeLlmcBody,
  LLMC_LAYER_NORM_EPSILON,
  type LlmcExportable,
  type LlmcProgress,
  llmcHeaderForConfig,
  type SaveLlmcCheckpointOptions,
  saveLlmcCheckpoint,
} from './save-llmc.js';
