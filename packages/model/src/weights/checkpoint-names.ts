/**
 * How checkpoint tensor names map to the model's parameters.
 *
 * The model names its variables exactly as Hugging Face's GPT-2 does, without
 * the `transformer.` prefix, in HF's Conv1D layout [in, out]. So the hub's
 * openai-community/gpt2 `model.safetensors` maps by identity, and files from
 * `GPT2LMHeadModel.save_pretrained` only need the prefix removed.
 */

/** Prefix `GPT2LMHeadModel` puts before the base model's names. */
export const CHECKPOINT_PREFIX = 'transformer.';

/**
 * The tied output head. When the model ties it to `wte.weight` (GPT-2 does),
 * a checkpoint's copy must equal `wte.weight` and is otherwise not loaded.
 */
export const TIED_HEAD_NAME = 'lm_head.weight';

/**
 * HF's per-layer non-parameter buffers, saved by older transformers versions:
 * `h.{i}.attn.bias` is the causal mask [1, 1, P, P], `h.{i}.attn.masked_bias`
 * the fill value. The model builds its own mask, so they are dropped.
 */
export const IGNORED_BUFFER_PATTERN = /^h\.\d+\.attn\.(bias|masked_bias)$/;

/**
 * Tensors transposed between checkpoint and model: none. HF's Conv1D stores
 * [in, out], which is our storage layout too (y = x @ W + b).
 *
 * A checkpoint written with nn.Linear layers instead (nanoGPT's own
 * `state_dict`, or a Linear-based port) stores [out, in] for the tensors in
 * {@link LINEAR_LAYOUT_TRANSPOSED_SUFFIXES}; nanoGPT's `from_pretrained`
 * transposes exactly those. This loader does not: such a file shows up as
 * misshapen (the message says "transposed?"), except for square `attn.c_proj`,
 * whose shape cannot tell.
 */
export const TRANSPOSED_TENSORS: readonly string[] = [];

/** The per-layer weights an nn.Linear-layout GPT-2 checkpoint stores transposed ([out, in]). */
export const LINEAR_LAYOUT_TRANSPOSED_SUFFIXES: readonly string[] = [
  'attn.c_attn.weight',
  'attn.c_proj.weight',
  'mlp.c_fc.weight',
  'mlp.c_proj.weight',
];

/** The model parameter name for a checkpoint tensor name (drops the `transformer.` prefix). */
export function parameterName(checkpointName: string): string {
  return checkpointName.startsWith(CHECKPOINT_PREFIX)
    ? checkpointName.slice(CHECKPOINT_PREFIX.length)
    : checkpointName;
}

/** True for HF buffers that are not parameters (see {@link IGNORED_BUFFER_PATTERN}). */
export function isIgnoredBuffer(name: string): boolean {
  return IGNORED_BUFFER_PATTERN.test(name);
}
