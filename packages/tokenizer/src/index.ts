/**
 * @gpt2/tokenizer: exact GPT-2 byte-level BPE (r50k_base), loaders for
 * GPT-2 / tiktoken / Hugging Face files, BPE and WordPiece training, and a
 * character-level tokenizer. No dependencies; runs in Node and browsers.
 */

export {
  BpeModel,
  type BpeModelInit,
  DEFAULT_HEAP_THRESHOLD,
  type MergeRule,
} from './bpe-model.js';
export {
  BpeTokenizer,
  type BpeTokenizerJSON,
  type BpeTokenizerOptions,
  DEFAULT_CACHE_PIECE_LENGTH,
  DEFAULT_CACHE_SIZE,
  END_OF_TEXT,
} from './bpe-tokenizer.js';
export { DEFAULT_MIN_FREQUENCY, type TrainBpeOptions, trainBpe } from './bpe-trainer.js';
export { byteToUnicode, unicodeToByte } from './byte-level.js';
export {
  type CharCorpusOptions,
  CharTokenizer,
  type CharTokenizerOptions,
} from './char-tokenizer.js';
export { DisallowedSpecialTokenError } from './errors/disallowed-special-token-error.js';
export { VocabFormatError } from './errors/vocab-format-error.js';
export { GPT2_EOT_TOKEN, GPT2_VOCAB_SIZE, gpt2Tokenizer } from './gpt2.js';
export {
  fromGpt2Files,
  type Gpt2FilesData,
  type Gpt2FilesOptions,
  parseGpt2Files,
} from './loaders/gpt2-files.js';
export { fromHuggingFace, type HuggingFaceOptions } from './loaders/huggingface.js';
export {
  DEFAULT_TOKENIZER_SOURCE,
  detectTokenizerFormat,
  type LoadTokenizerOptions,
  loadTokenizer,
  type TokenizerJsonFormat,
} from './loaders/load-tokenizer.js';
export { fromTiktoken, parseTiktokenRanks, type TiktokenOptions } from './loaders/tiktoken-file.js';
export { createPreTokenizer, GPT2_PATTERN, type PreTokenizer } from './pre-tokenizer.js';
export { bpeTokenizerFromJSON, tokenizerFromJSON } from './tokenizer-json.js';
export type { EncodeOptions, StreamDecoder, Tokenizer, TokenizerJSON } from './types.js';
export { VERSION } from './version.js';
export {
  bertPreTokenize,
  DEFAULT_MAX_CHARS_PER_WORD,
  DEFAULT_WORDPIECE_SPECIALS,
  type TrainWordPieceOptions,
  trainWordPiece,
  type WordPieceOptions,
  WordPieceTokenizer,
} from './wordpiece.js';
