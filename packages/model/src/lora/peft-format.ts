/**
 * Hugging Face PEFT's adapter format, read and written (browser-safe):
 * `adapter_config.json` (a `LoraConfig`, PEFT's field names) and
 * `adapter_model.safetensors` with PEFT's tensor names, as
 * `PeftModel.save_pretrained` writes them for `GPT2LMHeadModel`:
 * `base_model.model.transformer.h.{i}.attn.c_attn.lora_A.weight` [r, in] and
 * `….lora_B.weight` [out, r] (nn.Linear orientation, whatever the base
 * layer's; PEFT's `get_peft_model_state_dict` drops the adapter name).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BUNDLE_FILES } from '../bundle/layout.js';
import { LoraAdapterError, type LoraAdapterProblem } from '../errors/lora-adapter-error.js';
import type { GPT2Model } from '../model.js';
import {
  readSafetensors,
  type SafetensorsTensor,
  writeSafetensors,
} from '../weights/safetensors.js';
import {
  type LoraConfig,
  type LoraLayerPlan,
  type LoraOptions,
  planLoraLayers,
  resolveLoraConfig,
} from './lora-config.js';
import { LoraModel } from './lora-model.js';

/** PEFT's config file name. */
export const ADAPTER_CONFIG_FILE = BUNDLE_FILES.adapterConfig;
/** PEFT's weights file name. */
export const ADAPTER_WEIGHTS_FILE = BUNDLE_FILES.adapterWeights;
/** Prefix of every tensor name: PeftModel → LoraModel → GPT2LMHeadModel. */
export const PEFT_TENSOR_PREFIX = 'base_model.model.';

/** The fields of PEFT's `adapter_config.json` for LoRA that this package writes. */
export interface PeftLoraConfigJson {
  peft_type: 'LORA';
  task_type: string | null;
  base_model_name_or_path: string | null;
  revision: string | null;
  inference_mode: boolean;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[] | string;
  fan_in_fan_out: boolean;
  bias: 'none';
  use_rslora: boolean;
  use_dora: boolean;
  init_lora_weights: boolean;
  layers_to_transform: number[] | null;
  layers_pattern: string | null;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  modules_to_save: null;
  [key: string]: unknown;
}

/** An adapter as files: what {@link saveLoraAdapter} returns. */
export interface LoraAdapterFiles {
  /** `adapter_config.json`'s text. */
  config: string;
  /** `adapter_model.safetensors`' bytes. */
  weights: Uint8Array;
}

/** Where {@link loadLoraAdapter} reads an adapter from. */
export interface LoraAdapterSource {
  /** `adapter_config.json`: its text, its parsed JSON, or the file as a Blob/File. */
  config: string | Record<string, unknown> | Blob;
  /** `adapter_model.safetensors`: its bytes, a Blob/File, or a fetch Response. */
  weights: Uint8Array | ArrayBuffer | Blob | Response;
}

/** Options of {@link saveLoraAdapter}. */
export interface SaveLoraAdapterOptions {
  /**
   * `base_model_name_or_path` in the config: the hub id or folder of the base
   * model (`AutoPeftModelForCausalLM` loads it from there). Default: null.
   */
  baseModelNameOrPath?: string | null;
  /** Storage dtype: `'F32'` (exact) or `'F16'`. Default `'F32'`. */
  dtype?: 'F32' | 'F16';
}

/** Options of {@link loadLoraAdapter}. */
export interface LoadLoraAdapterOptions {
  /** Name used in error messages. Default: the files' names, or `'adapter'`. */
  name?: string;
}

