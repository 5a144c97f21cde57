/**
 * One entry for tokenizer JSON of either kind: this package's `toJSON()`
 * form and Hugging Face's `tokenizer.json`. The format is detected from the
 * content, never from the file name (both are often called `tokenizer.json`).
 */
import { VocabFormatError } from '../errors/vocab-format-error.js';
import { tokenizerFromJSON } from '../tokenizer-json.js';
import type { Tokenizer, TokenizerJSON } from '../types.js';
import { fromHuggingFace } from './huggingface.js';

/** The tokenizer JSON formats {@link loadTokenizer} reads. */
export type TokenizerJsonFormat =
  /** This package's `toJSON()` form: `{ "type": "gpt2" | "bpe" | "char" | "wordpiece", … }`. */
  | 'gpt2-tokenizer'
  /** Hugging Face's `tokenizer.json`: `{ "model": { "type": "BPE", "vocab", "merges" }, … }`. */
  | 'huggingface';

/** Default of {@link LoadTokenizerOptions.source}. */
export const DEFAULT_TOKENIZER_SOURCE = 'tokenizer JSON';

/** Options of {@link loadTokenizer}. */
export interface LoadTokenizerOptions {
  /** Where the JSON came from (file name, URL), for error messages. Default `'tokenizer JSON'`. */
  source?: string;
  /** Name of a tokenizer read from a Hugging Face file. Default: `fromHuggingFace`'s (`'hf-bpe'`). */
  name?: string;
}

const FORMATS_TRIED =
  'a @gpt2/tokenizer JSON (an object with a string "type": gpt2, bpe, char or wordpiece) or a Hugging Face tokenizer.json (an object whose "model" holds "vocab" and "merges")';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The format of parsed tokenizer JSON, or undefined when it is neither.
 * Hugging Face's is recognised by a `model` object with a `vocab` or a string
 * `type` (another file with a `model` field, such as a trainer state, is not one).
 */
export function detectTokenizerFormat(json: unknown): TokenizerJsonFormat | undefined {
  if (!isObject(json)) return undefined;
  const model = json.model;
  if (isObject(model) && (isObject(model.vocab) || typeof model.type === 'string')) {
    return 'huggingface';
  }
  if (typeof json.type === 'string') return 'gpt2-tokenizer';
  return undefined;
}

/**
 * Load a tokenizer from JSON text or a parsed object, in this package's
 * format or Hugging Face's `tokenizer.json` (byte-level BPE), detected from
 * the content.
 *
 * @throws VocabFormatError naming `options.source` when the text is not JSON,
 *   when it is neither format (the message lists both), or when the file of
 *   the detected format is corrupt.
 * @example
 * const tokenizer = await loadTokenizer(await readFile('tokenizer.json', 'utf8'), { source: 'tokenizer.json' });
 */
export async function loadTokenizer(
  input: string | object,
  options: LoadTokenizerOptions = {},
): Promise<Tokenizer> {
  const source = options.source ?? DEFAULT_TOKENIZER_SOURCE;
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw new VocabFormatError(source, `not valid JSON (${(error as Error).message})`);
    }
  }
  const format = detectTokenizerFormat(json);
  if (format === undefined) {
    throw new VocabFormatError(source, `not a tokenizer: expected ${FORMATS_TRIED}`);
  }
  try {
    if (format === 'huggingface') {
      return fromHuggingFace({ json: json as Record<string, unknown>, name: options.name });
    }
    return await tokenizerFromJSON(json as TokenizerJSON);
  } catch (error) {
    // Name the real file: the format loaders only know the format's usual file name.
    if (VocabFormatError.isInstance(error) && error.file !== source) {
      throw new VocabFormatError(
        source,
        `${format === 'huggingface' ? 'Hugging Face tokenizer.json' : '@gpt2/tokenizer JSON'}: ${error.reason}`,
        error.line,
      );
    }
    throw error;
  }
}
