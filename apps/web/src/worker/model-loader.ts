/**
 * Loading a GPT-2 checkpoint into the worker: from picked files, a URL, or
 * browser storage. @gpt2/model's bundle reader finds the weights, config and
 * tokenizer by the same rules as the CLI (its README, "Model bundles").
 */
import {
  BUNDLE_METADATA_KEYS,
  configToHF,
  fileMapFiles,
  GPT2Model,
  loadWeights,
  type ModelBundle,
  ModelBundleError,
  modelFromBundle,
  readModelBundle,
  saveSafetensors,
} from '@gpt2/model';
import type { Tokenizer } from '@gpt2/tokenizer';
import type { CheckpointFiles, ModelSource } from './protocol.js';

/** A model ready for use, with its tokenizer and where it came from. */
export interface LoadedModel {
  model: GPT2Model;
  tokenizer: Tokenizer;
  /** Where it came from, in words. */
  source: string;
}

/** Options for {@link loadModel}. */
export interface LoadModelOptions {
  /** Base URL that relative model URLs resolve against (the page's URL). Default: none. */
  baseUrl?: string;
  /** Reads browser-storage checkpoints. Default: none (OPFS sources then fail). */
  readStored?: (name: string) => Promise<Map<string, Uint8Array>>;
  /** Progress messages. Default: none. */
  onStatus?: (message: string) => void;
}

/** What to do about a missing part, in the page's words. */
const HINTS: Record<string, string> = {
  weights: 'pick the model.safetensors file, or its folder',
  config: 'pick config.json with the weights, or put it beside the URL',
  tokenizer: 'pick its tokenizer JSON too',
};

async function readBundle(source: ModelSource, options: LoadModelOptions): Promise<ModelBundle> {
  try {
    if (source.kind === 'files') return await readModelBundle(source.files);
    if (source.kind === 'url')
      return await readModelBundle(source.url, { baseUrl: options.baseUrl });
    if (!options.readStored) throw new Error('Browser storage is not available here.');
    const files = await options.readStored(source.name);
    return await readModelBundle(fileMapFiles(files, { label: `browser storage: ${source.name}` }));
  } catch (error) {
    const hint = ModelBundleError.isInstance(error) && error.part ? HINTS[error.part] : undefined;
    if (hint) throw new Error(`${(error as Error).message}: ${hint}.`, { cause: error });
    throw error;
  }
}

/** Build a model from a source, checking names, shapes and dtypes of every tensor. */
export async function loadModel(
  source: ModelSource,
  options: LoadModelOptions = {},
): Promise<LoadedModel> {
  const status = options.onStatus ?? (() => {});
  const bundle = await readBundle(source, options);
  status(`Loading weights from ${bundle.sources.weights}…`);
  const loaded = await modelFromBundle(bundle, {
    onProgress: ({ loadedBytes, totalBytes }) =>
      status(`Loading weights… ${Math.round((100 * loadedBytes) / Math.max(1, totalBytes))}%`),
  });
  return { model: loaded.model, tokenizer: loaded.tokenizer, source: bundle.sources.weights };
}

/** A checkpoint's files: safetensors (with config and tokenizer embedded), config.json, tokenizer.json. */
export async function checkpointFiles(loaded: LoadedModel, name: string): Promise<CheckpointFiles> {
  const config = JSON.stringify(configToHF(loaded.model.config), null, 2);
  const tokenizer = JSON.stringify(loaded.tokenizer.toJSON());
  const safetensors = await saveSafetensors(loaded.model, {
    metadata: {
      [BUNDLE_METADATA_KEYS.config]: config,
      [BUNDLE_METADATA_KEYS.tokenizer]: tokenizer,
    },
  });
  return { name, safetensors, config, tokenizer };
}

/** The same model on the now-active backend, from a snapshot of its weights. */
export async function rebuildModel(loaded: LoadedModel, weights: Uint8Array): Promise<LoadedModel> {
  const model = GPT2Model.create(loaded.model.config, { init: 'zeros' });
  await loadWeights(model, weights);
  return { ...loaded, model };
}
