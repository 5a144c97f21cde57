/**
 * The model-bundle reader: weights, config and tokenizer from a checkpoint
 * folder, a run folder, a Hugging Face folder, picked files, bytes or a URL,
 * by one set of rules (the package README, "Model bundles", lists them).
 */
import {
  detectTokenizerFormat,
  fromGpt2Files,
  GPT2_VOCAB_SIZE,
  gpt2Tokenizer,
  loadTokenizer,
  type Tokenizer,
  VocabFormatError,
} from '@gpt2/tokenizer';
import { type GPT2Config, validateConfig } from '../config.js';
import { configFromHF } from '../hf-config.js';
import { readHeader } from '../weights/load-weights.js';
import { openSource, type SafetensorsSource } from '../weights/readers.js';
import { type BundleFiles, baseName, isBundleFiles, joinPath, parentPath } from './bundle-files.js';
import { fileMapFiles, fileSetFiles, type PickedFile } from './file-set.js';
import {
  BEST_CHECKPOINT,
  BUNDLE_FILES,
  BUNDLE_METADATA_KEYS,
  checkpointStep,
  latestStepCheckpoint,
  preferredCheckpoint,
  RUN_FOLDER,
} from './layout.js';
import { ModelBundleError } from './model-bundle-error.js';
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

/** The same choice as `preferredCheckpoint`, or the named one, among a store's folders. */
function chooseCheckpoint(
  files: BundleFiles,
  folder: string,
  names: readonly string[],
  wanted: string | undefined,
): string {
  const candidates = names
    .filter((name) => name.endsWith('/') && !name.startsWith('.'))
    .map((name) => name.slice(0, -1));
  const chosen =
    wanted === undefined
      ? preferredCheckpoint(candidates)
      : wanted === 'latest'
        ? latestStepCheckpoint(candidates)
        : candidates.includes(wanted)
          ? wanted
          : undefined;
  if (chosen === undefined) {
    throw new ModelBundleError({
      location: files.locate(folder),
      part: 'checkpoint',
      reason:
        wanted === undefined
          ? `no checkpoint: expected a '${BEST_CHECKPOINT}' or 'step-N' folder`
          : `no checkpoint '${wanted}'`,
      tried: [`checkpoints here: ${candidates.join(', ') || 'none'}`],
    });
  }
  return chosen;
}

/** The weights file among a folder's names, if any; several candidates are an error. */
function findWeights(
  files: BundleFiles,
  folder: string,
  names: readonly string[],
): string | undefined {
  if (names.includes(BUNDLE_FILES.weights)) return BUNDLE_FILES.weights;
  const others = names.filter(
    (name) => /\.safetensors$/i.test(name) && name !== BUNDLE_FILES.optimizer,
  );
  if (others.length > 1) {
    throw new ModelBundleError({
      location: files.locate(folder),
      part: 'weights',
      reason: `several weights files (${others.join(', ')}) and no ${BUNDLE_FILES.weights}: name the one to read (weightsFile)`,
    });
  }
  return others[0];
}

function missingWeights(files: BundleFiles, folder: string, names: readonly string[]): never {
  const sharded = names.some((name) => /\.safetensors\.index\.json$/i.test(name));
  const pytorch = names.some((name) => /\.(bin|pt|pth)$/i.test(name));
  const hint = sharded
    ? ': it holds a sharded checkpoint (model.safetensors.index.json), which is not supported'
    : pytorch
      ? ': it holds PyTorch weights (.bin/.pt), which are not read; save them as safetensors'
      : '';
  throw new ModelBundleError({
    location: files.locate(folder),
    part: 'weights',
    reason: `no model weights${hint}`,
    tried: [
      `${BUNDLE_FILES.weights} or another .safetensors file (a model or checkpoint folder)`,
      `${RUN_FOLDER.checkpoints}/ (a run folder)`,
      "'best' or 'step-N' folders (a checkpoints folder)",
    ],
  });
}

/** Where the model folder is: the start itself, or the chosen checkpoint of a run or store. */
async function findModelFolder(
  files: BundleFiles,
  start: string,
  options: ReadModelBundleOptions,
): Promise<{
  folder: string;
  names: string[] | undefined;
  checkpoint: string | undefined;
  runFolder: string | undefined;
}> {
  const names = await files.list(start);
  if (names === undefined) {
    return { folder: start, names: undefined, checkpoint: undefined, runFolder: undefined };
  }
  const isModelFolder =
    (options.weightsFile !== undefined && names.includes(options.weightsFile)) ||
    findWeights(files, start, names) !== undefined;
  // A checkpoint inside `<run>/checkpoints/`: the run's tokenizer is two levels up.
  const enclosingRun = (folder: string) => {
    const store = parentPath(folder);
    return store !== undefined && baseName(store) === RUN_FOLDER.checkpoints
      ? parentPath(store)
      : undefined;
  };
  if (isModelFolder) {
    if (options.checkpoint !== undefined) {
      throw new ModelBundleError({
        location: files.locate(start),
        part: 'checkpoint',
        reason: `this is a model folder, not a run: it has no checkpoint '${options.checkpoint}'`,
      });
    }
    return { folder: start, names, checkpoint: undefined, runFolder: enclosingRun(start) };
  }
  let store: string;
  let runFolder: string | undefined;
  if (names.includes(`${RUN_FOLDER.checkpoints}/`)) {
    store = joinPath(start, RUN_FOLDER.checkpoints);
    runFolder = start;
  } else if (
    names.some((name) => name === 'best/' || checkpointStep(name.slice(0, -1)) !== undefined)
  ) {
    store = start;
    runFolder = baseName(start) === RUN_FOLDER.checkpoints ? parentPath(start) : undefined;
  } else {
    missingWeights(files, start, names);
  }
  const checkpoint = chooseCheckpoint(
    files,
    store,
    (await files.list(store)) ?? [],
    options.checkpoint,
  );
  const folder = joinPath(store, checkpoint);
  return { folder, names: (await files.list(folder)) ?? [], checkpoint, runFolder };
}

