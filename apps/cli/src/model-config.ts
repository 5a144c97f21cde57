import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  configFromHF,
  type GPT2Config,
  PRESETS,
  type PresetName,
  resolveConfig,
} from '@gpt2/model';
import { UserError } from './errors/user-error.js';
import { readJsonFile } from './io/files.js';

/** True when a JSON object is an HF `config.json` (snake_case GPT-2 keys). */
export function isHFConfig(json: Record<string, unknown>): boolean {
  return 'n_embd' in json || 'n_layer' in json || 'model_type' in json;
}

/** Names of the model presets, for help texts and errors. */
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/**
 * A model config from what the user pointed at: a preset name, an HF
 * `config.json`, a checkpoint or HF folder (its `config.json`), or a training
 * config file (its `model` section). Validation is @gpt2/model's.
 */
export async function loadModelConfig(source: string): Promise<GPT2Config> {
  if ((PRESET_NAMES as string[]).includes(source)) {
    return resolveConfig({ preset: source as PresetName });
  }
  const info = await stat(source).catch(() => undefined);
  if (!info) {
    throw new UserError(
      `'${source}' is neither a file, a folder nor a preset (presets: ${PRESET_NAMES.join(', ')}).`,
    );
  }
  const file = info.isDirectory() ? join(source, 'config.json') : source;
  const json = await readJsonFile(file, info.isDirectory() ? 'Model config' : 'Config file');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UserError(`'${file}' must hold a JSON object.`);
  }
  const object = json as Record<string, unknown>;
  if (isHFConfig(object)) return configFromHF(object);
  const model = (object.model ?? object) as Record<string, unknown>;
  if (typeof model !== 'object' || model === null) {
    throw new UserError(`'${file}': "model" must be an object.`);
  }
  return resolveConfig(model as Parameters<typeof resolveConfig>[0]);
}
