/**
 * What the model worker does for each request. All tensors live here, never
 * on the page's thread.
 */
import { type BackendInfo, initBackend } from '@gpt2/backends';
import { createWasmBackend } from '@gpt2/backends/wasm';
import { BUNDLE_FILES, countParameters, saveSafetensors } from '@gpt2/model';
import { generate } from '@gpt2/sampler';
import * as tf from '@tensorflow/tfjs-core';
import { createOpfsCheckpointStore } from '../storage/opfs-checkpoint-store.js';
import type { HandlerContext, Handlers } from './host.js';
import { checkpointFiles, type LoadedModel, loadModel, rebuildModel } from './model-loader.js';
import type { ModelSlot, ModelSummary, RequestBody } from './protocol.js';
import { TrainingSession } from './training-session.js';
import { yieldToEventLoop } from './yield.js';

/** The worker's state: the active backend and a model per slot. */
export interface WorkerState {
  backend: BackendInfo | undefined;
  models: Map<ModelSlot, LoadedModel>;
  training: TrainingSession | undefined;
}

function summarize(slot: ModelSlot, loaded: LoadedModel): ModelSummary {
  const { config } = loaded.model;
  return {
    slot,
    source: loaded.source,
    nLayer: config.nLayer,
    nEmbd: config.nEmbd,
    nHead: config.nHead,
    nPositions: config.nPositions,
    vocabSize: config.vocabSize,
    parameters: countParameters(config),
    tokenizer: loaded.tokenizer.name,
    backend: tf.getBackend(),
  };
}

function modelIn(state: WorkerState, slot: ModelSlot): LoadedModel {
  const loaded = state.models.get(slot);
  if (!loaded) {
    throw new Error(
      slot === 'generate'
        ? 'No model loaded: load the demo model or a checkpoint first.'
        : 'Train a model first.',
    );
  }
  return loaded;
}

/** Replace a slot's model, disposing the previous one's tensors. */
export function setModel(state: WorkerState, slot: ModelSlot, loaded: LoadedModel): void {
  const previous = state.models.get(slot);
  state.models.set(slot, loaded);
  if (previous && previous.model !== loaded.model) previous.model.dispose();
}

/**
 * Tensors belong to the backend that made them: before switching, copy every
 * model's weights out as safetensors bytes, and rebuild them afterwards.
 */
async function switchBackend(
  state: WorkerState,
  body: RequestBody<'init-backend'>,
): Promise<BackendInfo> {
  if (state.training?.isActive) throw new Error('Stop training before switching the backend.');
  const snapshots = new Map<ModelSlot, { bytes: Uint8Array; loaded: LoadedModel }>();
  if (state.backend) {
    for (const [slot, loaded] of state.models) {
      snapshots.set(slot, { bytes: await saveSafetensors(loaded.model), loaded });
    }
  }
  // The wasm provider hands the bundler-emitted .wasm URLs to tfjs.
  const info = await initBackend(body.backend, {
    providers: [createWasmBackend({ wasmPaths: body.wasmPaths })],
  });
  state.backend = info;
  for (const [slot, { bytes, loaded }] of snapshots) {
    const rebuilt = await rebuildModel(loaded, bytes);
    setModel(state, slot, rebuilt);
  }
  return info;
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error as Error)?.name === 'AbortError';
}

async function runGenerate(
  state: WorkerState,
  body: RequestBody<'generate'>,
  {
    emit,
    signal,
  }: HandlerContext<{
    type: 'token';
    tokenId: number;
    text: string;
    tokens: number;
    tokensPerSecond: number;
  }>,
) {
  const loaded = modelIn(state, body.slot);
  const { settings } = body;
  const start = performance.now();
  const tokenIds: number[] = [];
  let text = '';
  let finishReason = 'length';
  const rate = () => tokenIds.length / Math.max(1e-3, (performance.now() - start) / 1000);
  try {
    for await (const event of generate(loaded.model, loaded.tokenizer, body.prompt, {
      maxNewTokens: settings.maxNewTokens,
      temperature: settings.temperature,
      topK: settings.topK > 0 ? settings.topK : undefined,
      topP: settings.topP,
      repetitionPenalty: settings.repetitionPenalty,
      seed: settings.seed,
      stop: settings.stopStrings,
      stopTokenIds: settings.stopTokenIds,
      signal,
    })) {
      if (event.type === 'token') {
        tokenIds.push(event.tokenId);
        text += event.text;
        emit({
          type: 'token',
          tokenId: event.tokenId,
          text: event.text,
          tokens: tokenIds.length,
          tokensPerSecond: rate(),
        });
        // Lets a Stop (cancel) message in before the next token.
        await yieldToEventLoop();
      } else if (event.type === 'finish') {
        finishReason = event.reason;
        text = event.text;
        tokenIds.splice(0, tokenIds.length, ...event.tokenIds);
      }
    }
  } catch (error) {
    if (!isAbort(error, signal)) throw error;
    finishReason = 'stopped';
  }
  return { text, tokenIds, tokensPerSecond: rate(), finishReason };
}

/** The request handlers, over one shared state. */
export function createHandlers(state: WorkerState): Handlers {
  const store = createOpfsCheckpointStore();
  return {
    'init-backend': (body) => switchBackend(state, body),

    async 'load-model'(body, { emit }) {
      if (!state.backend) throw new Error('Choose a backend first.');
      const loaded = await loadModel(body.source, {
        readStored: (name) => store.read(name),
        onStatus: (message) => emit({ type: 'status', message }),
      });
      setModel(state, body.slot, loaded);
      return summarize(body.slot, loaded);
    },

    generate: (body, context) => runGenerate(state, body, context),

    async train(body, context) {
      if (!state.backend) throw new Error('Choose a backend first.');
      if (state.training?.isActive) throw new Error('A training run is already going.');
      const session = new TrainingSession(body.text, body.settings);
      state.training = session;
      return session.run({
        emit: context.emit,
        onModel: (loaded) => {
          setModel(state, 'train', loaded);
          context.emit({ type: 'model', model: summarize('train', loaded) });
        },
      });
    },

    async 'train-control'(body) {
      const session = state.training;
      if (!session) return { state: 'idle' };
      return { state: session.control(body.action) };
    },

    async 'save-checkpoint'(body, { transfer }) {
      const loaded = modelIn(state, body.slot);
      const files = await checkpointFiles(loaded, body.name);
      if (body.target === 'opfs') {
        await store.write(
          body.name,
          new Map([
            [BUNDLE_FILES.weights, files.safetensors],
            [BUNDLE_FILES.config, new TextEncoder().encode(files.config)],
            [BUNDLE_FILES.hfTokenizer, new TextEncoder().encode(files.tokenizer)],
          ]),
        );
      }
      transfer(files.safetensors.buffer);
      return files;
    },

    async 'list-checkpoints'() {
      return { names: await store.list() };
    },

    async logits(body, { transfer }) {
      const loaded = modelIn(state, body.slot);
      const ids = loaded.tokenizer.encode(body.text);
      if (ids.length === 0) throw new RangeError('logits: the text encodes to no tokens.');
      const window = ids.slice(-loaded.model.config.nPositions);
      const last = tf.tidy(() => {
        const logits = loaded.model.forward([window]); // [1, T, V]
        const { vocabSize } = loaded.model.config;
        return tf.reshape(tf.slice(logits, [0, window.length - 1, 0], [1, 1, vocabSize]), [
          vocabSize,
        ]);
      });
      const values = (await last.data()) as Float32Array;
      last.dispose();
      transfer(values.buffer);
      return { logits: values };
    },
  };
}
