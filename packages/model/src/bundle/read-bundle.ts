/**
 * The model-bundle reader: weights, config and tokenizer from a checkpoint
 * folder, a run folder, a Hugging Face folder, picked files, bytes or a URL,
 * by one set of rules (the package README, "Model bundles", lists them).
 */
import type { Tokenizer } from '@gpt2/tokenizer';
import type { GPT2Config } from '../config.js';
import type { SafetensorsSource } from '../weights/readers.js';
import { type BundleFiles, isBundleFiles } from './bundle-files.js';
import { fileMapFiles, fileSetFiles, type PickedFile } from './file-set.js';
import { findConfig } from './find-config.js';
import { findTokenizer } from './find-tokenizer.js';
import { BUNDLE_FILES } from './layout.js';
import { ModelBundleError } from './model-bundle-error.js';
import { openModelFolder } from './model-folder.js';
import { parseModelUrl, urlFiles } from './url-files.js';

/** What {@link readModelBundle} reads. */
export type ModelBundleSource =
  /** A folder tree: `@gpt2/model/node`'s folder, or your own store. */
  | BundleFiles
  /** The URL of a model folder, or of its `.safetensors` file (config and tokenizer beside it). */
  | string
  | URL
  /** Picked files (a `FileList` or `File[]`, from a file or folder picker). */
  | Iterable<PickedFile>
  /** Files by relative path, as bytes or blobs. */
  | ReadonlyMap<string, Uint8Array | Blob>
  /** A single safetensors file; the config and tokenizer then come from its metadata. */
  | Blob
  | ArrayBuffer
  | ArrayBufferView;

/** Options of {@link readModelBundle}. */
export interface ReadModelBundleOptions {
  /**
   * Use this tokenizer instead of looking for one; it must fit the model's
   * vocabulary. Default: the bundle's (see the README for the search order).
   */
  tokenizer?: Tokenizer;
  /**
   * The checkpoint to read from a run or checkpoints folder: a name
   * (`best`, `step-00000100`) or `'latest'` (the newest `step-N`). Default:
   * `best` when the run kept one, else the latest.
   */
  checkpoint?: string;
  /** Where to start inside the source, as a `/`-separated relative path. Default: its root. */
  folder?: string;
  /**
   * The weights file in the model folder. Default: `model.safetensors`, else
   * the only other `.safetensors` file (never `optimizer.safetensors`), or the
   * file a `.safetensors` URL names.
   */
  weightsFile?: string;
  /** Base that a relative model URL resolves against (a page's URL). Default: none. */
  baseUrl?: string;
  /** `fetch` for URLs. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Passed to every `fetch` (headers, `signal`). Default: none. */
  requestInit?: RequestInit;
}

/** A model's three parts, found; the weights are not read yet. */
export interface ModelBundle {
  /** The model config. */
  config: GPT2Config;
  /** The tokenizer the model was trained with. */
  tokenizer: Tokenizer;
  /** The weights, for `loadWeights` (read once; streamed, never buffered whole). */
  weights: SafetensorsSource;
  /** The model folder read (the chosen checkpoint's, in a run), as the source names it. */
  location: string;
  /** The checkpoint chosen in a run or checkpoints folder; undefined otherwise. */
  checkpoint: string | undefined;
  /** Where each part came from, in words (file locations, metadata keys, defaults). */
  sources: { weights: string; config: string; tokenizer: string };
}

/**
 * Find a model's weights, config and tokenizer, by the rules in the README:
 * a checkpoint or model folder is read as is; a run folder (with
 * `checkpoints/`) or a checkpoints folder gives its `best` checkpoint, else
 * its latest `step-N`.
 *
 * @throws ModelBundleError naming the place, the missing part and what was tried;
 *   ConfigError / VocabFormatError for a config or tokenizer that is there but invalid.
 */
export async function readModelBundle(
  source: ModelBundleSource,
  options: ReadModelBundleOptions = {},
): Promise<ModelBundle> {
  let files: BundleFiles;
  let weightsFile = options.weightsFile;
  if (isBundleFiles(source)) files = source;
  else if (typeof source === 'string' || source instanceof URL) {
    const url = parseModelUrl(source, options.baseUrl);
    files = urlFiles(url.folder, options);
    weightsFile ??= url.weights;
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes =
      source instanceof ArrayBuffer
        ? new Uint8Array(source)
        : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    files = fileMapFiles(new Map([[BUNDLE_FILES.weights, bytes]]), { label: 'bytes' });
  } else if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const name = (source as Partial<PickedFile>).name;
    files = name
      ? fileSetFiles([source as PickedFile])
      : fileMapFiles(new Map([[BUNDLE_FILES.weights, source]]), { label: 'blob' });
  } else if (source instanceof Map) {
    files = fileMapFiles(source as ReadonlyMap<string, Uint8Array | Blob>);
  } else if (typeof (source as Iterable<PickedFile>)[Symbol.iterator] === 'function') {
    files = fileSetFiles(source as Iterable<PickedFile>);
  } else {
    throw new TypeError(
      'readModelBundle: the source must be a URL, picked files, a Map of files, a Blob, bytes or a BundleFiles.',
    );
  }
  return readBundleFiles(files, { ...options, weightsFile });
}

async function readBundleFiles(
  files: BundleFiles,
  options: ReadModelBundleOptions,
): Promise<ModelBundle> {
  const folder = await openModelFolder(files, options);
  const { config, source: configSource } = await findConfig(folder);
  const found = options.tokenizer
    ? { tokenizer: options.tokenizer, source: 'given by the caller' }
    : await findTokenizer(folder, config.vocabSize);
  if (found.tokenizer.vocabSize > config.vocabSize) {
    throw new ModelBundleError({
      location: folder.location,
      part: 'tokenizer',
      reason: `tokenizer ${found.tokenizer.name} (${found.source}) has ${found.tokenizer.vocabSize} tokens but the model only ${config.vocabSize}: they do not belong together`,
    });
  }
  return {
    config,
    tokenizer: found.tokenizer,
    weights: await folder.openWeights(),
    location: folder.location,
    checkpoint: folder.checkpoint,
    sources: { weights: folder.weightsLocation, config: configSource, tokenizer: found.source },
  };
}
