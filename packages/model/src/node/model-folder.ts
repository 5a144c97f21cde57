import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FILES } from '../bundle/layout.js';
import { ConfigError } from '../errors/config-error.js';
import { configFromHF, configToHF } from '../hf-config.js';
import { GPT2Model } from '../model.js';
import {
  type LoadWeightsOptions,
  loadWeights,
  type ParameterOwner,
} from '../weights/load-weights.js';
import {
  encodeVariable,
  planSafetensors,
  type SaveSafetensorsOptions,
} from '../weights/save-safetensors.js';
import {
  commitTempFiles,
  discardTempFiles,
  type OpenFileSink,
  type TempFile,
  writeTempFile,
} from './atomic-write.js';
import { fileReader } from './file-reader.js';

/** The weights file in a model folder (Hugging Face's name). */
export const WEIGHTS_FILE = BUNDLE_FILES.weights;
/** The config file in a model folder (Hugging Face's name and format). */
export const CONFIG_FILE = BUNDLE_FILES.config;

/** Options of {@link loadWeightsFromFile}. */
export interface LoadWeightsFromFileOptions {
  /** Called after each tensor is assigned. Default: none. */
  onProgress?: LoadWeightsOptions['onProgress'];
}

/**
 * Loads a safetensors file into the model, reading one tensor's byte range
 * at a time through a file handle (no whole-file buffer).
 */
export async function loadWeightsFromFile(
  model: ParameterOwner,
  path: string,
  options: LoadWeightsFromFileOptions = {},
): Promise<void> {
  await loadWeights(model, await fileReader(path), options);
}

/** Options of {@link loadModelFolder}. */
export interface LoadModelFolderOptions extends LoadWeightsFromFileOptions {
  /** Seed for dropout during later training. Default: the model's `DEFAULT_SEED`. */
  seed?: number;
}

/**
 * Reads a Hugging Face-style model folder (`config.json` + `model.safetensors`,
 * as `save_pretrained` or {@link saveModelFolder} write it) into a new model.
 *
 * @example
 * ```ts
 * const model = await loadModelFolder('./gpt2'); // files from openai-community/gpt2
 * ```
 */
export async function loadModelFolder(
  dir: string,
  options: LoadModelFolderOptions = {},
): Promise<GPT2Model> {
  const configPath = join(dir, CONFIG_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (error) {
    // A user-facing RangeError (not a bare Error) so CLIs report it as bad input.
    const reason =
      (error as { code?: string }).code === 'ENOENT'
        ? 'the file does not exist'
        : `it is not valid JSON (${(error as Error).message})`;
    throw new ConfigError({
      field: CONFIG_FILE,
      value: configPath,
      message: `Cannot read the model config ${configPath}: ${reason}.`,
    });
  }
  const config = configFromHF(json as Record<string, unknown>);
  // 'zeros': no random init for weights about to be overwritten.
  const model = GPT2Model.create(config, { seed: options.seed, init: 'zeros' });
  try {
    await loadWeightsFromFile(model, join(dir, WEIGHTS_FILE), options);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** Options of {@link saveModelFolder}. */
export interface SaveModelFolderOptions extends SaveSafetensorsOptions {
  /**
   * Opens each temporary file for writing; replace it to write elsewhere or to
   * simulate failures. Default: `node:fs` `open(path, 'wx')`.
   */
  openFile?: OpenFileSink;
}

/**
 * Writes `model.safetensors` and `config.json` (HF form) into `dir`, creating
 * it if needed. Each file is written to a temporary file in the same folder,
 * fsynced, and renamed over the old one only after both are complete, so a
 * failed write (ENOSPC, a crash) leaves the previous files as they were and
 * removes the temporary ones. Weights stream tensor by tensor.
 */
export async function saveModelFolder(
  model: GPT2Model,
  dir: string,
  options: SaveModelFolderOptions = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const plan = planSafetensors(model, options);
  const written: TempFile[] = [];
  try {
    written.push(
      await writeTempFile(
        join(dir, WEIGHTS_FILE),
        async (sink) => {
          await sink.write(plan.headerBytes);
          for (const { variable } of plan.tensors)
            await sink.write(await encodeVariable(variable, plan.dtype));
        },
        options.openFile,
      ),
    );
    const configText = `${JSON.stringify(configToHF(model.config), null, 2)}\n`;
    written.push(
      await writeTempFile(
        join(dir, CONFIG_FILE),
        (sink) => sink.write(new TextEncoder().encode(configText)),
        options.openFile,
      ),
    );
  } catch (error) {
    await discardTempFiles(written);
    throw error;
  }
  await commitTempFiles(written);
}
