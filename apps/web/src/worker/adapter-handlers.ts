/**
 * LoRA in the worker: adapters trained on, applied to and removed from the
 * Generate page's model, saved as PEFT files (a download, or browser storage)
 * and loaded back, from storage or from a PEFT folder picked from disk.
 */
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  type LoraModel,
  loadLoraAdapter,
  saveLoraAdapter,
} from '@gpt2/model';
import type { CheckpointStoreLike } from '../storage/opfs-checkpoint-store.js';
import type { Handlers } from './host.js';
import type { LoadedModel } from './model-loader.js';
import type { AdapterFiles, AdapterSource, AdapterSummary } from './protocol.js';
import type { TrainingSession } from './training-session.js';

/** An adapter applied to the Generate page's model, and where it came from. */
export interface AttachedAdapter {
  lora: LoraModel;
  source: string;
}

/** The part of the worker's state these handlers use. */
export interface AdapterState {
  models: Map<'generate' | 'train', LoadedModel>;
  adapter: AttachedAdapter | undefined;
  training: TrainingSession | undefined;
}

/** What the page shows about an adapter. */
export function summarizeAdapter(adapter: AttachedAdapter): AdapterSummary {
  const { lora, source } = adapter;
  const { r, alpha, targets } = lora.loraConfig;
  return {
    source,
    r,
    alpha,
    targets: typeof targets === 'string' ? targets : targets.join(', '),
    layers: lora.layers.length,
    parameters: lora.trainableParameterCount(),
  };
}

/** Remove the applied adapter (the model is the base model again). */
export function detachAdapter(state: AdapterState): boolean {
  const adapter = state.adapter;
  if (!adapter) return false;
  state.adapter = undefined;
  adapter.lora.dispose();
  return true;
}

/** Apply an adapter to the Generate page's model, replacing any other. */
export function attachAdapter(state: AdapterState, adapter: AttachedAdapter): void {
  if (state.adapter && state.adapter.lora !== adapter.lora) detachAdapter(state);
  state.adapter = adapter;
}

/** The Generate page's model, which adapters apply to. */
export function generateModel(state: AdapterState): LoadedModel {
  const loaded = state.models.get('generate');
  if (!loaded) {
    throw new Error(
      'No model on the Generate page: load the demo model or a checkpoint there first; LoRA adapts that model.',
    );
  }
  return loaded;
}

/** PEFT's two files among picked files (a folder or single files). */
function adapterFiles(files: File[]): { config: File; weights: File; label: string } {
  const config = files.find((file) => file.name === ADAPTER_CONFIG_FILE);
  const weights =
    files.find((file) => file.name === ADAPTER_WEIGHTS_FILE) ??
    files.find((file) => file.name.endsWith('.safetensors'));
  if (!config || !weights) {
    throw new TypeError(
      `Pick a LoRA adapter: ${ADAPTER_CONFIG_FILE} and ${ADAPTER_WEIGHTS_FILE} (a PEFT adapter folder). Got: ${files.map((f) => f.name).join(', ') || 'nothing'}.`,
    );
  }
  const path = weights.webkitRelativePath;
  return { config, weights, label: path ? path.slice(0, path.lastIndexOf('/')) : weights.name };
}

async function readAdapter(
  source: AdapterSource,
  store: CheckpointStoreLike,
): Promise<{ config: string | Blob; weights: Uint8Array | Blob; label: string }> {
  if (source.kind === 'files') return adapterFiles(source.files);
  const files = await store.read(source.name);
  const config = files.get(ADAPTER_CONFIG_FILE);
  const weights = files.get(ADAPTER_WEIGHTS_FILE);
  if (!config || !weights)
    throw new Error(`'${source.name}' in browser storage is not an adapter.`);
  return {
    config: new TextDecoder().decode(config),
    weights,
    label: `browser storage: ${source.name}`,
  };
}

type AdapterHandlers = Pick<
  Handlers,
  'train-lora' | 'save-adapter' | 'load-adapter' | 'remove-adapter' | 'list-adapters'
>;

/**
 * The LoRA request handlers. `startTraining` runs a session the way the
 * `train` request does (one run at a time, pause/resume/stop through `train-control`).
 */
export function createAdapterHandlers(
  state: AdapterState,
  store: CheckpointStoreLike,
  startTraining: (
    text: string,
    base: LoadedModel,
    settings: Parameters<Handlers['train-lora']>[0]['settings'],
    context: Parameters<Handlers['train-lora']>[1],
  ) => ReturnType<Handlers['train-lora']>,
): AdapterHandlers {
  return {
    async 'train-lora'(body, context) {
      if (state.training?.isActive) throw new Error('A training run is already going.');
      const base = generateModel(state);
      // Training adapts the Generate page's model: an applied adapter makes way.
      detachAdapter(state);
      return startTraining(body.text, base, body.settings, context);
    },

    async 'save-adapter'(body, { transfer }): Promise<AdapterFiles> {
      if (!state.adapter) throw new Error('No adapter to save: train one, or apply one first.');
      const files = await saveLoraAdapter(state.adapter.lora);
      if (body.target === 'opfs') {
        await store.write(
          body.name,
          new Map([
            [ADAPTER_CONFIG_FILE, new TextEncoder().encode(files.config)],
            [ADAPTER_WEIGHTS_FILE, files.weights],
          ]),
        );
      }
      transfer(files.weights.buffer);
      return { name: body.name, ...files };
    },

    async 'load-adapter'(body) {
      if (state.training?.isActive)
        throw new Error('Stop training before applying another adapter.');
      const base = generateModel(state);
      const { config, weights, label } = await readAdapter(body.source, store);
      detachAdapter(state);
      const lora = await loadLoraAdapter(base.model, { config, weights }, { name: label });
      attachAdapter(state, { lora, source: label });
      return summarizeAdapter(state.adapter!);
    },

    async 'remove-adapter'() {
      if (state.training?.isActive) throw new Error('Stop training before removing the adapter.');
      return { removed: detachAdapter(state) };
    },

    async 'list-adapters'() {
      return { names: await store.list() };
    },
  };
}
