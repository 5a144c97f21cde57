/**
 * Worker thread body: rebuilds the tokenizer from its JSON with the `tokenizerFromJSON` export of
 * `tokenizerModule`, then encodes batches of text pieces. Replies in the order jobs arrive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Tokenizer, TokenizerJSON } from '@gpt2/tokenizer';
import { encodePiece } from '../tokenize-pipeline.js';

/** Data given to each worker at start. */
export interface TokenizeWorkerData {
  tokenizerJSON: TokenizerJSON;
  tokenizerModule: string;
}

/** A job: texts to encode. */
export interface TokenizeJob {
  id: number;
  texts: string[];
}

/** The reply: all tokens flat, with the token count of each text. */
export type TokenizeReply =
  | { id: number; tokens: Uint32Array; lengths: Uint32Array }
  | { id: number; error: string };

const { tokenizerJSON, tokenizerModule } = workerData as TokenizeWorkerData;
const port = parentPort!;

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

port.on('message', async (job: TokenizeJob) => {
  try {
    const tokenizer = await ready;
    const encoded = job.texts.map((text) => encodePiece(tokenizer, text));
    const lengths = Uint32Array.from(encoded, (tokens) => tokens.length);
    const tokens = new Uint32Array(lengths.reduce((sum, n) => sum + n, 0));
    let at = 0;
    for (const piece of encoded) {
      tokens.set(piece, at);
      at += piece.length;
    }
    const reply: TokenizeReply = { id: job.id, tokens, lengths };
    port.postMessage(reply, [tokens.buffer, lengths.buffer]);
  } catch (error) {
    const reply: TokenizeReply = {
      id: job.id,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
    port.postMessage(reply);
  }
});