/** PEFT config: LoraConfig, in PEFT's field names. */
export function loraConfigToPeft(
  config: LoraConfig,
  options: { baseModelNameOrPath?: string | null } = {},
): PeftLoraConfigJson {
  return {
    alpha_pattern: { ...config.alphaPattern },
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    bias: 'none',
    // GPT-2's Conv1D stores weights [in, out]; PEFT sets this for it anyway.
    fan_in_fan_out: true,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: config.layers === null ? null : [...config.layers],
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: config.r,
    rank_pattern: { ...config.rankPattern },
    revision: null,
    target_modules: typeof config.targets === 'string' ? config.targets : [...config.targets],
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: config.useRslora,
  };
}

/** `adapter_config.json`'s text for `config`, as {@link saveLoraAdapter} writes it. */
export function adapterConfigText(
  config: LoraConfig,
  options: { baseModelNameOrPath?: string | null } = {},
): string {
  return `${JSON.stringify(loraConfigToPeft(config, options), null, 2)}\n`;
}

/**
 * Fields of newer PEFT versions that change what an adapter computes, with
 * the value that means "off". An adapter using any of them is refused rather
 * than run wrongly.
 */
const UNSUPPORTED: [field: string, off: (value: unknown) => boolean, what: string][] = [
  ['use_dora', (v) => !v, 'DoRA (use_dora)'],
  [
    'bias',
    (v) => v === undefined || v === null || v === 'none',
    "trained biases (bias other than 'none')",
  ],
  ['lora_bias', (v) => !v, 'a bias on lora_B (lora_bias)'],
  [
    'modules_to_save',
    (v) => v == null || (Array.isArray(v) && v.length === 0),
    'fully trained extra modules (modules_to_save)',
  ],
  ['trainable_token_indices', (v) => v == null, 'trainable tokens (trainable_token_indices)'],
  [
    'target_parameters',
    (v) => v == null || (Array.isArray(v) && v.length === 0),
    'target_parameters',
  ],
  ['layer_replication', (v) => v == null, 'layer_replication'],
  ['use_qalora', (v) => !v, 'QA-LoRA (use_qalora)'],
  ['alora_invocation_tokens', (v) => v == null, 'activated LoRA (alora_invocation_tokens)'],
  ['megatron_config', (v) => v == null, 'Megatron layers (megatron_config)'],
];

function fail(
  source: string,
  problem: LoraAdapterProblem,
  message: string,
  extra: object = {},
): never {
  throw new LoraAdapterError({ source, problem, message, ...extra });
}

/**
 * LoraOptions from a PEFT `adapter_config.json` (parsed).
 * @throws LoraAdapterError (`config` or `unsupported`).
 */
export function loraOptionsFromPeft(json: unknown, source = 'adapter'): LoraOptions {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(source, 'config', `${ADAPTER_CONFIG_FILE} is not a JSON object.`);
  }
  const peft = json as Record<string, unknown>;
  if (peft.peft_type !== 'LORA') {
    fail(
      source,
      peft.peft_type === undefined ? 'config' : 'unsupported',
      `${ADAPTER_CONFIG_FILE} has peft_type ${JSON.stringify(peft.peft_type)}; only "LORA" adapters load here.`,
    );
  }
  for (const [field, off, what] of UNSUPPORTED) {
    if (!off(peft[field])) {
      fail(
        source,
        'unsupported',
        `it uses ${what} (${field}: ${JSON.stringify(peft[field])}), which @gpt2/model does not implement.`,
      );
    }
  }
  const pattern = peft.layers_pattern;
  const patterns = pattern == null ? [] : Array.isArray(pattern) ? pattern : [pattern];
  if (patterns.some((p) => p !== 'h')) {
    fail(source, 'config', `layers_pattern ${JSON.stringify(pattern)}: GPT-2's blocks are 'h'.`);
  }
  const layers = peft.layers_to_transform;
  const options: LoraOptions = {
    r: peft.r as number,
    alpha: (peft.lora_alpha ?? 8) as number,
    dropout: (peft.lora_dropout ?? 0) as number,
    targets: peft.target_modules as string[] | string,
    useRslora: Boolean(peft.use_rslora),
    rankPattern: (peft.rank_pattern ?? undefined) as Record<string, number> | undefined,
    alphaPattern: (peft.alpha_pattern ?? undefined) as Record<string, number> | undefined,
  };
  if (peft.target_modules == null) {
    // PEFT falls back to its per-architecture default; for GPT-2 that is c_attn.
    options.targets = ['c_attn'];
  }
  if (typeof layers === 'number') options.layers = [layers];
  else if (Array.isArray(layers) && layers.length > 0) options.layers = layers as number[];
  else if (layers != null && !(Array.isArray(layers) && layers.length === 0)) {
    fail(
      source,
      'config',
      `layers_to_transform ${JSON.stringify(layers)} is not a block index or a list of them.`,
    );
  }
  return options;
}

