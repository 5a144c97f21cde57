/**
 * LoRA settings and which of GPT-2's Conv1D layers they select, with the
 * semantics of Hugging Face PEFT's `LoraConfig` (`tuners/lora/config.py`,
 * `tuners/tuners_utils.py`), so that an adapter means the same thing here and
 * in Python.
 */
import type { GPT2Config } from '../config.js';

/**
 * Which layers get adapters, as PEFT's `target_modules`:
 * - a list of names: a module is chosen when its full name (e.g.
 *   `transformer.h.0.attn.c_proj`) equals a name or ends with `.` + name. So
 *   `c_proj` chooses both `attn.c_proj` and `mlp.c_proj`; `attn.c_proj` only
 *   the attention's.
 * - one string: a regular expression that must match the whole module name.
 * - `'all-linear'`: every Conv1D layer (c_attn, both c_proj, c_fc).
 */
export type LoraTargets = readonly string[] | string;

/** What {@link addLora} takes. Field names are the camelCase forms of PEFT's `LoraConfig`. */
export interface LoraOptions {
  /** Rank r of every adapter (PEFT `r`). Default {@link DEFAULT_LORA_OPTIONS}.r (8). */
  r?: number;
  /** Scaling numerator: adapters are scaled by alpha / r (PEFT `lora_alpha`). Default 8. */
  alpha?: number;
  /** Dropout on each adapter's input while training (PEFT `lora_dropout`). Default 0. */
  dropout?: number;
  /** Layers to adapt (PEFT `target_modules`). Default `['c_attn']`, PEFT's choice for GPT-2. */
  targets?: LoraTargets;
  /** Rank-stabilised LoRA: scale by alpha / √r instead (PEFT `use_rslora`). Default false. */
  useRslora?: boolean;
  /**
   * Only these blocks (indices of `h.{i}`), PEFT's `layers_to_transform`. As in
   * PEFT, it filters list targets matched by suffix, not exact names or a
   * regular expression. Default: every block.
   */
  layers?: readonly number[];
  /** Per-module ranks: pattern → r, matched against the end of module names (PEFT `rank_pattern`). Default none. */
  rankPattern?: Readonly<Record<string, number>>;
  /** Per-module alphas, like {@link rankPattern} (PEFT `alpha_pattern`). Default none. */
  alphaPattern?: Readonly<Record<string, number>>;
}

/** {@link LoraOptions} with every default filled in: what an adapter stores. */
export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  targets: string[] | string;
  useRslora: boolean;
  layers: number[] | null;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
}

/** PEFT's defaults (r 8, alpha 8, no dropout), with GPT-2's default target, `c_attn`. */
export const DEFAULT_LORA_OPTIONS: Readonly<
  Required<Omit<LoraOptions, 'layers' | 'rankPattern' | 'alphaPattern'>>
> = Object.freeze({
  r: 8,
  alpha: 8,
  dropout: 0,
  targets: Object.freeze(['c_attn']),
  useRslora: false,
});

/** The Conv1D layers of a GPT-2 block that LoRA can adapt, with their [in, out] widths for width C. */
export const LORA_TARGET_MODULES = Object.freeze({
  'attn.c_attn': (C: number) => [C, 3 * C] as const,
  'attn.c_proj': (C: number) => [C, C] as const,
  'mlp.c_fc': (C: number) => [C, 4 * C] as const,
  'mlp.c_proj': (C: number) => [4 * C, C] as const,
});

/** GPT-2 modules that exist but are not Conv1D layers (named in errors, for a clearer message). */
const OTHER_MODULES = new Set([
  'transformer',
  'wte',
  'wpe',
  'drop',
  'h',
  'ln_1',
  'attn',
  'attn_dropout',
  'resid_dropout',
  'ln_2',
  'mlp',
  'act',
  'dropout',
  'ln_f',
  'lm_head',
]);

