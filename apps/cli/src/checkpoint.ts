/**
 * The CHECKPOINT argument of sample, eval, convert and train --init-from:
 * @gpt2/model's bundle reader does the finding (checkpoint, run, checkpoints
 * or Hugging Face folder, or a .safetensors file; rules in its README). This
 * module adds the command line: paths relative to the working folder,
 * `--tokenizer`, and errors phrased for it.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ADAPTER_CONFIG_FILE,
  BUNDLE_FILES,
  type GPT2Model,
  type LoraModel,
  type ModelBundle,
  ModelBundleError,
  modelFromBundle,
  preferredCheckpoint,
  RUN_FOLDER,
} from '@gpt2/model';
import { loadLoraAdapterFolder, readModelBundleFromPath } from '@gpt2/model/node';
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
  /** The model, with the adapter attached when one was asked for (its forward includes it). */
  model: GPT2Model;
  tokenizer: Tokenizer;
  /** The model folder actually read (the chosen checkpoint's, for a run). */
  folder: string;
  /** The LoRA adapter applied with `--adapter`, if any. */
  lora: LoraModel | undefined;
  /** Free the adapter and the model. */
  dispose(): void;
}

/**
 * Load the model (weights checked by @gpt2/model) and its tokenizer from a
 * CHECKPOINT argument, and apply a LoRA adapter folder when `adapter` is given
 * (one line on stderr says which).
 */
export async function loadModel(
  context: CliContext,
  argument: string,
  options: ModelArgumentOptions & { adapter?: string | undefined } = {},
): Promise<LoadedModel> {
  // The adapter is found first, so a wrong --adapter fails before the base is read.
  const adapterFolder =
    options.adapter === undefined
      ? undefined
      : await resolveAdapterFolder(context, options.adapter);
  const loaded = await modelFromBundle(await readModel(context, argument, options));
  const { model } = loaded;
  let lora: LoraModel | undefined;
  try {
    if (adapterFolder !== undefined) lora = await applyAdapter(context, model, adapterFolder);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const applied = lora;
  return {
    model,
    tokenizer: loaded.tokenizer,
    folder: loaded.location,
    lora,
    dispose: () => {
      applied?.dispose();
      model.dispose();
    },
  };
}

/**
 * The LoRA adapter folder an `--adapter` argument names: a PEFT adapter
 * folder (`adapter_config.json` + `adapter_model.safetensors`, ours or
 * Python's), or a LoRA run or checkpoints folder (its best checkpoint, else
 * its latest, as for models).
 */
export async function resolveAdapterFolder(context: CliContext, argument: string): Promise<string> {
  const path = resolvePath(context, argument);
  const names = await readdir(path).catch(() => undefined);
  if (names === undefined) {
    throw new UserError(
      `Adapter '${argument}' is not a folder: give a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) or a LoRA run folder.`,
    );
  }
  if (names.includes(ADAPTER_CONFIG_FILE)) return path;
  const store = names.includes(RUN_FOLDER.checkpoints) ? join(path, RUN_FOLDER.checkpoints) : path;
  const checkpoint = preferredCheckpoint(await readdir(store).catch((): string[] => []));
  if (checkpoint !== undefined && (await exists(join(store, checkpoint, ADAPTER_CONFIG_FILE)))) {
    return join(store, checkpoint);
  }
  throw new UserError(
    `'${argument}' holds no LoRA adapter: expected adapter_config.json + adapter_model.safetensors, or a run folder of \`gpt2 train --lora.r N\`.`,
  );
}

/**
 * Attach the adapter in `folder` (from {@link resolveAdapterFolder}) to
 * `model`, checked against its shapes; one line on stderr says which.
 */
export async function applyAdapter(
  context: CliContext,
  model: GPT2Model,
  folder: string,
): Promise<LoraModel> {
  const lora = await loadLoraAdapterFolder(model, folder);
  context.stderr.write(`adapter: ${folder} (${describeLora(lora)})\n`);
  return lora;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** `LoRA r=8, alpha 16, 36 layers (c_attn, c_proj), 811,008 parameters`. */
export function describeLora(lora: LoraModel): string {
  const { r, alpha, targets } = lora.loraConfig;
  const names = typeof targets === 'string' ? targets : targets.join(', ');
  return `LoRA r=${r}, alpha ${alpha}, ${lora.layers.length} layers (${names}), ${lora.trainableParameterCount().toLocaleString('en-US')} parameters`;
}
