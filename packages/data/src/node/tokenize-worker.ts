/**
 * Worker thread body: rebuilds the tokenizer from its JSON with the `tokenizerFromJSON` export of
 * `tokenizerModule`, then encodes jobs. A job is a batch of items: text pieces, or paths of whole
 * plain-text files that the worker reads and decodes itself, so that reading, UTF-8 decoding and
 * copying text between threads are spread over the workers instead of serialising the main
 * thread. Replies, in the order jobs arrive, carry all tokens of the job in one transferred array.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Tokenizer, TokenizerJSON } from '@gpt2/tokenizer';
import { DataSourceError, type DataSourceErrorReason } from '../errors/data-source-error.js';
import type { InvalidUtf8Policy } from '../text/utf8.js';
import { ENCODE_ORDINARY } from '../tokenize-pipeline.js';
import { encodeFile, TokenBuffer } from './encode-file.js';

/** Data given to each worker at start. */
export interface TokenizeWorkerData {
  tokenizerJSON: TokenizerJSON;
  tokenizerModule: string;
  /** UTF-8 policy for the files the worker reads. */
  invalidUtf8: InvalidUtf8Policy | undefined;
  /** Files larger than this are sent back unread (`characters` −1) for the main thread to stream. */
  maxFileBytes: number;
  /** Piece size when cutting a file's text (as the main thread would). */
  pieceChars: number;
}

/** One item of a job: a piece of text, or a whole plain-text file to read. */
export type TokenizeItem = string | { path: string };

/** A job: items to encode. */
export interface TokenizeJob {
  id: number;
  items: TokenizeItem[];
}

/** A {@link DataSourceError} (or any error) in a form that survives `postMessage`. */
export interface SerializedError {
  message: string;
  stack: string | undefined;
  dataSource?: {
    source: string;
    reason: DataSourceErrorReason;
    line: number | undefined;
    byteOffset: number | undefined;
  };
}

/**
 * The reply: all tokens of the job flat, with each item's token count and UTF-16 length (−1 for
 * a file over `maxFileBytes`, left for the main thread to stream).
 */
export type TokenizeReply =
  | { id: number; tokens: Uint32Array; lengths: Uint32Array; characters: Float64Array }
  | { id: number; error: SerializedError };

const { tokenizerJSON, tokenizerModule, invalidUtf8, maxFileBytes, pieceChars } =
  workerData as TokenizeWorkerData;
const port = parentPort!;
const fileOptions = { maxFileBytes, pieceChars, invalidUtf8 };

const ready: Promise<Pick<Tokenizer, 'encode'>> = (async () => {
  const module = (await import(tokenizerModule)) as {
    tokenizerFromJSON?: (json: TokenizerJSON) => Promise<Tokenizer> | Tokenizer;
  };
  if (typeof module.tokenizerFromJSON !== 'function') {
    throw new TypeError(`tokenizer module '${tokenizerModule}' has no tokenizerFromJSON export`);
  }
  return module.tokenizerFromJSON(tokenizerJSON);
})();
// Failures are reported per job below.
ready.catch(() => {});

function serialize(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { message: String(error), stack: undefined };
  const serialized: SerializedError = { message: error.message, stack: error.stack };
  if (DataSourceError.isInstance(error)) {
    const { source, reason, line, byteOffset } = error;
    serialized.dataSource = { source, reason, line, byteOffset };
  }
  return serialized;
}

/** One buffer for every job of this worker (it grows to the largest job once), not one per job. */
const out = new TokenBuffer();
/** Tokens of buffer kept between jobs (16 MiB); a larger one, after an unusual job, is dropped. */
const KEEP_TOKENS = 1 << 22;

async function runJob(job: TokenizeJob): Promise<void> {
  try {
    const tokenizer = await ready;
    out.length = 0;
    const lengths = new Uint32Array(job.items.length);
    const characters = new Float64Array(job.items.length);
    for (let i = 0; i < job.items.length; i++) {
      const item = job.items[i]!;
      const before = out.length;
      if (typeof item === 'string') {
        out.push(tokenizer.encode(item, ENCODE_ORDINARY));
        characters[i] = item.length;
      } else {
        characters[i] = await encodeFile(tokenizer, item.path, out, fileOptions);
      }
      lengths[i] = out.length - before;
    }
    // Transfer, not copy: a right-sized copy of the tokens is cheaper to send than the slack.
    const tokens = out.tokens.slice(0, out.length);
    const reply: TokenizeReply = { id: job.id, tokens, lengths, characters };
    port.postMessage(reply, [tokens.buffer, lengths.buffer, characters.buffer]);
    if (out.tokens.length > KEEP_TOKENS) out.tokens = new Uint32Array(1 << 16);
  } catch (error) {
    const reply: TokenizeReply = { id: job.id, error: serialize(error) };
    port.postMessage(reply);
  }
}

// Jobs run strictly one after another: they share `out`, and a job awaiting (the tokenizer at
// start-up, or inside encodeFile) must not let the next one interleave. runJob never rejects.
let previous: Promise<void> = Promise.resolve();
port.on('message', (job: TokenizeJob) => {
  previous = previous.then(() => runJob(job));
});