/** Row-major transpose of a [rows, cols] matrix. */
function transpose(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  }
  return out;
}

/** PEFT tensor names of one adapted layer. */
function tensorNames(plan: LoraLayerPlan): { a: string; b: string } {
  const base = `${PEFT_TENSOR_PREFIX}${plan.module}`;
  return { a: `${base}.lora_A.weight`, b: `${base}.lora_B.weight` };
}

/**
 * The adapter as PEFT files, in memory (browser-safe). Node users can write
 * a folder with `saveLoraAdapterFolder` from `@gpt2/model/node`. Reads with
 * `await data()`, so it works on every backend.
 */
export async function saveLoraAdapter(
  lora: LoraModel,
  options: SaveLoraAdapterOptions = {},
): Promise<LoraAdapterFiles> {
  const dtype = options.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F16') {
    throw new RangeError(`saveLoraAdapter: dtype must be 'F32' or 'F16', not ${String(dtype)}.`);
  }
  const parameters = lora.parameters();
  const tensors: [string, { shape: number[]; data: Float32Array; dtype: 'F32' | 'F16' }][] = [];
  for (const plan of lora.layers) {
    const names = tensorNames(plan);
    const a = (await parameters.get(`${plan.name}.lora_A`)!.data()) as Float32Array; // [in, r]
    const b = (await parameters.get(`${plan.name}.lora_B`)!.data()) as Float32Array; // [r, out]
    tensors.push([
      names.a,
      { shape: [plan.r, plan.inFeatures], data: transpose(a, plan.inFeatures, plan.r), dtype },
    ]);
    tensors.push([
      names.b,
      { shape: [plan.outFeatures, plan.r], data: transpose(b, plan.r, plan.outFeatures), dtype },
    ]);
  }
  return {
    config: adapterConfigText(lora.loraConfig, options),
    weights: writeSafetensors(tensors, { metadata: { format: 'pt' } }),
  };
}

async function readConfig(config: LoraAdapterSource['config'], source: string): Promise<unknown> {
  if (typeof Blob !== 'undefined' && config instanceof Blob) config = await config.text();
  if (typeof config !== 'string') return config;
  try {
    return JSON.parse(config);
  } catch (cause) {
    return fail(
      source,
      'config',
      `${ADAPTER_CONFIG_FILE} is not valid JSON (${(cause as Error).message}).`,
      { cause },
    );
  }
}

