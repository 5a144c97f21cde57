/**
 * Which folder of a bundle holds the model (rule 1 of the README, "Model
 * bundles"), and that folder as the config and tokenizer searches see it:
 * its files, plus the trainer state and the safetensors metadata, each read
 * once and only when a search gets that far.
 */
import { readHeader } from '../weights/load-weights.js';
import { openSource, type SafetensorsSource } from '../weights/readers.js';
import { type BundleFiles, baseName, joinPath, parentPath } from './bundle-files.js';
import {
  BEST_CHECKPOINT,
  BUNDLE_FILES,
  checkpointStep,
  latestStepCheckpoint,
  preferredCheckpoint,
  RUN_FOLDER,
} from './layout.js';
import { ModelBundleError } from './model-bundle-error.js';

/** Where to look, as {@link openModelFolder} takes it. */
export interface ModelFolderOptions {
  /** Where to start inside the files. Default: their root. */
  folder?: string;
  /** The checkpoint to choose in a run or store: a name or `'latest'`. Default: best, else latest. */
  checkpoint?: string;
  /** The weights file's name. Default: found by rule 1. */
  weightsFile?: string;
  /** `fetch` for URL weights (the metadata read). */
  fetch?: typeof fetch;
  /** Passed to `fetch`. */
  requestInit?: RequestInit;
}

/** The model folder of a bundle, found. */
export interface ModelFolder {
  files: BundleFiles;
  /** The folder's path inside `files`. */
  path: string;
  /** Names in the folder, or undefined when the source cannot list (a URL). */
  names: string[] | undefined;
  /** The checkpoint chosen in a run or store; undefined when the start was the model folder. */
  checkpoint: string | undefined;
  /** The run folder around a checkpoint in `<run>/checkpoints/`, if any. */
  runFolder: string | undefined;
  /** The folder as messages name it. */
  location: string;
  /** Where the weights file is, as messages name it. */
  weightsLocation: string;
  /** A file of the folder as messages name it. */
  locate(name: string): string;
  /** A file of the folder as text; undefined when it is not there. */
  readText(name: string): Promise<string | undefined>;
  /** A fresh source for the weights. */
  openWeights(): Promise<SafetensorsSource>;
  /** The weights file's safetensors `__metadata__` (its header only is read). */
  metadata(): Promise<Record<string, string>>;
  /** `trainer_state.json`, parsed, or undefined when there is none. */
  trainerState(): Promise<Record<string, unknown> | undefined>;
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
  options: ModelFolderOptions,
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
    names.some(
      (name) =>
        name.endsWith('/') &&
        (name === `${BEST_CHECKPOINT}/` || checkpointStep(name.slice(0, -1)) !== undefined),
    )
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

/**
 * Find the model folder from `options.folder` (a model folder, a run or a
 * checkpoint store) and open it for the searches.
 * @throws ModelBundleError when there are no weights or no such checkpoint
 */
export async function openModelFolder(
  files: BundleFiles,
  options: ModelFolderOptions,
): Promise<ModelFolder> {
  const found = await findModelFolder(files, options.folder ?? '', options);
  const { names } = found;
  const path = found.folder;
  const has = (name: string) => names === undefined || names.includes(name);
  const locate = (name: string) => files.locate(joinPath(path, name));
  const readText = async (name: string) =>
    has(name) ? files.readText(joinPath(path, name)) : undefined;
  const weightsName =
    options.weightsFile ??
    (names === undefined ? BUNDLE_FILES.weights : findWeights(files, path, names));
  if (weightsName === undefined || !has(weightsName)) missingWeights(files, path, names ?? []);
  const weightsLocation = locate(weightsName);
  const openWeights = async (): Promise<SafetensorsSource> => {
    const weights = await files.weights(joinPath(path, weightsName));
    if (weights === undefined) missingWeights(files, path, names ?? []);
    return weights;
  };
  let metadata: Promise<Record<string, string>> | undefined;
  let trainerState: Promise<Record<string, unknown> | undefined> | undefined;
  return {
    files,
    path,
    names,
    checkpoint: found.checkpoint,
    runFolder: found.runFolder,
    location: files.locate(path),
    weightsLocation,
    locate,
    readText,
    openWeights,
    metadata() {
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
    },
    trainerState() {
      trainerState ??= readText(BUNDLE_FILES.trainerState).then((text) => {
        if (text === undefined) return undefined;
        const json = parseJson(text, locate(BUNDLE_FILES.trainerState));
        return typeof json === 'object' && json !== null
          ? (json as Record<string, unknown>)
          : undefined;
      });
      return trainerState;
    },
  };
}

/** Parse JSON text, naming the file when it is not JSON. */
export function parseJson(text: string, where: string, part?: 'config' | 'tokenizer'): unknown {
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
