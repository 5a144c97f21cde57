import {
  type EventOf,
  type FromWorker,
  parseToWorker,
  type RequestBody,
  type RequestType,
  type ResultOf,
  toWireError,
} from './protocol.js';

/** What a handler gets besides its request. */
export interface HandlerContext<E> {
  /** Stream an event to the page. */
  emit(event: E): void;
  /** Aborted when the page cancels this request. */
  signal: AbortSignal;
  /** Buffers to transfer with the result instead of copying them. */
  transfer(...buffers: Transferable[]): void;
}

/** One async function per request type. */
export type Handlers = {
  [K in RequestType]: (
    body: RequestBody<K>,
    context: HandlerContext<EventOf<K>>,
  ) => Promise<ResultOf<K>>;
};

/** The worker's side of a `postMessage` channel (the worker global itself, or a port). */
export interface HostEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/**
 * Answer requests from {@link WorkerClient}. Requests run concurrently (a
 * sample request can arrive while training runs), so handlers must await
 * between long steps to let others in.
 */
export function serveRequests(endpoint: HostEndpoint, handlers: Handlers): void {
  const running = new Map<number, AbortController>();
  const post = (message: FromWorker, transfer: Transferable[] = []) =>
    endpoint.postMessage(message, transfer);

  endpoint.addEventListener('message', (event) => {
    let message: ReturnType<typeof parseToWorker>;
    try {
      message = parseToWorker(event.data);
    } catch (error) {
      const id = (event.data as { id?: unknown })?.id;
      if (typeof id === 'number') post({ id, kind: 'error', error: toWireError(error) });
      else console.error(error);
      return;
    }
    if (message.kind === 'cancel') {
      running.get(message.id)?.abort();
      return;
    }
    const { id, body } = message;
    const controller = new AbortController();
    running.set(id, controller);
    const transfer: Transferable[] = [];
    const context: HandlerContext<unknown> = {
      emit: (payload) => post({ id, kind: 'event', event: payload }),
      signal: controller.signal,
      transfer: (...buffers) => transfer.push(...buffers),
    };
    const handler = handlers[body.type] as (
      body: unknown,
      context: HandlerContext<unknown>,
    ) => Promise<unknown>;
    handler(body, context)
      .then((value) => post({ id, kind: 'result', value }, transfer))
      .catch((error: unknown) => post({ id, kind: 'error', error: toWireError(error) }))
      .finally(() => running.delete(id));
  });
}