async function readBytes(
  weights: LoraAdapterSource['weights'],
  source: string,
): Promise<Uint8Array> {
  if (weights instanceof Uint8Array) return weights;
  if (weights instanceof ArrayBuffer) return new Uint8Array(weights);
  if (typeof Blob !== 'undefined' && weights instanceof Blob)
    return new Uint8Array(await weights.arrayBuffer());
  if (typeof weights === 'object' && weights !== null && 'arrayBuffer' in weights) {
    const response = weights as Response;
    if (!response.ok) {
      fail(
        source,
        'missing-tensor',
        `${ADAPTER_WEIGHTS_FILE}: HTTP ${response.status} ${response.statusText}`.trim(),
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  }
  throw new TypeError(
    `loadLoraAdapter: weights must be bytes, a Blob/File or a Response (adapter_model.bin, PyTorch's pickle format, is not read; save with safe_serialization=True).`,
  );
}

/** Strips PEFT's prefix and the LM head wrapper: `transformer.h.0.attn.c_attn.lora_A.weight`. */
function moduleKey(name: string): string {
  let key = name.startsWith(PEFT_TENSOR_PREFIX) ? name.slice(PEFT_TENSOR_PREFIX.length) : name;
  // An adapter trained on GPT2Model (no LM head) has no `transformer.` level.
  if (/^h\.\d+\./.test(key)) key = `transformer.${key}`;
  return key;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Checks one stored tensor against the layer, naming which dimension is off. */
function checkTensor(
  source: string,
  name: string,
  tensor: SafetensorsTensor,
  expected: [number, number],
  rankAxis: 0 | 1,
  plan: LoraLayerPlan,
): void {
  const { shape } = tensor;
  if (tensor.data instanceof Int32Array) {
    fail(source, 'config', `tensor ${name} has dtype ${tensor.dtype}; LoRA weights are floats.`, {
      tensor: name,
    });
  }
  const widthAxis = rankAxis === 0 ? 1 : 0;
  if (shape.length !== 2 || shape[widthAxis] !== expected[widthAxis]) {
    fail(
      source,
      'base-shape',
      `tensor ${name} has shape ${shapeText(shape)}, but layer ${plan.name} of this model needs ${shapeText(expected)} ` +
        `(in ${plan.inFeatures}, out ${plan.outFeatures}): the adapter was made for another base model.`,
      { tensor: name, expectedShape: expected, actualShape: shape },
    );
  }
  if (shape[rankAxis] !== plan.r) {
    fail(
      source,
      'rank',
      `tensor ${name} has rank ${shape[rankAxis]} (shape ${shapeText(shape)}), but ${ADAPTER_CONFIG_FILE} says r = ${plan.r} for ${plan.module}.`,
      { tensor: name, expectedShape: expected, actualShape: shape },
    );
  }
}

/**
 * Apply a PEFT LoRA adapter to `model` (PEFT's `PeftModel.from_pretrained`).
 * Everything is checked before the model changes: the config, every tensor's
 * presence, name and shape. The adapter's `lora_dropout` applies when training.
 *
 * @example
 * const lora = await loadLoraAdapter(model, { config: configText, weights: bytes });
 * @throws LoraAdapterError for an adapter that does not fit the model.
 */
export async function loadLoraAdapter(
  model: GPT2Model,
  adapter: LoraAdapterSource,
  options: LoadLoraAdapterOptions = {},
): Promise<LoraModel> {
  const source = options.name ?? 'adapter';
  const loraOptions = loraOptionsFromPeft(await readConfig(adapter.config, source), source);
  let plans: LoraLayerPlan[];
  try {
    plans = planLoraLayers(model.config, resolveLoraConfig(loraOptions));
  } catch (cause) {
    if (!(cause instanceof RangeError)) throw cause;
    const problem = cause.message.startsWith('LoRA targets') ? 'target-modules' : 'config';
    return fail(source, problem, cause.message, { cause });
  }
  const found = matchAdapterTensors(
    model.config.nLayer,
    plans,
    await readBytes(adapter.weights, source),
    source,
  );
  const lora = new LoraModel(model, loraOptions);
  assignAdapter(lora, found);
  return lora;
}

/** PEFT tensors by layer name, each [r, in] (A) and [out, r] (B). */
type AdapterTensors = Map<string, { a: SafetensorsTensor; b: SafetensorsTensor }>;

/**
 * Reads an adapter weights file and finds the two tensors of every planned
 * layer, checking names and shapes; nothing extra may be left over.
 * @throws LoraAdapterError
 */
function matchAdapterTensors(
  nLayer: number,
  plans: readonly LoraLayerPlan[],
  bytes: Uint8Array,
  source: string,
): AdapterTensors {
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(bytes, {
      source: `${source}/${ADAPTER_WEIGHTS_FILE}`,
    });
  } catch (cause) {
    if (LoraAdapterError.isInstance(cause) || cause instanceof TypeError) throw cause;
    return fail(source, 'config', `${ADAPTER_WEIGHTS_FILE}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const byKey = new Map<string, { name: string; tensor: SafetensorsTensor }>();
  for (const [name, tensor] of file.tensors) byKey.set(moduleKey(name), { name, tensor });
  const found = new Map<string, { a: SafetensorsTensor; b: SafetensorsTensor }>();
  const used = new Set<string>();
  const missing: string[] = [];
  for (const plan of plans) {
    const a = byKey.get(`${plan.module}.lora_A.weight`);
    const b = byKey.get(`${plan.module}.lora_B.weight`);
    if (!a) missing.push(tensorNames(plan).a);
    if (!b) missing.push(tensorNames(plan).b);
    if (!a || !b) continue;
    used.add(a.name).add(b.name);
    checkTensor(source, a.name, a.tensor, [plan.r, plan.inFeatures], 0, plan);
    checkTensor(source, b.name, b.tensor, [plan.outFeatures, plan.r], 1, plan);
    found.set(plan.name, { a: a.tensor, b: b.tensor });
  }
  const unexpected = [...file.tensors.keys()].filter((name) => !used.has(name));
  if (unexpected.length > 0) {
    const beyond = unexpected
      .map((name) => /\.h\.(\d+)\./.exec(name))
      .find((match) => match && Number(match[1]) >= nLayer);
    fail(
      source,
      'unexpected-tensor',
      `${ADAPTER_WEIGHTS_FILE} has ${unexpected.length} tensor(s) that no adapted layer takes, e.g. ${unexpected[0]}` +
        (beyond
          ? ` (block ${beyond[1]}, but the model has ${nLayer}): the adapter was made for another base model.`
          : `: ${ADAPTER_CONFIG_FILE}'s target_modules do not select that layer.`),
      { tensor: unexpected[0] },
    );
  }
  if (missing.length > 0) {
    fail(
      source,
      'missing-tensor',
      `${ADAPTER_WEIGHTS_FILE} lacks ${missing.length} of the ${2 * plans.length} tensors that target_modules call for ` +
        `for this ${nLayer}-block model, e.g. ${missing[0]}. Was it made for another base model?`,
      { tensor: missing[0] },
    );
  }
  return found;
}

/** Copies matched PEFT tensors into the adapters (transposed to the Conv1D orientation). */
function assignAdapter(lora: LoraModel, found: AdapterTensors): void {
  const parameters = lora.parameters();
  for (const plan of lora.layers) {
    const { a, b } = found.get(plan.name)!;
    const { inFeatures: inF, outFeatures: outF, r } = plan;
    tf.tidy(() => {
      parameters
        .get(`${plan.name}.lora_A`)!
        .assign(tf.tensor2d(transpose(a.data, r, inF), [inF, r]));
      parameters
        .get(`${plan.name}.lora_B`)!
        .assign(tf.tensor2d(transpose(b.data, outF, r), [r, outF]));
    });
  }
}

/**
 * Load adapter weights (an `adapter_model.safetensors`, PEFT's names) into
 * an existing LoraModel of the same configuration, e.g. to resume training
 * from a checkpoint. Checked like {@link loadLoraAdapter}, before anything is assigned.
 * @throws LoraAdapterError
 */
export function loadLoraWeights(
  lora: LoraModel,
  weights: Uint8Array,
  options: LoadLoraAdapterOptions = {},
): void {
  const source = options.name ?? 'adapter';
  if (lora.merged)
    throw new Error('loadLoraWeights: the adapters are merged; unmergeLora() first.');
  assignAdapter(lora, matchAdapterTensors(lora.config.nLayer, lora.layers, weights, source));
}