/** One adapted layer, as {@link planLoraLayers} lays it out. */
export interface LoraLayerPlan {
  /** The model's layer name, `h.{i}.attn.c_attn` (see `GPT2Model.linearLayerNames`). */
  name: string;
  /** The PEFT module name, `transformer.h.{i}.attn.c_attn`. */
  module: string;
  /** Block index i. */
  block: number;
  inFeatures: number;
  outFeatures: number;
  r: number;
  alpha: number;
  /** alpha / r (or alpha / √r with rsLoRA). */
  scale: number;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function checkPattern(name: string, pattern: unknown, integer: boolean): Record<string, number> {
  if (pattern === undefined || pattern === null) return {};
  if (typeof pattern !== 'object' || Array.isArray(pattern)) {
    throw new RangeError(`LoRA ${name} must be an object of pattern → number.`);
  }
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(pattern)) {
    if (
      integer ? !isPositiveInteger(value) : !(typeof value === 'number' && Number.isFinite(value))
    ) {
      throw new RangeError(
        `LoRA ${name}['${key}'] must be ${integer ? 'a positive integer' : 'a finite number'}, got ${String(value)}.`,
      );
    }
    compilePattern(`${name} key`, `(?:.*\\.)?(?:${key})`);
    out[key] = value as number;
  }
  return out;
}

function compilePattern(what: string, source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (cause) {
    throw new RangeError(`LoRA ${what} '${source}' is not a valid regular expression.`, { cause });
  }
}

/**
 * Fill defaults and validate.
 * @throws RangeError naming the bad field.
 */
export function resolveLoraConfig(options: LoraOptions = {}): LoraConfig {
  const known = [
    'r',
    'alpha',
    'dropout',
    'targets',
    'useRslora',
    'layers',
    'rankPattern',
    'alphaPattern',
  ];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new RangeError(`LoRA options: unknown key '${key}'. Valid keys: ${known.join(', ')}.`);
    }
  }
  const r = options.r ?? DEFAULT_LORA_OPTIONS.r;
  if (!isPositiveInteger(r))
    throw new RangeError(`LoRA r must be a positive integer, got ${String(r)}.`);
  const alpha = options.alpha ?? DEFAULT_LORA_OPTIONS.alpha;
  if (!(typeof alpha === 'number' && Number.isFinite(alpha))) {
    throw new RangeError(`LoRA alpha must be a finite number, got ${String(alpha)}.`);
  }
  const dropout = options.dropout ?? DEFAULT_LORA_OPTIONS.dropout;
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) {
    throw new RangeError(`LoRA dropout must be in [0, 1), got ${String(dropout)}.`);
  }
  const targets = options.targets ?? DEFAULT_LORA_OPTIONS.targets;
  let resolvedTargets: string[] | string;
  if (typeof targets === 'string') {
    if (targets === '') throw new RangeError('LoRA targets: an empty regular expression.');
    if (targets !== 'all-linear') compilePattern('targets', targets);
    resolvedTargets = targets;
  } else if (Array.isArray(targets) && targets.length > 0) {
    for (const target of targets) {
      if (typeof target !== 'string' || target === '') {
        throw new RangeError(
          `LoRA targets must be non-empty names, got ${JSON.stringify(target)}.`,
        );
      }
    }
    resolvedTargets = [...new Set(targets as string[])];
  } else {
    throw new RangeError(
      'LoRA targets must be a non-empty list of module names (e.g. ["c_attn", "c_proj"]) or a regular expression.',
    );
  }
  const useRslora = options.useRslora ?? DEFAULT_LORA_OPTIONS.useRslora;
  if (typeof useRslora !== 'boolean') throw new RangeError('LoRA useRslora must be a boolean.');
  let layers: number[] | null = null;
  if (options.layers !== undefined) {
    if (!Array.isArray(options.layers) || options.layers.length === 0) {
      throw new RangeError('LoRA layers must be a non-empty list of block indices.');
    }
    for (const layer of options.layers) {
      if (!(Number.isInteger(layer) && layer >= 0)) {
        throw new RangeError(
          `LoRA layers: block index must be an integer ≥ 0, got ${String(layer)}.`,
        );
      }
    }
    layers = [...options.layers];
  }
  return {
    r,
    alpha,
    dropout,
    targets: resolvedTargets,
    useRslora,
    layers,
    rankPattern: checkPattern('rankPattern', options.rankPattern, true),
    alphaPattern: checkPattern('alphaPattern', options.alphaPattern, false),
  };
}

