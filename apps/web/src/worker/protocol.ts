/**
 * The messages between the page and the model worker.
 *
 * Every request carries an `id`; the worker answers with any number of
 * `event` messages (streamed tokens, training progress) and then exactly one
 * `result` or `error`. The types here are plain data: everything crosses
 * `postMessage` by structured clone (Files and typed arrays included).
 */
import type { BackendInfo, BackendRequest } from '@gpt2/backends';

/** Where the page keeps a model: the Generate page's, or the one being trained. */
export type ModelSlot = 'generate' | 'train';

/** Where a model's files come from. */
export type ModelSource =
  /** A base URL of a checkpoint folder, or the URL of its `model.safetensors`. */
  | { kind: 'url'; url: string }
  /** Files picked from disk: a run, checkpoint or Hugging Face folder, or loose files. */
  | { kind: 'files'; files: File[] }
  /** A checkpoint saved in the browser's storage (OPFS), by name. */
  | { kind: 'opfs'; name: string };

/** Sampling controls of the Generate page. */
export interface SamplingSettings {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  seed: number;
  stopStrings: string[];
  /** Token ids that end generation. Default: the tokenizer's end-of-text token. */
  stopTokenIds?: number[];
}

/** Model sizes the Train page offers. */
export interface TrainSettings {
  /** Layers, width, heads and context of the model. */
  nLayer: number;
  nEmbd: number;
  nHead: number;
  blockSize: number;
  batchSize: number;
  learningRate: number;
  /** Steps to run before stopping by itself. */
  maxSteps: number;
  /** Run a validation pass every this many steps. */
  evalInterval: number;
  /** How text becomes ids: one id per character, or BPE trained on the text. */
  tokenizer: 'char' | 'bpe';
  /** Vocabulary size for `'bpe'`. */
  bpeVocabSize: number;
  seed: number;
}

/** What the page shows about a loaded model. */
export interface ModelSummary {
  slot: ModelSlot;
  /** Where it came from, in words. */
  source: string;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nPositions: number;
  vocabSize: number;
  parameters: number;
  tokenizer: string;
  /** The backend its tensors live on. */
  backend: string;
}

/** The body of every request, by type: what it sends, streams and returns. */
export interface RequestMap {
  'init-backend': {
    request: {
      backend: BackendRequest;
      /** File name → URL of tfjs-backend-wasm's `.wasm` files (bundler-emitted). */
      wasmPaths: Record<string, string>;
    };
    event: never;
    result: BackendInfo;
  };
  'load-model': {
    request: { slot: ModelSlot; source: ModelSource };
    event: { type: 'status'; message: string };
    result: ModelSummary;
  };
  generate: {
    request: { slot: ModelSlot; prompt: string; settings: SamplingSettings };
    event: {
      type: 'token';
      tokenId: number;
      text: string;
      tokens: number;
      tokensPerSecond: number;
    };
    result: {
      text: string;
      tokenIds: number[];
      tokensPerSecond: number;
      finishReason: string;
    };
  };
  train: {
    request: { text: string; settings: TrainSettings };
    event: TrainEvent;
    result: { steps: number; finalLoss: number; valLoss: number | undefined; reason: string };
  };
  'train-control': {
    request: { action: 'pause' | 'resume' | 'stop' };
    event: never;
    result: { state: TrainState };
  };
  'save-checkpoint': {
    request: { slot: ModelSlot; target: 'download' | 'opfs'; name: string };
    event: never;
    result: CheckpointFiles;
  };
  'list-checkpoints': {
    request: Record<never, never>;
    event: never;
    result: { names: string[] };
  };
  logits: {
    request: { slot: ModelSlot; text: string };
    event: never;
    /** Logits at the last position of `text`. */
    result: { logits: Float32Array };
  };
}

/** The files of a checkpoint, as bytes (what a download offers). */
export interface CheckpointFiles {
  name: string;
  /** `model.safetensors`; its metadata also embeds the config and the tokenizer. */
  safetensors: Uint8Array;
  /** `config.json`, HF names. */
  config: string;
  /** `tokenizer.json`, `@gpt2/tokenizer`'s `toJSON()` form. */
  tokenizer: string;
}

/** Training state machine. */
export type TrainState = 'idle' | 'running' | 'paused' | 'stopping';

/** What a training run streams. */
export type TrainEvent =
  /** One optimizer step. */
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      loss: number;
      /** Tokens per second of this step, time spent paused excluded. */
      tokensPerSecond: number;
      learningRate: number;
    }
  /** A validation pass. */
  | { type: 'eval'; step: number; valLoss: number }
  /** Pause, resume, stop. */
  | { type: 'state'; state: TrainState }
  /** Preparation messages (tokenizer training, encoding). */
  | { type: 'status'; message: string }
  /** The model being trained exists (and can be sampled from or saved). */
  | { type: 'model'; model: ModelSummary };

export type RequestType = keyof RequestMap;
export type RequestBody<K extends RequestType> = { type: K } & RequestMap[K]['request'];
export type ResultOf<K extends RequestType> = RequestMap[K]['result'];
export type EventOf<K extends RequestType> = RequestMap[K]['event'];

/** page → worker */
export type ToWorker =
  | { id: number; kind: 'request'; body: { [K in RequestType]: RequestBody<K> }[RequestType] }
  /** Stop a running request (generation); it then resolves with what it has. */
  | { id: number; kind: 'cancel' };

/** An error, flattened for structured clone (class identity does not survive it). */
export interface WireError {
  name: string;
  message: string;
}

/** worker → page */
export type FromWorker =
  | { id: number; kind: 'event'; event: unknown }
  | { id: number; kind: 'result'; value: unknown }
  | { id: number; kind: 'error'; error: WireError };

const REQUEST_TYPES: ReadonlySet<string> = new Set<RequestType>([
  'init-backend',
  'load-model',
  'generate',
  'train',
  'train-control',
  'save-checkpoint',
  'list-checkpoints',
  'logits',
]);

/** Validate a message from the page, so a malformed one fails loudly rather than hanging. */
export function parseToWorker(data: unknown): ToWorker {
  if (typeof data !== 'object' || data === null) {
    throw new TypeError(`Worker message must be an object, got ${typeof data}.`);
  }
  const message = data as Record<string, unknown>;
  if (!Number.isInteger(message.id)) {
    throw new TypeError('Worker message needs an integer `id`.');
  }
  if (message.kind === 'cancel') return message as unknown as ToWorker;
  if (message.kind !== 'request') {
    throw new TypeError(`Unknown worker message kind '${String(message.kind)}'.`);
  }
  const body = message.body as { type?: unknown } | undefined;
  if (typeof body?.type !== 'string' || !REQUEST_TYPES.has(body.type)) {
    throw new TypeError(`Unknown worker request type '${String(body?.type)}'.`);
  }
  return message as unknown as ToWorker;
}

/** Flatten an error for `postMessage`. */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
