/**
 * How much memory a model needs to sample, evaluate or train, from its shape
 * alone: weights, gradients, AdamW moments, activations (per block, with and
 * without recomputation; attention scores apart), the output head and its
 * cross-entropy (whole or chunked), the KV cache, and backend workspace.
 *
 * The activation terms are what tfjs really holds, not a textbook count: its
 * tape keeps every tensor a gradient needs until the backward pass ends, and
 * the gradient of every intermediate tensor too. The coefficients below were
 * measured on the op-chain path (cpu and wasm without fused kernels) with
 * `trackMemory` from @gpt2/backends, over batch, context, width, depth, heads
 * and vocabulary (a least-squares fit within 0.5% on 10 shapes); backends
 * with fused kernels keep fewer tensors, so there the estimate errs high.
 */
import { type GPT2Config, validateConfig } from '../config.js';
import { countParameters } from '../count.js';
import { crossEntropyChunkRows } from '../ops/lm-head-cross-entropy.js';

const FLOAT32_BYTES = 4;

/** Which Conv1D layers get LoRA adapters, as PEFT's `target_modules` names them. */
export type LoraTargetName = 'c_attn' | 'c_proj' | 'attn.c_proj' | 'c_fc' | 'mlp.c_proj';

/**
 * LoRA adapters for {@link estimateMemory}: only the adapters train, so the
 * gradients and AdamW moments are theirs alone. The same fields as the LoRA
 * options of `addLora` (PEFT semantics: `c_proj` means both attn.c_proj and
 * mlp.c_proj).
 */
export interface LoraMemoryOptions {
  /** Rank of every adapter. */
  r: number;
  /** Adapted layers. Default: `['c_attn']` (PEFT's choice for GPT-2). */
  targets?: readonly LoraTargetName[] | 'all-linear';
  /** Adapter dropout (its masks are kept for the backward pass). Default: 0. */
  dropout?: number;
}

/** Options for {@link estimateMemory}. */
export interface MemoryEstimateOptions {
  /** Sequences per step (per micro-batch when accumulating). */
  batchSize: number;
  /** Tokens per sequence, T (for generation: prompt plus new tokens, at most `nPositions`). */
  contextLength: number;
  /** A training step (forward, backward, AdamW) rather than a forward pass. Default: false. */
  training?: boolean;
  /** Recomputed blocks (`recompute: true` of `GPT2Model.loss`). Default: false. */
  recompute?: boolean;
  /**
   * The loss's head + cross-entropy, as `GPT2Model.loss` takes it. Default:
   * `'auto'`. Forward passes without a loss (`logits`) hold the logits whole.
   */
  crossEntropyChunk?: number | 'auto';
  /**
   * What an inference pass computes: `'loss'` (evaluation through
   * `GPT2Model.loss`), `'logits'` (`forward`, [B, T, V]) or `'generate'`
   * (a KV cache of `contextLength` positions; logits of the last position
   * only). Ignored when training. Default: `'logits'`.
   */
  inference?: 'loss' | 'logits' | 'generate';
  /** Micro-batches per optimizer step: more than 1 keeps a gradient accumulator. Default: 1. */
  gradientAccumulationSteps?: number;
  /** Parameters being trained (fewer when some are frozen). Default: all of them. */
  trainableParameters?: number;
  /** LoRA adapters: only they train. Default: none. */
  lora?: LoraMemoryOptions;
  /**
   * The tfjs backend (`tf.getBackend()`), for its workspace: on `wasm`
   * without the native BLAS addon, XNNPACK keeps a packed copy of every
   * matMul weight. Default: none (no workspace).
   */
  backend?: string;
  /** On wasm: whether the native OpenBLAS addon serves the matMuls (no packed copies). Default: false. */
  nativeBlas?: boolean;
}

/** One line of an estimate. */
export interface MemoryItem {
  /** `weights`, `gradients`, `AdamW moments`, `activations`, … */
  name: string;
  bytes: number;
  /** How it was counted, for the table. */
  detail: string;
}

/** What {@link estimateMemory} returns. */
export interface MemoryEstimate {
  /** The peak, bytes: the sum of {@link items}. */
  totalBytes: number;
  /** The parts, in a fixed order; zero-byte parts are left out. */
  items: MemoryItem[];
  /** Parameters of the model. */
  parameters: number;
  /** Parameters that get gradients and AdamW moments (0 for inference). */
  trainableParameters: number;
  /** The largest single tensor, bytes (for backends that cap a buffer, such as WebGPU). */
  largestTensorBytes: number;
  /** The options, with defaults filled in, and the cross-entropy chunk used (0: whole). */
  options: Required<Omit<MemoryEstimateOptions, 'lora' | 'backend'>> &
    Pick<MemoryEstimateOptions, 'lora' | 'backend'> & { chunkRows: number };
  /** `training gpt2-like (124M parameters) at batch 4 × 256`: for messages. */
  workload: string;
}