/** PEFT's `get_pattern_key`: the first pattern that matches the end of the module name at a `.` boundary. */
function patternValue(patterns: Record<string, number>, module: string): number | undefined {
  for (const [key, value] of Object.entries(patterns)) {
    if (new RegExp(`^(?:.*\\.)?(?:${key})$`).test(module)) return value;
  }
  return undefined;
}

/**
 * The layers `config` adapts in a model of shape `model`, in the model's
 * parameter order, each with its widths, rank and scale.
 * @throws RangeError when a target names no Conv1D layer (a typo, or a module
 *   LoRA cannot adapt here such as `wte`), a block index is out of range, or
 *   nothing is selected.
 */
export function planLoraLayers(model: GPT2Config, config: LoraConfig): LoraLayerPlan[] {
  const C = model.nEmbd;
  const kinds = Object.keys(LORA_TARGET_MODULES) as (keyof typeof LORA_TARGET_MODULES)[];
  for (const layer of config.layers ?? []) {
    if (layer >= model.nLayer) {
      throw new RangeError(
        `LoRA layers: block ${layer} does not exist; the model has ${model.nLayer} (h.0 … h.${model.nLayer - 1}).`,
      );
    }
  }
  const all: { name: string; module: string; block: number; kind: (typeof kinds)[number] }[] = [];
  for (let block = 0; block < model.nLayer; block++) {
    for (const kind of kinds) {
      all.push({
        name: `h.${block}.${kind}`,
        module: `transformer.h.${block}.${kind}`,
        block,
        kind,
      });
    }
  }
  let chosen: typeof all;
  const { targets } = config;
  if (targets === 'all-linear') {
    chosen = all;
  } else if (typeof targets === 'string') {
    const pattern = compilePattern('targets', targets);
    chosen = all.filter((layer) => pattern.test(layer.module));
    if (chosen.length === 0) {
      throw new RangeError(
        `LoRA targets: the regular expression '${targets}' matches no Conv1D layer (module names look like transformer.h.0.attn.c_attn).`,
      );
    }
  } else {
    const layers = config.layers === null ? undefined : new Set(config.layers);
    chosen = [];
    const used = new Set<string>();
    for (const layer of all) {
      const exact = targets.find((target) => layer.module === target);
      const suffix = targets.filter((target) => layer.module.endsWith(`.${target}`));
      if (exact !== undefined) used.add(exact);
      for (const target of suffix) used.add(target);
      // PEFT applies layers_to_transform only to suffix matches.
      if (exact !== undefined || (suffix.length > 0 && (!layers || layers.has(layer.block)))) {
        chosen.push(layer);
      }
    }
    for (const target of targets) {
      if (used.has(target)) continue;
      const last = target.split('.').at(-1)!;
      const why = OTHER_MODULES.has(last)
        ? `'${target}' is a GPT-2 module that is not a Conv1D layer; LoRA adapts only attn.c_attn, attn.c_proj, mlp.c_fc and mlp.c_proj`
        : `'${target}' names no module of this model; valid targets are c_attn, c_proj, c_fc, attn.c_proj, mlp.c_proj, full names such as h.0.attn.c_attn, or 'all-linear'`;
      throw new RangeError(`LoRA targets: unknown target module ${why}.`);
    }
    if (chosen.length === 0) {
      throw new RangeError(
        `LoRA targets ${JSON.stringify(targets)} with layers ${JSON.stringify(config.layers)} select no layer.`,
      );
    }
  }
  return chosen.map(({ name, module, block, kind }) => {
    const [inFeatures, outFeatures] = LORA_TARGET_MODULES[kind](C);
    const r = patternValue(config.rankPattern, module) ?? config.r;
    const alpha = patternValue(config.alphaPattern, module) ?? config.alpha;
    const scale = config.useRslora ? alpha / Math.sqrt(r) : alpha / r;
    return { name, module, block, inFeatures, outFeatures, r, alpha, scale };
  });
}
