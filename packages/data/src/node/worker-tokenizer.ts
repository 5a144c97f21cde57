/**
 * A {@link DocumentTokenizer} that spreads documents over `worker_threads` and returns their
 * tokens in the original order, so the output is byte-identical whatever the number of workers.
 *
 * The main thread only batches and orders: whole plain-text files (documents with a `path`) go
 * to the workers as paths, which they read, decode and encode themselves; other documents (JSONL
 * lines, strings, streams) are cut into pieces here and sent as text. Reading, decoding and
 * copying text on the main thread used to serialise the pipeline (2 workers were slower than 1).
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';
import type { TokenizerJSON } from '@gpt2/tokenizer';
import { DataSourceError } from '../errors/data-source-error.js';
import type { TextDocument } from '../sources/documents.js';
import { DEFAULT_PIECE_CHARS, safePieces } from '../text/split-points.js';
import type { InvalidUtf8Policy } from '../text/utf8.js';
import type { DocumentTokenizer, TokenizedPiece } from '../tokenize-pipeline.js';
import { DEFAULT_READ_CHUNK_BYTES } from './file-system.js';
import type {
  SerializedError,
  TokenizeItem,
  TokenizeJob,
  TokenizeReply,
  TokenizeWorkerData,
} from './tokenize-worker.js';

/** Default of {@link WorkerTokenizerOptions.jobChars}. */
export const DEFAULT_JOB_CHARS = 1 << 18;
/** Default of {@link WorkerTokenizerOptions.jobFiles}. */
export const DEFAULT_JOB_FILES = 32;
/** Default of {@link WorkerTokenizerOptions.jobsPerWorker}. */
export const DEFAULT_JOBS_PER_WORKER = 2;
/**
 * Default of {@link WorkerTokenizerOptions.maxFileBytes}: one read chunk of `fileSource`, so a
 * file a worker reads whole is decoded as the one chunk the main thread would have read.
 */
export const DEFAULT_MAX_FILE_BYTES = DEFAULT_READ_CHUNK_BYTES;

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
  /** Files per job, for documents the workers read themselves. Default {@link DEFAULT_JOB_FILES} (32). */
  jobFiles?: number;
  /**
   * Jobs queued per worker: one running and the rest waiting, so that no worker idles while the
   * main thread handles a reply. Default {@link DEFAULT_JOBS_PER_WORKER} (2).
   */
  jobsPerWorker?: number;
  /**
   * Largest file a worker reads whole; larger ones are streamed in pieces by the main thread
   * (memory stays flat). Default {@link DEFAULT_MAX_FILE_BYTES} (1 MiB).
   */
  maxFileBytes?: number;
  /** UTF-8 policy for files the workers read (as `readDocuments` got it). Default `'error'`. */
  invalidUtf8?: InvalidUtf8Policy;
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

type JobResult = Extract<TokenizeReply, { tokens: Uint32Array }>;

/** Rebuild a worker's error on this thread (a {@link DataSourceError} stays one). */
function deserialize(error: SerializedError): Error {
  const { dataSource } = error;
  if (dataSource === undefined)
    return new Error(`tokenizer worker failed: ${error.stack ?? error.message}`);
  // The constructor prefixes the location again: strip the worker's copy of it.
  const where =
    dataSource.line !== undefined
      ? `${dataSource.source}:${dataSource.line}`
      : dataSource.byteOffset !== undefined
        ? `${dataSource.source} (byte ${dataSource.byteOffset})`
        : dataSource.source;
  const message = error.message.startsWith(`${where}: `)
    ? error.message.slice(where.length + 2)
    : error.message;
  return new DataSourceError({ ...dataSource, message });
}

interface Pending {
  resolve: (reply: JobResult) => void;
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
      if ('error' in reply) waiter.reject(deserialize(reply.error));
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

  run(job: TokenizeJob): Promise<JobResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.worker.postMessage(job);
    });
  }
}

/** What the main thread remembers of each item of a job. */
type ItemInfo = { first: boolean; source: string; document?: TextDocument };

