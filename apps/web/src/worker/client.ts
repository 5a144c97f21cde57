import type {
  EventOf,
  FromWorker,
  RequestBody,
  RequestType,
  ResultOf,
  ToWorker,
} from './protocol.js';
import { WorkerRequestError } from './worker-request-error.js';

/** The part of `Worker` (or a `MessagePort`) the client talks through. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** Options for {@link WorkerClient.request}. */
export interface RequestOptions<E> {
  /** Called for each event the request streams (tokens, progress). Default: none. */
  onEvent?: (event: E) => void;
  /** Aborting sends a `cancel`; the request then resolves with what it has. Default: none. */
  signal?: AbortSignal;
  /** Objects to transfer rather than copy. Default: none. */
  transfer?: Transferable[];
}

interface Pending {
  type: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onEvent?: (event: unknown) => void;
}

/**
 * Typed requests to the model worker: each returns a promise of its result and
 * streams its events to `onEvent`.
 */
export class WorkerClient {
  readonly #endpoint: MessageEndpoint;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(endpoint: MessageEndpoint) {
    this.#endpoint = endpoint;
    endpoint.addEventListener('message', (event) => this.#receive(event.data as FromWorker));
  }

  /** Requests not answered yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Send a request; resolves with its result, rejects with a {@link WorkerRequestError}. */
  request<K extends RequestType>(
    body: RequestBody<K>,
    options: RequestOptions<EventOf<K>> = {},
  ): Promise<ResultOf<K>> {
    const id = this.#nextId++;
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(
        new DOMException('The request was aborted before it was sent.', 'AbortError'),
      );
    }
    return new Promise<ResultOf<K>>((resolve, reject) => {
      const onAbort = () => this.#post({ id, kind: 'cancel' });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        type: body.type,
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value as ResultOf<K>);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        onEvent: options.onEvent as ((event: unknown) => void) | undefined,
      });
      this.#post({ id, kind: 'request', body } as ToWorker, options.transfer);
    });
  }

  #post(message: ToWorker, transfer?: Transferable[]): void {
    this.#endpoint.postMessage(message, transfer ?? []);
  }

  #receive(message: FromWorker): void {
    const pending = this.#pending.get(message.id);
    // A late event for a request already settled (e.g. after a cancel) is dropped.
    if (!pending) return;
    if (message.kind === 'event') {
      pending.onEvent?.(message.event);
      return;
    }
    this.#pending.delete(message.id);
    if (message.kind === 'result') pending.resolve(message.value);
    else
      pending.reject(new WorkerRequestError({ requestType: pending.type, error: message.error }));
  }
}
