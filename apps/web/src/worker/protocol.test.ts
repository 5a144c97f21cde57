import { afterEach, describe, expect, it } from 'vitest';
import { WorkerClient } from './client.js';
import { type Handlers, serveRequests } from './host.js';
import { parseToWorker } from './protocol.js';
import { WorkerRequestError } from './worker-request-error.js';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const channel of channels.splice(0)) {
    channel.port1.close();
    channel.port2.close();
  }
});

function unexpected(): Promise<never> {
  return Promise.reject(new Error('not used by this test'));
}

/** A client and a host joined by a real MessageChannel (structured clone included). */
function connect(overrides: Partial<Handlers>): WorkerClient {
  const channel = new MessageChannel();
  channels.push(channel);
  const handlers: Handlers = {
    'init-backend': unexpected,
    'load-model': unexpected,
    generate: unexpected,
    train: unexpected,
    'train-lora': unexpected,
    'save-adapter': unexpected,
    'load-adapter': unexpected,
    'remove-adapter': unexpected,
    'list-adapters': unexpected,
    'train-control': unexpected,
    'save-checkpoint': unexpected,
    'list-checkpoints': unexpected,
    logits: unexpected,
    ...overrides,
  };
  serveRequests(channel.port2 as unknown as Parameters<typeof serveRequests>[0], handlers);
  const client = new WorkerClient(
    channel.port1 as unknown as ConstructorParameters<typeof WorkerClient>[0],
  );
  channel.port1.start();
  channel.port2.start();
  return client;
}

describe('worker protocol', () => {
  it('streams events, then resolves with the result', async () => {
    const client = connect({
      async generate(body, { emit }) {
        for (let i = 0; i < 3; i++) {
          emit({ type: 'token', tokenId: i, text: `t${i}`, tokens: i + 1, tokensPerSecond: 10 });
        }
        return {
          text: `${body.prompt}!`,
          tokenIds: [0, 1, 2],
          tokensPerSecond: 10,
          finishReason: 'length',
        };
      },
    });
    const seen: string[] = [];
    const result = await client.request(
      {
        type: 'generate',
        slot: 'generate',
        prompt: 'hi',
        settings: {
          maxNewTokens: 3,
          temperature: 1,
          topK: 0,
          topP: 1,
          repetitionPenalty: 1,
          seed: 1,
          stopStrings: [],
        },
      },
      { onEvent: (event) => seen.push(event.text) },
    );
    expect(seen).toEqual(['t0', 't1', 't2']);
    expect(result.text).toBe('hi!');
    expect(client.pendingCount).toBe(0);
  });

  it('turns a thrown error into a WorkerRequestError that keeps the remote class name', async () => {
    const client = connect({
      async 'list-checkpoints'() {
        throw new RangeError('no storage here');
      },
    });
    const error = await client.request({ type: 'list-checkpoints' }).catch((e: unknown) => e);
    expect(WorkerRequestError.isInstance(error)).toBe(true);
    expect((error as WorkerRequestError).remoteName).toBe('RangeError');
    expect((error as WorkerRequestError).requestType).toBe('list-checkpoints');
    expect((error as Error).message).toBe('no storage here');
  });

  it('aborting the signal cancels the handler, which resolves with what it has', async () => {
    const client = connect({
      async logits(_body, { signal }) {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        return { logits: new Float32Array([signal.aborted ? 1 : 0]) };
      },
    });
    const controller = new AbortController();
    const pending = client.request(
      { type: 'logits', slot: 'generate', text: 'x' },
      { signal: controller.signal },
    );
    controller.abort();
    const { logits } = await pending;
    expect(Array.from(logits)).toEqual([1]);
  });

  it('runs requests concurrently', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = connect({
      async train() {
        await gate;
        return { steps: 1, finalLoss: 1, valLoss: undefined, reason: 'done' };
      },
      async 'train-control'(body) {
        release();
        return { state: body.action === 'stop' ? 'stopping' : 'running' };
      },
    });
    const training = client.request({
      type: 'train',
      text: 'abc',
      settings: {
        nLayer: 1,
        nEmbd: 8,
        nHead: 1,
        blockSize: 4,
        batchSize: 1,
        learningRate: 1e-3,
        maxSteps: 1,
        evalInterval: 1,
        tokenizer: 'char',
        bpeVocabSize: 256,
        seed: 1,
      },
    });
    const control = await client.request({ type: 'train-control', action: 'stop' });
    expect(control.state).toBe('stopping');
    expect((await training).reason).toBe('done');
  });

  it('rejects malformed messages with a TypeError naming the problem', () => {
    expect(() => parseToWorker(null)).toThrow(TypeError);
    expect(() => parseToWorker({ id: 'x', kind: 'request' })).toThrow(/integer `id`/);
    expect(() => parseToWorker({ id: 1, kind: 'request', body: { type: 'nope' } })).toThrow(
      /Unknown worker request type 'nope'/,
    );
    expect(parseToWorker({ id: 2, kind: 'cancel' })).toEqual({ id: 2, kind: 'cancel' });
  });
});