/** Tokenize documents on `workers` threads; pieces come back in document order. */
export function workerTokenizer(options: WorkerTokenizerOptions): DocumentTokenizer {
  const { workers: count, tokenizerJSON, tokenizerModule } = options;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`workers must be an integer ≥ 1, got ${count}`);
  }
  const jobChars = options.jobChars ?? DEFAULT_JOB_CHARS;
  const jobFiles = options.jobFiles ?? DEFAULT_JOB_FILES;
  const inFlight = count * (options.jobsPerWorker ?? DEFAULT_JOBS_PER_WORKER);
  const data: TokenizeWorkerData = {
    tokenizerJSON,
    tokenizerModule,
    invalidUtf8: options.invalidUtf8,
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    pieceChars: DEFAULT_PIECE_CHARS,
  };
  return async function* (documents: AsyncIterable<TextDocument>): AsyncGenerator<TokenizedPiece> {
    const pool = Array.from({ length: count }, () => new PoolWorker(data, options.resourceLimits));
    let nextId = 0;
    let documentIndex = 0;

    /** Jobs being filled and in flight, in submission order. */
    class JobQueue {
      readonly jobs: { infos: ItemInfo[]; result: Promise<JobResult> }[] = [];
      private items: TokenizeItem[] = [];
      private infos: ItemInfo[] = [];
      private chars = 0;
      private files = 0;

      add(item: TokenizeItem, info: ItemInfo): boolean {
        this.items.push(item);
        this.infos.push(info);
        if (typeof item === 'string') this.chars += item.length;
        else this.files++;
        if (this.chars < jobChars && this.files < jobFiles) return false;
        this.submit();
        return true;
      }

      submit(): void {
        if (this.items.length === 0) return;
        const worker = pool.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
        const result = worker.run({ id: nextId++, items: this.items });
        result.catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
        this.jobs.push({ infos: this.infos, result });
        this.items = [];
        this.infos = [];
        this.chars = 0;
        this.files = 0;
      }
    }

    /** Yield the pieces of the oldest job; a file too large for a worker is streamed here. */
    async function* drain(queue: JobQueue): AsyncGenerator<TokenizedPiece> {
      const job = queue.jobs.shift()!;
      const { tokens, lengths, characters } = await job.result;
      let at = 0;
      for (let i = 0; i < job.infos.length; i++) {
        const info = job.infos[i]!;
        const n = lengths[i]!;
        const chars = characters[i]!;
        const piece = tokens.subarray(at, at + n);
        at += n;
        if (chars < 0) {
          yield* streamDocument(info.document!);
          continue;
        }
        // An empty file is no document (as in textPieces).
        if (info.first && chars === 0) continue;
        const document = info.first ? documentIndex++ : documentIndex - 1;
        yield {
          document,
          source: info.source,
          first: info.first,
          tokens: piece,
          characters: chars,
        };
      }
    }

    /** Cut a document into pieces here and add them to `queue` as text. */
    async function* sendPieces(queue: JobQueue, doc: TextDocument): AsyncGenerator<TokenizedPiece> {
      const chunks = typeof doc.text === 'string' ? [doc.text] : doc.text;
      let first = true;
      for await (const text of safePieces(chunks, DEFAULT_PIECE_CHARS)) {
        if (text.length === 0) continue;
        if (queue.add(text, { first, source: doc.source })) {
          while (queue.jobs.length >= inFlight) yield* drain(queue);
        }
        first = false;
      }
    }

    /** Stream a file that was too large for a worker, ahead of the jobs already in flight. */
    async function* streamDocument(doc: TextDocument): AsyncGenerator<TokenizedPiece> {
      const queue = new JobQueue();
      yield* sendPieces(queue, doc);
      queue.submit();
      while (queue.jobs.length > 0) yield* drain(queue);
    }

    try {
      const queue = new JobQueue();
      for await (const doc of documents) {
        if (doc.path === undefined) {
          // Pieces of a streamed document share the main queue, so order is kept.
          yield* sendPieces(queue, doc);
        } else if (
          queue.add({ path: doc.path }, { first: true, source: doc.source, document: doc })
        ) {
          while (queue.jobs.length >= inFlight) yield* drain(queue);
        }
      }
      queue.submit();
      while (queue.jobs.length > 0) yield* drain(queue);
    } finally {
      // Not awaited: tearing down the workers' heaps (tens of ms) overlaps the last shard writes.
      // Every job has been answered or abandoned by now, so nothing waits on them.
      for (const w of pool) w.worker.terminate().catch(() => {});
    }
  };
}
