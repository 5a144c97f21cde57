import { DEFAULT_LORA_OPTIONS, type LoraOptions, PRESETS } from '@gpt2/model';
import { DEFAULT_ADAMW, DEFAULT_TRAINING_CONFIG, type TrainingConfigInput } from '@gpt2/trainer';
import { closest } from './cli/parse.js';
import { UserError } from './errors/user-error.js';

/** How training windows are drawn from the shards. */
export interface DataSection {
  /** Shard folder written by `gpt2 prepare` (relative to the config file). Required. */
  shards?: string;
  /** Rows per batch. Default: {@link DEFAULT_BATCH_SIZE}. */
  batchSize?: number;
  /** Context length of training windows. Default: the model's `nPositions`. */
  blockSize?: number;
  /** `random` windows (nanoGPT) or shuffled `epoch` passes. Default: the package's (`random`). */
  mode?: 'random' | 'epoch';
}

/**
 * LoRA fine-tuning (`addLora` of @gpt2/model): with this section, `gpt2 train`
 * trains adapters on the frozen `initFrom` model and its checkpoints are PEFT
 * adapter folders.
 */
export interface LoraSection {
  /** Rank. Default: 8. */
  r?: number;
  /** Scale numerator (scale alpha / r). Default: 8, PEFT's. */
  alpha?: number;
  /** Dropout on the adapters' input while training. Default: 0. */
  dropout?: number;
  /**
   * Layers to adapt: names with PEFT's matching (`c_attn`, `c_proj` = both
   * projections, `attn.c_proj`, `c_fc`), as a list or one comma-separated
   * string (`--lora.targets c_attn,c_proj`), or `all-linear`. Default: `c_attn`.
   */
  targets?: string | string[];
  /** Scale by alpha / √r (rsLoRA). Default: false. */
  useRslora?: boolean;
  /** Only these blocks. Default: all. */
  layers?: number[];
}

/**
 * The JSON file `gpt2 train --config` reads. Sections map one-to-one onto the
 * packages: `model` → `resolveConfig` (@gpt2/model), `training` →
 * `resolveTrainingConfig` (@gpt2/trainer), `data` → `createBatchSampler` (@gpt2/data),
 * `lora` → `addLora` (@gpt2/model).
 */
export interface TrainFile {
  model?: { preset?: string; [key: string]: unknown };
  data?: DataSection;
  training?: TrainingConfigInput;
  /** LoRA adapters to train instead of the whole model (needs `initFrom`). Default: none. */
  lora?: LoraSection;
  /**
   * Start from these weights: a checkpoint, run folder or Hugging Face GPT-2
   * folder (`--init-from`). Relative to the config file. Default: none (a new model).
   */
  initFrom?: string;
  /** Run folder: checkpoints, metrics.jsonl, loss-curve.svg. Default: `.runs/train`. */
  out?: string;
  /** Seed of the weights, dropout and batch order. Default: {@link DEFAULT_TRAIN_SEED}. */
  seed?: number;
}

export const DEFAULT_BATCH_SIZE = 8;
export const DEFAULT_TRAIN_SEED = 1337;
export const DEFAULT_RUN_DIR = '.runs/train';

/** Valid keys per section, taken from the packages' own defaults so they never drift. */
export const TRAIN_FILE_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': ['model', 'data', 'training', 'lora', 'initFrom', 'out', 'seed'],
  model: ['preset', ...Object.keys(PRESETS.gpt2)],
  data: ['shards', 'batchSize', 'blockSize', 'mode'],
  training: Object.keys(DEFAULT_TRAINING_CONFIG),
  'training.optimizer': Object.keys(DEFAULT_ADAMW),
  'training.freeze': Object.keys(DEFAULT_TRAINING_CONFIG.freeze),
  lora: [...Object.keys(DEFAULT_LORA_OPTIONS), 'layers'],
};

/**
 * `addLora` options from a train file's `lora` section: a `targets` string is
 * a comma-separated list of names (a regular expression is for the library;
 * on the command line it would be a trap), except `all-linear`.
 */