/**
 * Floats per token and model width (N·C), and per attention score (B·H·T²),
 * that tfjs holds for one block (measured; see the file comment).
 */
const BLOCK = {
  /** Saved for the backward pass plus the gradients of every intermediate, at the end of it. */
  full: { perNC: 99, perScore: 4.8 },
  /** Saved for the backward pass only (what is held while the head's gradient runs). */
  saved: { perNC: 37, perScore: 2.2 },
  /** Residual dropout's extra masks (full, saved), per N·C. */
  residDropout: { full: 10, saved: 8 },
  /** Attention dropout's extra masks (full, saved), per score. */
  attnDropout: { full: 5, saved: 4 },
  /** A forward pass without a tape: the block's temporaries, released when it is done. */
  inference: { perNC: 52.5, perScore: 3.8 },
  /** Kept per recomputed block: its input, and its input's gradient. */
  recomputedPerNC: 2,
} as const;

/**
 * Backends whose fused GELU, LayerNorm, attention and cross-entropy kernels
 * (and their gradients) keep fewer intermediate tensors for the backward
 * pass: a training step's activations there are this share of the op
 * chain's (measured on `native`: 0.52–0.54 over three shapes).
 */
const FUSED_ACTIVATION_SHARE: Readonly<Record<string, number>> = { native: 0.53 };

/** Embeddings, ln_f and glue, per N·C (with embedding dropout: more), and per score (the mask). */
const OUTSIDE_BLOCKS = { perNC: 12, embdDropoutPerNC: 5, perScore: 0.8 } as const;

/** The output head and cross-entropy, in floats per logit (N·V, or chunk rows · V) and per V·C. */
const HEAD = {
  /** Logits whole, training: logits, softmax pieces and their gradients, at the end of the backward pass. */
  wholeTraining: { perLogit: 6.2, perVC: 1.8 },
  /** Logits whole, a loss without a tape (evaluation). */
  wholeLoss: { perLogit: 5 },
  /** Chunked, training: one chunk's backward temporaries, and the head gradient's accumulator. */
  chunkTraining: { perChunkLogit: 8.3, perVC: 2 },
  /** Chunked, a loss without a tape. */
  chunkLoss: { perChunkLogit: 5 },
} as const;

const PEFT_TARGETS: Record<LoraTargetName, readonly string[]> = {
  c_attn: ['attn.c_attn'],
  c_proj: ['attn.c_proj', 'mlp.c_proj'],
  'attn.c_proj': ['attn.c_proj'],
  c_fc: ['mlp.c_fc'],
  'mlp.c_proj': ['mlp.c_proj'],
};

/** [in, out] of each Conv1D layer of a block, for width C. */
function linearShapes(C: number): Record<string, [number, number]> {
  return {
    'attn.c_attn': [C, 3 * C],
    'attn.c_proj': [C, C],
    'mlp.c_fc': [C, 4 * C],
    'mlp.c_proj': [4 * C, C],
  };
}

/** Trainable parameters and extra activation floats per token of LoRA adapters. */
function loraShape(
  config: GPT2Config,
  lora: LoraMemoryOptions,
): { parameters: number; floatsPerToken: number } {
  if (!Number.isInteger(lora.r) || lora.r < 1) {
    throw new RangeError(`lora.r must be a positive integer, got ${String(lora.r)}.`);
  }
  const shapes = linearShapes(config.nEmbd);
  const targets = lora.targets ?? ['c_attn'];
  const layers = new Set<string>();
  for (const target of targets === 'all-linear'
    ? (Object.keys(PEFT_TARGETS) as LoraTargetName[])
    : targets) {
    const chosen = PEFT_TARGETS[target];
    if (!chosen) {
      throw new RangeError(
        `lora.targets: unknown target '${String(target)}'. Valid: ${Object.keys(PEFT_TARGETS).join(', ')}, or 'all-linear'.`,
      );
    }
    for (const layer of chosen) layers.add(layer);
  }
  let parameters = 0;
  let floatsPerToken = 0;
  for (const layer of layers) {
    const [input, output] = shapes[layer]!;
    parameters += lora.r * (input + output);
    // x·A and its scaled copy [r], x·A·B and the sum with the base output [out];
    // with dropout, the four [in] buffers tf.dropout leaves.
    floatsPerToken += 2 * lora.r + 2 * output + ((lora.dropout ?? 0) > 0 ? 4 * input : 0);
  }
  return {
    parameters: parameters * config.nLayer,
    floatsPerToken: floatsPerToken * config.nLayer,
  };
}

function positiveInteger(name: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}.`);
  }
  return value as number;
}

/** `124M`, `1.56B`: a parameter count for messages. */
function shortCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${Math.round(n / 1e6)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}K`;
  return String(n);
}

