/**
 * A {@link PieceTokenizer} that spreads pieces over `worker_threads` and returns their tokens in
 * the original order, so the output is byte-identical whatever the number of workers.
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';
import type { TokenizerJSON } from '@gpt2/tokenizer';
import type { PieceTokenizer, TextPiece, TokenizedPiece } from '../tokenize-pipeline.js';
import type { TokenizeJob, TokenizeReply, TokenizeWorkerData } from './tokenize-worker.js';

/** Default of {@link WorkerTokenizerOptions.jobChars}. */
export const DEFAULT_JOB_CHARS = 1 << 18;

/** Options of {@link workerTokenizer}. */
export interface WorkerTokenizerOptions {
  /** Number of worker threads (≥ 1). Required. */
  workers: number;
  /** `tokenizer.toJSON()`; each worker rebuilds the tokenizer from it. Required. */
  tokenizerJSON: TokenizerJSON;
  /** Module whose `tokenizerFromJSON` export rebuilds the tokenizer. Required. */
  tokenizerModule: string;
  /** Characters of text per job sent to a worker. Default {@link DEFAULT_JOB_CHARS} (256 Ki). */
  jobChars?: number;
  /** Heap limits of each worker (Node's `ResourceLimits`). Default Node's (derived from the process's). */
  resourceLimits?: ResourceLimits;
}

function spawn(data: TokenizeWorkerData, resourceLimits: ResourceLimits | undefined): Worker {
  const url = new URL('./tokenize-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(url, { workerData: data, resourceLimits });
  // Running from TypeScript sources (tests, `tsx` benches): load the worker through tsx.
  // Resolve tsx's ESM entry from here (not from the working directory) when the runtime can.
  let tsxApi = 'tsx/esm/api';
  try {
    tsxApi = import.meta.resolve?.('tsx/esm/api') ?? tsxApi;
  } catch {
    // Fall back to resolving from the working directory.
  }
  const source = new URL('./tokenize-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(code, { eval: true, workerData: data, resourceLimits });
}

interface Pending {
  resolve: (reply: { tokens: Uint32Array; lengths: Uint32Array }) => void;
  reject: (error: Error) => void;
}

class PoolWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  failure: Error | undefined;

  constructor(data: TokenizeWorkerData, resourceLimits: ResourceLimits | undefined) {
    this.worker = spawn(data, resourceLimits);
    this.worker.on('message', (reply: TokenizeReply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(`tokenizer worker failed: ${reply.error}`));
      else waiter.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) =>
      fail(new Error(`tokenizer worker crashed: ${error.message}`, { cause: error })),
    );
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0) fail(new Error(`tokenizer worker exited with code ${code}`));
    });
  }

  run(job: TokenizeJob): Promise<{ tokens: Uint32Array; lengths: Uint32Array }> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.worker.postMessage(job);
    });
  }
}

/** Tokenize pieces on `workers` threads; pieces come back in input order. */
export function workerTokenizer(options: WorkerTokenizerOptions): PieceTokenizer {
  const { workers: count, tokenizerJSON, tokenizerModule } = options;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`workers must be an integer ≥ 1, got ${count}`);
  }
  const jobChars = options.jobChars ?? DEFAULT_JOB_CHARS;
  return async function* (pieces: AsyncIterable<TextPiece>): AsyncGenerator<TokenizedPiece> {
    const pool = Array.from(
      { length: count },
      () => new PoolWorker({ tokenizerJSON, tokenizerModule }, options.resourceLimits),
    );
    // Jobs in submission order; at most two per worker in flight keeps memory flat.
    const queue: Promise<TokenizedPiece[]>[] = [];
    let nextId = 0;
    let job: TextPiece[] = [];
    let chars = 0;
    const submit = () => {
      const texts = job.map((piece) => piece.text);
      const batch = job;
      const worker = pool.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const result = worker.run({ id: nextId++, texts }).then(({ tokens, lengths }) => {
        const out: TokenizedPiece[] = [];
        let at = 0;
        batch.forEach((piece, i) => {
          const n = lengths[i]!;
          out.push({
            document: piece.document,
            source: piece.source,
            first: piece.first,
            tokens: tokens.subarray(at, at + n),
            characters: piece.text.length,
          });
          at += n;
        });
        return out;
      });
      result.catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
      queue.push(result);
      job = [];
      chars = 0;
    };
    try {
      for await (const piece of pieces) {
        job.push(piece);
        chars += piece.text.length;
        if (chars >= jobChars) {
          submit();
          while (queue.length >= 2 * count) yield* await queue.shift()!;
        }
      }
      if (job.length > 0) submit();
      while (queue.length > 0) yield* await queue.shift()!;
    } finally {
      await Promise.all(pool.map((w) => w.worker.terminate()));
    }
  };
}
