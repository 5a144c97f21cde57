/**
 * The CHECKPOINT argument of sample, eval, convert and train --init-from:
 * @gpt2/model's bundle reader does the finding (checkpoint, run, checkpoints
 * or Hugging Face folder, or a .safetensors file; rules in its README). This
 * module adds the command line: paths relative to the working folder,
 * `--tokenizer`, and errors phrased for it.
 */
import { stat } from 'node:fs/promises';
import {
  BUNDLE_FILES,
  type GPT2Model,
  type ModelBundle,
  ModelBundleError,
  modelFromBundle,
  RUN_FOLDER,
} from '@gpt2/model';
import { readModelBundleFromPath } from '@gpt2/model/node';
import type { Tokenizer } from '@gpt2/tokenizer';
import type { CliContext } from './cli/context.js';
import { UserError } from './errors/user-error.js';
import { resolvePath } from './io/files.js';
import { tokenizerFromArgument } from './tokenizer-file.js';

/** Name of the tokenizer file in a run folder (`gpt2 tokenizer train` writes this name too). */
export const TOKENIZER_FILE = RUN_FOLDER.tokenizer;
/**
 * Name of our tokenizer file inside a model folder. Not `tokenizer.json`:
 * Hugging Face's AutoTokenizer reads that name in its own format.
 */
export const MODEL_TOKENIZER_FILE = BUNDLE_FILES.tokenizer;
/** Run-folder layout written by `gpt2 train` and `gpt2 quickstart`. */
export const RUN_FILES = {
  checkpoints: RUN_FOLDER.checkpoints,
  config: 'train-config.json',
  metrics: 'metrics.jsonl',
  lossCurve: 'loss-curve.svg',
  tokenizer: TOKENIZER_FILE,
} as const;

/** Options of {@link readModel} and {@link loadModel}. */
export interface ModelArgumentOptions {
  /** The `--tokenizer` value: `gpt2` or a tokenizer file. Default: the one found with the model. */
  tokenizer?: string | undefined;
}

/**
 * Find the model a CHECKPOINT argument names (no tensors yet).
 * @throws UserError for a missing path, or a folder that is no model bundle.
 */
export async function readModel(
  context: CliContext,
  argument: string,
  options: ModelArgumentOptions = {},
): Promise<ModelBundle> {
  const path = resolvePath(context, argument);
  if (!(await stat(path).catch(() => undefined))) {
    throw new UserError(`Checkpoint '${argument}' does not exist.`);
  }
  const tokenizer: Tokenizer | undefined =
    options.tokenizer === undefined
      ? undefined
      : await tokenizerFromArgument(context, options.tokenizer);
  try {
    return await readModelBundleFromPath(path, { tokenizer });
  } catch (error) {
    if (!ModelBundleError.isInstance(error)) throw error;
    const hint = error.part === 'tokenizer' ? '; pass --tokenizer FILE' : '';
    throw new UserError(`${error.message}${hint}`, { cause: error });
  }
}

/** A model and its tokenizer, loaded from a CHECKPOINT argument. */
export interface LoadedModel {
  model: GPT2Model;
  tokenizer: Tokenizer;
  /** The model folder actually read (the chosen checkpoint's, for a run). */
  folder: string;
}

/** Load the model (weights checked by @gpt2/model) and its tokenizer from a CHECKPOINT argument. */
export async function loadModel(
  context: CliContext,
  argument: string,
  options: ModelArgumentOptions = {},
): Promise<LoadedModel> {
  const loaded = await modelFromBundle(await readModel(context, argument, options));
  return { model: loaded.model, tokenizer: loaded.tokenizer, folder: loaded.location };
}