export function loraOptionsFromSection(section: LoraSection): LoraOptions {
  const { targets, ...rest } = section;
  if (targets === undefined) return rest;
  if (typeof targets === 'string') {
    if (targets === 'all-linear') return { ...rest, targets };
    return {
      ...rest,
      targets: targets
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    };
  }
  return { ...rest, targets };
}

/** ` Did you mean 'training.maxSteps'?` when `key` is a typo of one full key's last part. */
function didYouMean(key: string, fullKeys: readonly string[]): string {
  const last = key.split('.').at(-1)!;
  const best = closest(
    camelCase(last),
    fullKeys.map((k) => k.split('.').at(-1)!),
  );
  const full = best === undefined ? undefined : fullKeys.find((k) => k.split('.').at(-1) === best);
  return full ? ` Did you mean '${full}'?` : '';
}

/** `max-steps`, `max_steps` → `maxSteps`. */
export function camelCase(key: string): string {
  return key.replace(/[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Check every key of a train file against {@link TRAIN_FILE_KEYS}; an unknown
 * key is a one-line error listing the valid ones. (`training.schedule` is a
 * union the trainer validates itself.)
 */
export function checkTrainFileKeys(file: unknown, source: string): TrainFile {
  if (!isObject(file)) throw new UserError(`${source}: the config must be a JSON object.`);
  const visit = (object: Record<string, unknown>, path: string) => {
    const valid = TRAIN_FILE_KEYS[path];
    if (!valid) return;
    for (const [key, value] of Object.entries(object)) {
      const full = path === '' ? key : `${path}.${key}`;
      if (!valid.includes(key)) {
        throw new UserError(
          `${source}: unknown config key '${full}'.${didYouMean(
            key,
            valid.map((k) => (path === '' ? k : `${path}.${k}`)),
          )} Valid keys${path === '' ? '' : ` in '${path}'`}: ${valid.join(', ')}.`,
        );
      }
      if (TRAIN_FILE_KEYS[full]) {
        if (!isObject(value)) throw new UserError(`${source}: '${full}' must be an object.`);
        visit(value, full);
      }
    }
  };
  visit(file, '');
  return file as TrainFile;
}

/** A command-line value: JSON when it parses (numbers, booleans, objects), else the string. */
export function parseOverrideValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/**
 * Where `--key` goes: a dotted path is taken as is (after camel-casing each
 * part); a bare key goes to the one section that has it (`--maxSteps` →
 * `training.maxSteps`, `--n-layer` → `model.nLayer`).
 */
export function overridePath(key: string): string[] {
  const parts = key.split('.').map(camelCase);
  const first = parts[0]!;
  if (TRAIN_FILE_KEYS['']!.includes(first)) return parts;
  const sections = Object.entries(TRAIN_FILE_KEYS).filter(
    ([section, keys]) => section !== '' && keys.includes(first),
  );
  if (first === 'schedule') return ['training', ...parts];
  if (sections.length === 1) return [...sections[0]![0].split('.'), ...parts];
  const all = Object.entries(TRAIN_FILE_KEYS).flatMap(([section, keys]) =>
    keys.map((k) => (section === '' ? k : `${section}.${k}`)),
  );
  throw new UserError(
    sections.length === 0
      ? `Unknown config key '${key}'.${didYouMean(key, all)} Valid keys: ${all.join(', ')}, training.schedule.*.`
      : `Config key '${key}' is ambiguous: use one of ${sections.map(([s]) => `${s}.${first}`).join(', ')}.`,
  );
}

/** Apply `--key value` overrides to a train file, then re-check its keys. */
export function applyOverrides(
  file: TrainFile,
  overrides: ReadonlyArray<readonly [string, string]>,
): TrainFile {
  const result = structuredClone(file) as Record<string, unknown>;
  for (const [key, raw] of overrides) {
    const path = overridePath(key);
    let target = result;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      if (next === undefined) target[part] = {};
      else if (!isObject(next))
        throw new UserError(`Cannot set '${key}': '${part}' is not an object.`);
      target = target[part] as Record<string, unknown>;
    }
    target[path.at(-1)!] = parseOverrideValue(raw);
  }
  return checkTrainFileKeys(result, 'command line');
}
