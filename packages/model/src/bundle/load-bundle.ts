/** A model built from a bundle: the reader's parts, with the weights loaded into a new model. */
import { GPT2Model } from '../model.js';
import { type LoadProgress, loadWeights } from '../weights/load-weights.js';
import {
  type ModelBundle,
  type ModelBundleSource,
  type ReadModelBundleOptions,
  readModelBundle,
} from './read-bundle.js';

/** Options of {@link modelFromBundle}. */
export interface ModelFromBundleOptions {
  /** Seed for dropout in later training. Default: the model's `DEFAULT_SEED`. */
  seed?: number;
  /** Called after each tensor is assigned. Default: none. */
  onProgress?: (progress: LoadProgress) => void;
  /** `fetch` for URL weights. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Passed to `fetch` for URL weights. Default: none. */
  requestInit?: RequestInit;
}

/** Options of {@link loadModelBundle}. */
export interface LoadModelBundleOptions extends ReadModelBundleOptions, ModelFromBundleOptions {}

/** A loaded model with its tokenizer and where they came from. */
export interface LoadedModelBundle extends Omit<ModelBundle, 'weights'> {
  /** The model, weights checked (names, shapes, dtypes) and loaded. Dispose it when done. */
  model: GPT2Model;
}

/**
 * Build the bundle's model and load its weights (streamed, tensor by tensor).
 * @throws WeightsMismatchError / SafetensorsFormatError; nothing is left allocated on failure.
 */
export async function modelFromBundle(
  bundle: ModelBundle,
  options: ModelFromBundleOptions = {},
): Promise<LoadedModelBundle> {
  // 'zeros': no random init for weights about to be overwritten.
  const model = GPT2Model.create(bundle.config, { seed: options.seed, init: 'zeros' });
  try {
    await loadWeights(model, bundle.weights, {
      name: bundle.sources.weights,
      onProgress: options.onProgress,
      fetch: options.fetch,
      requestInit: options.requestInit,
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  const { weights: _weights, ...parts } = bundle;
  return { ...parts, model };
}

/**
 * Read a bundle ({@link readModelBundle}) and load its model.
 * @example
 * ```ts
 * // In a browser: the files of a picked folder (a run, a checkpoint, a Hugging Face folder).
 * const { model, tokenizer } = await loadModelBundle(input.files!);
 * // Anywhere with fetch: a model folder on a server.
 * const demo = await loadModelBundle('https://example.com/models/demo/');
 * ```
 */
export async function loadModelBundle(
  source: ModelBundleSource,
  options: LoadModelBundleOptions = {},
): Promise<LoadedModelBundle> {
  return modelFromBundle(await readModelBundle(source, options), options);
}
