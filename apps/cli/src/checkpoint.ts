import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ADAPTER_CONFIG_FILE, type GPT2Model, type LoraModel } from '@gpt2/model';
import { loadLoraAdapterFolder, loadModelFolder } from '@gpt2/model/node';
import { gpt2Tokenizer, type Tokenizer, tokenizerFromJSON } from '@gpt2/tokenizer';
import { CHECKPOINT_FILES, latestCheckpoint } from '@gpt2/trainer';
import { createNodeCheckpointStore } from '@gpt2/trainer/node';
import type { CliContext } from './cli/context.js';
import { UserError } from './errors/user-error.js';
import { resolvePath } from './io/files.js';
import { loadTokenizer } from './tokenizer-file.js';

/** Name of the tokenizer file in a run folder (`gpt2 tokenizer train` writes this name too). */
export const TOKENIZER_FILE = 'tokenizer.json';
/**
 * Name of our tokenizer file inside a model folder. Not `tokenizer.json`:
 * Hugging Face's AutoTokenizer reads that name in its own format.
 */
export const MODEL_TOKENIZER_FILE = 'gpt2-tokenizer.json';
/** Run-folder layout written by `gpt2 train` and `gpt2 quickstart`. */
export const RUN_FILES = {
  checkpoints: 'checkpoints',
  config: 'train-config.json',
  metrics: 'metrics.jsonl',
  lossCurve: 'loss-curve.svg',
  tokenizer: TOKENIZER_FILE,
} as const;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The model folder a CHECKPOINT argument names: a folder with
 * `model.safetensors` (ours or Hugging Face's); a run folder (its best
 * checkpoint, else its latest); or a checkpoints folder (same rule).
 */
export async function resolveCheckpointFolder(
  context: CliContext,
  argument: string,
): Promise<string> {
  const path = resolvePath(context, argument);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UserError(`Checkpoint '${argument}' does not exist.`);
  if (!info.isDirectory()) {
    throw new UserError(
      `Checkpoint '${argument}' is a file; give its folder (with model.safetensors and config.json).`,
    );
  }
  if (await exists(join(path, CHECKPOINT_FILES.weights))) return path;
  const storeDir = (await exists(join(path, RUN_FILES.checkpoints)))
    ? join(path, RUN_FILES.checkpoints)
    : path;
  const store = createNodeCheckpointStore({ dir: storeDir });
  const names = await store.list();
  const name = names.includes('best') ? 'best' : await latestCheckpoint(store);
  if (!name) {
    throw new UserError(
      `'${argument}' holds no checkpoint: expected model.safetensors + config.json, or a run folder with checkpoints/.`,
    );
  }
  return store.locate(name);
}

/**
 * The LoRA adapter folder an `--adapter` argument names: a PEFT adapter
 * folder (`adapter_config.json` + `adapter_model.safetensors`, ours or
 * Python's), or a LoRA run or checkpoints folder (its best checkpoint, else
 * its latest).
 */
export async function resolveAdapterFolder(context: CliContext, argument: string): Promise<string> {
  const path = resolvePath(context, argument);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UserError(
      `Adapter '${argument}' is not a folder: give a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) or a LoRA run folder.`,
    );
  }
  if (await exists(join(path, ADAPTER_CONFIG_FILE))) return path;
  const storeDir = (await exists(join(path, RUN_FILES.checkpoints)))
    ? join(path, RUN_FILES.checkpoints)
    : path;
  const store = createNodeCheckpointStore({ dir: storeDir });
  const names = await store.list().catch((): string[] => []);
  const name = names.includes('best')
    ? 'best'
    : await latestCheckpoint(store).catch(() => undefined);
  if (name && (await exists(join(store.locate(name), ADAPTER_CONFIG_FILE))))
    return store.locate(name);
  throw new UserError(
    `'${argument}' holds no LoRA adapter: expected adapter_config.json + adapter_model.safetensors, or a run folder of \`gpt2 train --lora.r N\`.`,
  );
}

/**
 * The tokenizer that goes with a model folder: `--tokenizer` when given; else
 * a tokenizer.json in the folder or its run folder; else the one recorded in
 * trainer_state.json; else GPT-2's when the vocabulary is GPT-2's.
 */
export async function tokenizerForModel(
  context: CliContext,
  folder: string,
  vocabSize: number,
  explicit: string | undefined,
): Promise<Tokenizer> {
  let tokenizer: Tokenizer | undefined;
  if (explicit !== undefined) tokenizer = await loadTokenizer(context, explicit);
  if (!tokenizer) {
    for (const candidate of [
      join(folder, MODEL_TOKENIZER_FILE),
      join(dirname(dirname(folder)), TOKENIZER_FILE),
    ]) {
      if (await exists(candidate)) {
        tokenizer = await loadTokenizer(context, candidate);
        break;
      }
    }
  }
  if (!tokenizer && (await exists(join(folder, CHECKPOINT_FILES.state)))) {
    const state = JSON.parse(await readFile(join(folder, CHECKPOINT_FILES.state), 'utf8')) as {
      tokenizer?: unknown;
    };
    if (state.tokenizer) tokenizer = await tokenizerFromJSON(state.tokenizer as { type: string });
  }
  if (!tokenizer && vocabSize >= 50257) tokenizer = await gpt2Tokenizer();
  if (!tokenizer) {
    throw new UserError(
      `Cannot tell which tokenizer '${folder}' was trained with: pass --tokenizer FILE.`,
    );
  }
  if (tokenizer.vocabSize > vocabSize) {
    throw new UserError(
      `Tokenizer ${tokenizer.name} has ${tokenizer.vocabSize} tokens but the model in '${folder}' only ${vocabSize}: they do not belong together.`,
    );
  }
  return tokenizer;
}

/** A model and its tokenizer, loaded from a CHECKPOINT argument. */
export interface LoadedModel {
  /** The model, with the adapter attached when one was asked for (its forward includes it). */
  model: GPT2Model;
  tokenizer: Tokenizer;
  /** The model folder actually read. */
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
  options: { tokenizer?: string | undefined; adapter?: string | undefined } = {},
): Promise<LoadedModel> {
  const adapterFolder =
    options.adapter === undefined
      ? undefined
      : await resolveAdapterFolder(context, options.adapter);
  const folder = await resolveCheckpointFolder(context, argument);
  if (!(await exists(join(folder, 'config.json')))) {
    throw new UserError(`'${folder}' has model.safetensors but no config.json.`);
  }
  const model = await loadModelFolder(folder);
  let lora: LoraModel | undefined;
  try {
    const tokenizer = await tokenizerForModel(
      context,
      folder,
      model.config.vocabSize,
      options.tokenizer,
    );
    if (adapterFolder !== undefined) {
      lora = await loadLoraAdapterFolder(model, adapterFolder);
      context.stderr.write(`adapter: ${adapterFolder} (${describeLora(lora)})\n`);
    }
    const loaded = lora;
    return {
      model,
      tokenizer,
      folder,
      lora,
      dispose: () => {
        loaded?.dispose();
        model.dispose();
      },
    };
  } catch (error) {
    lora?.dispose();
    model.dispose();
    throw error;
  }
}

/** `LoRA r=8, alpha 16, 36 layers (c_attn, c_proj), 811,008 parameters`. */
export function describeLora(lora: LoraModel): string {
  const { r, alpha, targets } = lora.loraConfig;
  const names = typeof targets === 'string' ? targets : targets.join(', ');
  return `LoRA r=${r}, alpha ${alpha}, ${lora.layers.length} layers (${names}), ${lora.trainableParameterCount().toLocaleString('en-US')} parameters`;
}