/** JSON files that are never a tokenizer: HF's other files, ours, the trainer's. */
const NOT_TOKENIZERS = new Set([
  BUNDLE_FILES.config,
  BUNDLE_FILES.trainerState,
  BUNDLE_FILES.hfTokenizer,
  BUNDLE_FILES.tokenizer,
  BUNDLE_FILES.hfVocab,
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'generation_config.json',
  'preprocessor_config.json',
  'train-config.json',
]);

/**
 * Other JSON files that may hold a tokenizer, in the order they are tried:
 * names with "tokenizer" first, then, when it is the only other JSON file,
 * any name (a tokenizer saved as `bpe-4096.json`). Each is kept only if its
 * content is a tokenizer.
 */
function otherTokenizerCandidates(names: readonly string[]): string[] {
  const json = names
    .filter(
      (name) => /\.json$/i.test(name) && !NOT_TOKENIZERS.has(name) && !name.endsWith('.index.json'),
    )
    .sort();
  const named = json.filter((name) => /tokeni[sz]er/i.test(name));
  return named.length > 0 ? named : json.length === 1 ? json : [];
}

function parseJson(text: string, where: string, part?: 'config' | 'tokenizer'): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelBundleError({
      location: where,
      part,
      reason: `not valid JSON (${(error as Error).message})`,
      cause: error,
    });
  }
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
  const start = options.folder ?? '';
  const { folder, names, checkpoint, runFolder } = await findModelFolder(files, start, options);
  const location = files.locate(folder);
  const has = (name: string) => names === undefined || names.includes(name);
  const path = (name: string) => joinPath(folder, name);
  const readText = async (name: string) => (has(name) ? files.readText(path(name)) : undefined);

  // Weights
  const weightsName =
    options.weightsFile ??
    (names === undefined ? BUNDLE_FILES.weights : findWeights(files, folder, names));
  if (weightsName === undefined || !has(weightsName)) missingWeights(files, folder, names ?? []);
  const weightsPath = path(weightsName);
  const openWeights = async (): Promise<SafetensorsSource> => {
    const weights = await files.weights(weightsPath);
    if (weights === undefined) missingWeights(files, folder, names ?? []);
    return weights;
  };
  const weightsLocation = files.locate(weightsPath);

  // Lazily read, shared by the config and tokenizer searches.
  let metadata: Promise<Record<string, string>> | undefined;
  const readMetadata = () => {
    metadata ??= (async () => {
      const reader = await openSource(await openWeights(), {
        name: weightsLocation,
        fetch: options.fetch,
        requestInit: options.requestInit,
      });
      try {
        return (await readHeader(reader)).metadata;
      } finally {
        await reader.close?.();
      }
    })();
    return metadata;
  };
  let trainerState: Promise<Record<string, unknown> | undefined> | undefined;
  const stateLocation = files.locate(path(BUNDLE_FILES.trainerState));
  const readTrainerState = () => {
    trainerState ??= readText(BUNDLE_FILES.trainerState).then((text) => {
      if (text === undefined) return undefined;
      const json = parseJson(text, stateLocation);
      return typeof json === 'object' && json !== null
        ? (json as Record<string, unknown>)
        : undefined;
    });
    return trainerState;
  };

  // Config: config.json, else the weights' metadata, else the trainer state.
  const configTried: string[] = [];
  let config: GPT2Config | undefined;
  let configSource = '';
  const configPath = path(BUNDLE_FILES.config);
  const configText = await readText(BUNDLE_FILES.config);
  configTried.push(files.locate(configPath));
  if (configText !== undefined) {
    config = configFromHF(
      parseJson(configText, files.locate(configPath), 'config') as Record<string, unknown>,
    );
    configSource = files.locate(configPath);
  }
  if (!config) {
    const embedded = (await readMetadata())[BUNDLE_METADATA_KEYS.config];
    configTried.push(`${weightsLocation} metadata '${BUNDLE_METADATA_KEYS.config}'`);
    if (embedded !== undefined) {
      const where = `${weightsLocation} metadata '${BUNDLE_METADATA_KEYS.config}'`;
      config = configFromHF(parseJson(embedded, where, 'config') as Record<string, unknown>);
      configSource = where;
    }
  }
  if (!config) {
    const saved = (await readTrainerState())?.model;
    configTried.push(`${stateLocation} (model)`);
    if (typeof saved === 'object' && saved !== null) {
      config = validateConfig(saved as GPT2Config);
      configSource = `${stateLocation} (model)`;
    }
  }
  if (!config) {
    throw new ModelBundleError({
      location,
      part: 'config',
      reason: `no model config: expected ${BUNDLE_FILES.config} beside ${weightsName}`,
      tried: configTried,
    });
  }

  const found = options.tokenizer
    ? { tokenizer: options.tokenizer, source: 'given by the caller' }
    : await findTokenizer();
  if (found.tokenizer.vocabSize > config.vocabSize) {
    throw new ModelBundleError({
      location,
      part: 'tokenizer',
      reason: `tokenizer ${found.tokenizer.name} (${found.source}) has ${found.tokenizer.vocabSize} tokens but the model only ${config.vocabSize}: they do not belong together`,
    });
  }
  return {
    config,
    tokenizer: found.tokenizer,
    weights: await openWeights(),
    location,
    checkpoint,
    sources: { weights: weightsLocation, config: configSource, tokenizer: found.source },
  };

  /** The tokenizer, by the README's search order. */
  async function findTokenizer(): Promise<{ tokenizer: Tokenizer; source: string }> {
    const vocabSize = config!.vocabSize;
    const tried: string[] = [];
    const fromText = async (text: string, where: string) => ({
      tokenizer: await loadTokenizer(text, { source: where }),
      source: where,
    });
    for (const name of [BUNDLE_FILES.hfTokenizer, BUNDLE_FILES.tokenizer]) {
      const where = files.locate(path(name));
      tried.push(where);
      const text = await readText(name);
      if (text !== undefined) return fromText(text, where);
    }
    const vocabWhere = files.locate(path(BUNDLE_FILES.hfVocab));
    tried.push(`${vocabWhere} + ${BUNDLE_FILES.hfMerges}`);
    const vocab = await readText(BUNDLE_FILES.hfVocab);
    const merges = vocab === undefined ? undefined : await readText(BUNDLE_FILES.hfMerges);
    if (vocab !== undefined && merges !== undefined) {
      try {
        return {
          tokenizer: fromGpt2Files({ encoderJson: vocab, vocabBpe: merges, name: 'hf-bpe' }),
          source: `${vocabWhere} + ${BUNDLE_FILES.hfMerges}`,
        };
      } catch (error) {
        if (!VocabFormatError.isInstance(error)) throw error;
        throw new ModelBundleError({
          location,
          part: 'tokenizer',
          reason: `${BUNDLE_FILES.hfVocab} + ${BUNDLE_FILES.hfMerges} do not load: ${error.message}`,
          cause: error,
        });
      }
    }
    // Picked loose files: a tokenizer saved under its own name (`bpe-4096.json`).
    for (const name of otherTokenizerCandidates(names ?? [])) {
      const where = files.locate(path(name));
      tried.push(`${where} (if a tokenizer)`);
      const text = await readText(name);
      if (text === undefined) continue;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        continue;
      }
      if (detectTokenizerFormat(json) !== undefined) {
        return { tokenizer: await loadTokenizer(json as object, { source: where }), source: where };
      }
    }
    tried.push(`${stateLocation} (tokenizer)`);
    const saved = (await readTrainerState())?.tokenizer;
    if (typeof saved === 'object' && saved !== null) {
      const where = `${stateLocation} (tokenizer)`;
      return { tokenizer: await loadTokenizer(saved, { source: where }), source: where };
    }
    if (runFolder !== undefined) {
      const runPath = joinPath(runFolder, RUN_FOLDER.tokenizer);
      const where = files.locate(runPath);
      tried.push(`${where} (the run's)`);
      const runNames = await files.list(runFolder);
      const text =
        runNames === undefined || runNames.includes(RUN_FOLDER.tokenizer)
          ? await files.readText(runPath)
          : undefined;
      if (text !== undefined) return fromText(text, where);
    }
    const embeddedWhere = `${weightsLocation} metadata '${BUNDLE_METADATA_KEYS.tokenizer}'`;
    tried.push(embeddedWhere);
    const embedded = (await readMetadata())[BUNDLE_METADATA_KEYS.tokenizer];
    if (embedded !== undefined) return fromText(embedded, embeddedWhere);
    if (vocabSize >= GPT2_VOCAB_SIZE) {
      return {
        tokenizer: await gpt2Tokenizer(),
        source: `GPT-2's (r50k_base): no tokenizer file, and the vocabulary (${vocabSize}) holds GPT-2's ${GPT2_VOCAB_SIZE}`,
      };
    }
    throw new ModelBundleError({
      location,
      part: 'tokenizer',
      reason: `no tokenizer, and the vocabulary (${vocabSize} tokens) is not GPT-2's (${GPT2_VOCAB_SIZE}): give the tokenizer it was trained with`,
      tried,
    });
  }
}