/**
 * The peak memory of sampling, evaluating or training a model of `config`'s
 * shape, float32, in parts (see {@link MemoryItem}). Pure: it reads no
 * backend. Check it against a backend's limit with `checkMemory`; print it
 * with `formatMemoryTable`.
 *
 * @example
 * ```ts
 * const estimate = estimateMemory(resolveConfig({ preset: 'gpt2' }), {
 *   batchSize: 8, contextLength: 512, training: true, recompute: true,
 * });
 * console.log(formatMemoryTable(estimate));
 * ```
 * @throws RangeError for a bad option; ConfigError for a bad config.
 */
export function estimateMemory(config: GPT2Config, options: MemoryEstimateOptions): MemoryEstimate {
  validateConfig(config);
  const B = positiveInteger('batchSize', options.batchSize);
  const T = positiveInteger('contextLength', options.contextLength);
  if (T > config.nPositions) {
    throw new RangeError(
      `contextLength ${T} is longer than the model's ${config.nPositions} positions.`,
    );
  }
  const training = options.training ?? false;
  const recompute = options.recompute ?? false;
  const inference = options.inference ?? 'logits';
  const accumulation = positiveInteger(
    'gradientAccumulationSteps',
    options.gradientAccumulationSteps ?? 1,
  );
  const { vocabSize: V, nEmbd: C, nLayer: L, nHead: H } = config;
  const N = B * T;
  const NC = N * C;
  const scores = B * H * T * T; // attention scores of one block
  const parameters = countParameters(config);
  const lora = options.lora ? loraShape(config, options.lora) : undefined;
  const trainable = !training
    ? 0
    : (lora?.parameters ??
      (options.trainableParameters !== undefined
        ? Math.min(parameters, Math.max(0, Math.floor(options.trainableParameters)))
        : parameters));
  const usesLoss = training || inference === 'loss';
  const chunkRows = usesLoss
    ? crossEntropyChunkRows(options.crossEntropyChunk ?? 'auto', N, V, C)
    : 0;

  const items: MemoryItem[] = [];
  const add = (name: string, floats: number, detail: string) => {
    if (floats > 0) items.push({ name, bytes: Math.ceil(floats) * FLOAT32_BYTES, detail });
  };
  add(
    'weights',
    parameters + (lora?.parameters ?? 0),
    `${parameters.toLocaleString('en-US')} parameters${lora ? ' + LoRA adapters' : ''}, float32`,
  );

  let largest = Math.max(V * C, 4 * C * C); // wte, or a c_fc weight
  if (training) {
    add(
      'gradients',
      accumulation > 1 ? 2 * trainable : trainable,
      accumulation > 1
        ? 'one per trainable parameter, and the sum over micro-batches'
        : 'one per trainable parameter',
    );
    add('AdamW moments', 2 * trainable, 'm and v per trainable parameter');
    const residDropout = config.residPdrop > 0;
    const attnDropout = config.attnPdrop > 0;
    const fullNC = BLOCK.full.perNC + (residDropout ? BLOCK.residDropout.full : 0);
    const fullScore = BLOCK.full.perScore + (attnDropout ? BLOCK.attnDropout.full : 0);
    const savedNC = BLOCK.saved.perNC + (residDropout ? BLOCK.residDropout.saved : 0);
    const savedScore = BLOCK.saved.perScore + (attnDropout ? BLOCK.attnDropout.saved : 0);
    const outside =
      (OUTSIDE_BLOCKS.perNC + (config.embdPdrop > 0 ? OUTSIDE_BLOCKS.embdDropoutPerNC : 0)) * NC +
      OUTSIDE_BLOCKS.perScore * scores;
    const loraFloats = (lora?.floatsPerToken ?? 0) * N;
    // The peak is at the end of the backward pass (everything saved, and the
    // gradient of every intermediate), or earlier while the chunked head's
    // gradient runs (only what was saved, plus a chunk's temporaries).
    const blocksAtEnd = recompute
      ? { nc: BLOCK.recomputedPerNC * L * NC + fullNC * NC, score: fullScore * scores }
      : { nc: fullNC * L * NC, score: fullScore * L * scores };
    const blocksSaved = recompute
      ? { nc: (BLOCK.recomputedPerNC / 2) * L * NC, score: 0 }
      : { nc: savedNC * L * NC, score: savedScore * L * scores };
    const headGradient = lora ? 0 : V * C; // the tied head's weight gradient
    let headAtEnd: number;
    let headDuring: number;
    if (chunkRows === 0) {
      headAtEnd =
        HEAD.wholeTraining.perLogit * N * V + (HEAD.wholeTraining.perVC - 1) * headGradient;
      headDuring = 0;
      largest = Math.max(largest, N * V);
    } else {
      headAtEnd = NC;
      headDuring =
        HEAD.chunkTraining.perChunkLogit * chunkRows * V + HEAD.chunkTraining.perVC * V * C;
      largest = Math.max(largest, chunkRows * V);
    }
    const atEnd = blocksAtEnd.nc + blocksAtEnd.score + headAtEnd;
    const during = blocksSaved.nc + blocksSaved.score + headDuring;
    const fromEnd = atEnd >= during;
    const blocks = fromEnd ? blocksAtEnd : blocksSaved;
    const share = FUSED_ACTIVATION_SHARE[options.backend ?? ''] ?? 1;
    const recomputed = recompute ? ` (recomputed: ${L} block inputs, one block at a time)` : '';
    add(
      'activations',
      share * (blocks.nc + outside - OUTSIDE_BLOCKS.perScore * scores + loraFloats),
      `per block ${fromEnd ? 'saved activations and their gradients' : 'saved activations'}${recomputed}`,
    );
    add(
      'attention scores',
      share * (blocks.score + OUTSIDE_BLOCKS.perScore * scores),
      `B·H·T² = ${scores.toLocaleString('en-US')} per block, softmax and gradients`,
    );
    add(
      'head + cross-entropy',
      share * (fromEnd ? headAtEnd : headDuring),
      chunkRows === 0
        ? `logits [${N}, ${V}] whole, their softmax and gradient`
        : `chunks of ${chunkRows} tokens: logits [${chunkRows}, ${V}] at a time`,
    );
    add('workspace', workspaceFloats(config, options), workspaceDetail(options));
    largest = Math.max(largest, V * C);
  } else {
    const cacheLength = inference === 'generate' ? T : 0;
    const kv = 2 * L * B * cacheLength * C;
    add('KV cache', kv, `keys and values of ${L} layers × ${B} × ${cacheLength} positions`);
    const block = BLOCK.inference.perNC * NC + BLOCK.inference.perScore * scores;
    let head: number;
    let headDetail: string;
    if (inference === 'generate') {
      head = B * V + B * C;
      headDetail = `logits of the last position, [${B}, ${V}]`;
    } else if (inference === 'logits') {
      head = N * V + NC;
      headDetail = `logits [${N}, ${V}]`;
      largest = Math.max(largest, N * V);
    } else if (chunkRows === 0) {
      head = HEAD.wholeLoss.perLogit * N * V;
      headDetail = `logits [${N}, ${V}] whole, and the cross-entropy's softmax`;
      largest = Math.max(largest, N * V);
    } else {
      head = HEAD.chunkLoss.perChunkLogit * chunkRows * V + NC;
      headDetail = `chunks of ${chunkRows} tokens`;
      largest = Math.max(largest, chunkRows * V);
    }
    // A block's temporaries are gone before the head runs: the larger of the two.
    if (block >= head) {
      add(
        'activations',
        BLOCK.inference.perNC * NC + NC,
        'one block at a time (each is released when done)',
      );
      add(
        'attention scores',
        BLOCK.inference.perScore * scores,
        `B·H·T² = ${scores.toLocaleString('en-US')}, one block at a time`,
      );
    } else {
      add('activations', NC, 'the hidden states');
      add('head', head, headDetail);
    }
    add('workspace', workspaceFloats(config, options), workspaceDetail(options));
  }
  const totalBytes = items.reduce((sum, item) => sum + item.bytes, 0);
  const mode = training ? 'training' : inference === 'generate' ? 'sampling from' : 'evaluating';
  return {
    totalBytes,
    items,
    parameters,
    trainableParameters: trainable,
    largestTensorBytes: largest * FLOAT32_BYTES,
    options: {
      batchSize: B,
      contextLength: T,
      training,
      recompute,
      crossEntropyChunk: options.crossEntropyChunk ?? 'auto',
      inference,
      gradientAccumulationSteps: accumulation,
      trainableParameters: trainable,
      nativeBlas: options.nativeBlas ?? false,
      ...(options.lora ? { lora: options.lora } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
      chunkRows,
    },
    workload: `${mode} a ${shortCount(parameters)}-parameter model (${L} layers, width ${C}) at batch ${B} × ${T}${recompute && training ? ' with recomputation' : ''}`,
  };
}

/** XNNPACK's packed copies of the block matMul weights, on wasm without the native addon. */
function workspaceFloats(config: GPT2Config, options: MemoryEstimateOptions): number {
  if (options.backend !== 'wasm' || options.nativeBlas) return 0;
  const C = config.nEmbd;
  return config.nLayer * 12 * C * C;
}

function workspaceDetail(options: MemoryEstimateOptions): string {
  return options.backend === 'wasm' && !options.nativeBlas
    ? "XNNPACK's packed copy of every block matMul weight"
    : '';
}
