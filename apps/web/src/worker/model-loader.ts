/**
 * Loading a GPT-2 checkpoint into the worker: from picked files, a URL, or
 * browser storage. The config and tokenizer come from their own files, or
 * from the safetensors metadata this app writes, or (for a 50257-token model
 * with neither) GPT-2's own tokenizer.
 */
import type { WebGpuLimits } from '@gpt2/backends';
import {
  configFromHF,
  configToHF,
  type GPT2Config,
  GPT2Model,
  loadWeights,
  parseSafetensorsHeader,
  readSafetensorsHeaderLength,
  type SafetensorsSource,
  saveSafetensors,
} from '@gpt2/model';
import {
  fromHuggingFace,
  GPT2_VOCAB_SIZE,
  gpt2Tokenizer,
  type Tokenizer,
  type TokenizerJSON,
  tokenizerFromJSON,
} from '@gpt2/tokenizer';
import {
  checkpointUrls,
  classifyCheckpointFiles,
  METADATA_CONFIG_KEY,
  METADATA_TOKENIZER_KEY,
  parseJsonFile,
  tokenizerJsonKind,
} from './checkpoint-files.js';
import { explainDeviceFit } from './device-fit.js';
import type { CheckpointFiles, ModelSource } from './protocol.js';

/** A model ready for use, with its tokenizer and where it came from. */
export interface LoadedModel {
  model: GPT2Model;
  tokenizer: Tokenizer;
  /** Where it came from, in words. */
  source: string;
}

/** The three parts of a checkpoint before loading. */
interface CheckpointParts {
  weights: SafetensorsSource;
  /** Reads the safetensors `__metadata__` (only called when config or tokenizer is missing). */
  metadata: () => Promise<Record<string, string>>;
  config: unknown;
  tokenizer: unknown;
  label: string;
}

async function metadataOfBlob(blob: Blob, name: string): Promise<Record<string, string>> {
  const first8 = new Uint8Array(await blob.slice(0, 8).arrayBuffer());
  const length = readSafetensorsHeaderLength(first8, { source: name, byteLength: blob.size });
  const json = new Uint8Array(await blob.slice(8, 8 + length).arrayBuffer());
  return parseSafetensorsHeader(json, { source: name, byteLength: blob.size }).metadata;
}

async function fromFiles(files: File[]): Promise<CheckpointParts> {
  const set = classifyCheckpointFiles(files);
  const weights = set.weights;
  if (!weights) {
    throw new TypeError(
      `No .safetensors file among the picked files (${files.map((f) => f.name).join(', ') || 'none'}).`,
    );
  }
  return {
    weights,
    metadata: () => metadataOfBlob(weights, weights.name),
    config: set.config ? parseJsonFile(await set.config.text(), set.config.name) : undefined,
    tokenizer: set.tokenizer
      ? parseJsonFile(await set.tokenizer.text(), set.tokenizer.name)
      : undefined,
    label: weights.webkitRelativePath || weights.name,
  };
}

async function fetchJson(url: string, required: boolean): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    if (!required) return undefined;
    throw new Error(
      `Could not fetch ${url}: ${(error as Error).message} (offline, or blocked by CORS?)`,
    );
  }
  if (!response.ok) {
    if (!required) return undefined;
    throw new Error(`Could not fetch ${url}: HTTP ${response.status}.`);
  }
  return parseJsonFile(await response.text(), url);
}

async function fromUrl(url: string, base: string | undefined): Promise<CheckpointParts> {
  const urls = checkpointUrls(url, base);
  const [config, tokenizer] = await Promise.all([
    fetchJson(urls.config, false),
    fetchJson(urls.tokenizer, false),
  ]);
  return {
    weights: urls.weights,
    metadata: async () => {
      // Only the header is needed: a ranged request keeps a large model from downloading twice.
      const head = await fetch(urls.weights, { headers: { Range: 'bytes=0-1048575' } });
      return metadataOfBlob(await head.blob(), urls.weights);
    },
    config,
    tokenizer,
    label: urls.weights,
  };
}

/** Open a checkpoint from files as bytes (browser storage). */
export function partsFromFileMap(
  files: Map<string, Uint8Array>,
  label: string,
): Promise<CheckpointParts> {
  return fromFiles(
    [...files].map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name)),
  ).then((parts) => ({ ...parts, label }));
}

async function resolveTokenizer(json: unknown, config: GPT2Config): Promise<Tokenizer> {
  const kind = tokenizerJsonKind(json);
  if (kind === 'gpt2-package') return tokenizerFromJSON(json as TokenizerJSON);
  if (kind === 'huggingface') return fromHuggingFace({ json: json as Record<string, unknown> });
  if (config.vocabSize === GPT2_VOCAB_SIZE) return gpt2Tokenizer();
  throw new TypeError(
    `The checkpoint has no tokenizer file and its vocabulary (${config.vocabSize}) is not GPT-2's (${GPT2_VOCAB_SIZE}): pick its tokenizer JSON too.`,
  );
}

/** Options for {@link loadModel}. */
export interface LoadModelOptions {
  /** Base URL that relative model URLs resolve against (the page's URL). Default: none. */
  baseUrl?: string;
  /** Reads browser-storage checkpoints. Default: none (OPFS sources then fail). */
  readStored?: (name: string) => Promise<Map<string, Uint8Array>>;
  /** Progress messages. Default: none. */
  onStatus?: (message: string) => void;
  /** The WebGPU device's limits, when on webgpu: a model that cannot fit is refused before loading. */
  deviceLimits?: WebGpuLimits;
}

/** Build a model from a source, checking names, shapes and dtypes of every tensor. */
export async function loadModel(
  source: ModelSource,
  options: LoadModelOptions = {},
): Promise<LoadedModel> {
  const status = options.onStatus ?? (() => {});
  let parts: CheckpointParts;
  if (source.kind === 'files') parts = await fromFiles(source.files);
  else if (source.kind === 'url') parts = await fromUrl(source.url, options.baseUrl);
  else {
    if (!options.readStored) throw new Error('Browser storage is not available here.');
    parts = await partsFromFileMap(
      await options.readStored(source.name),
      `browser storage: ${source.name}`,
    );
  }
  let { config: configJson, tokenizer: tokenizerJson } = parts;
  if (configJson === undefined || tokenizerJson === undefined) {
    const metadata = await parts.metadata().catch(() => ({}) as Record<string, string>);
    const embeddedConfig = metadata[METADATA_CONFIG_KEY];
    const embeddedTokenizer = metadata[METADATA_TOKENIZER_KEY];
    if (configJson === undefined && embeddedConfig)
      configJson = parseJsonFile(embeddedConfig, 'embedded config');
    if (tokenizerJson === undefined && embeddedTokenizer) {
      tokenizerJson = parseJsonFile(embeddedTokenizer, 'embedded tokenizer');
    }
  }
  if (typeof configJson !== 'object' || configJson === null) {
    throw new TypeError(
      `No config.json for ${parts.label}: pick it with the weights, or put it beside the URL.`,
    );
  }
  const config = configFromHF(configJson as Record<string, unknown>);
  const unfit = options.deviceLimits && explainDeviceFit(config, options.deviceLimits);
  if (unfit) throw new RangeError(unfit);
  const tokenizer = await resolveTokenizer(tokenizerJson, config);
  status(`Loading weights from ${parts.label}…`);
  const model = GPT2Model.create(config, { init: 'zeros' });
  try {
    await loadWeights(model, parts.weights, {
      onProgress: ({ loadedBytes, totalBytes }) =>
        status(`Loading weights… ${Math.round((100 * loadedBytes) / Math.max(1, totalBytes))}%`),
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, tokenizer, source: parts.label };
}

/** A checkpoint's files: safetensors (with config and tokenizer embedded), config.json, tokenizer.json. */
export async function checkpointFiles(loaded: LoadedModel, name: string): Promise<CheckpointFiles> {
  const config = JSON.stringify(configToHF(loaded.model.config), null, 2);
  const tokenizer = JSON.stringify(loaded.tokenizer.toJSON());
  const safetensors = await saveSafetensors(loaded.model, {
    metadata: { [METADATA_CONFIG_KEY]: config, [METADATA_TOKENIZER_KEY]: tokenizer },
  });
  return { name, safetensors, config, tokenizer };
}

/** The same model on the now-active backend, from a snapshot of its weights. */
export async function rebuildModel(loaded: LoadedModel, weights: Uint8Array): Promise<LoadedModel> {
  const model = GPT2Model.create(loaded.model.config, { init: 'zeros' });
  await loadWeights(model, weights);
  return { ...loaded, model };
}
