/**
 * Where a model's parts live on disk: the names the bundle reader looks for
 * and `@gpt2/trainer` (checkpoints), `gpt2 train` (run folders) and Hugging
 * Face (`save_pretrained`) write. One table, so writers and the reader never
 * disagree. The rules that use it are in the package README ("Model bundles").
 */

/** File names inside one model folder (a checkpoint, an HF folder, an exported model). */
export const BUNDLE_FILES = {
  /** Weights, Hugging Face GPT-2 safetensors layout. */
  weights: 'model.safetensors',
  /** Hugging Face `config.json`. */
  config: 'config.json',
  /**
   * `@gpt2/tokenizer`'s JSON beside the weights. Not `tokenizer.json`: Hugging
   * Face's AutoTokenizer reads that name in its own format.
   */
  tokenizer: 'gpt2-tokenizer.json',
  /** Hugging Face's fast-tokenizer file (either format is detected on read). */
  hfTokenizer: 'tokenizer.json',
  /** Hugging Face's slow-tokenizer pair (GPT-2's `encoder.json` + `vocab.bpe` under HF names). */
  hfVocab: 'vocab.json',
  hfMerges: 'merges.txt',
  /** `@gpt2/trainer`'s state: also records the model config and the tokenizer. */
  trainerState: 'trainer_state.json',
  /** `@gpt2/trainer`'s AdamW moments: never the model's weights. */
  optimizer: 'optimizer.safetensors',
} as const;

/** The layout of a run folder, as `gpt2 train` and `gpt2 quickstart` write it. */
export const RUN_FOLDER = {
  /** The checkpoint store: one folder per checkpoint (`step-00000100`, `best`). */
  checkpoints: 'checkpoints',
  /** The run's tokenizer (`@gpt2/tokenizer` JSON). */
  tokenizer: 'tokenizer.json',
} as const;

/**
 * Safetensors `__metadata__` keys under which a model file may carry its own
 * config (HF `config.json` text) and tokenizer (`@gpt2/tokenizer` JSON text),
 * so a single `model.safetensors` is a complete bundle. The web app writes them.
 */
export const BUNDLE_METADATA_KEYS = {
  config: 'gpt2.config',
  tokenizer: 'gpt2.tokenizer',
} as const;

/** Name of the checkpoint that holds the best validation loss. */
export const BEST_CHECKPOINT = 'best';

const STEP_NAME = /^step-(\d+)$/;

/** Name of the periodic checkpoint at `step`: `step-00000100`. */
export function stepCheckpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** The step of a `step-N` checkpoint name, or undefined for any other name. */
export function checkpointStep(name: string): number | undefined {
  const match = STEP_NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The `step-N` name with the highest N, or undefined when there is none. */
export function latestStepCheckpoint(names: Iterable<string>): string | undefined {
  let latest: { name: string; step: number } | undefined;
  for (const name of names) {
    const step = checkpointStep(name);
    if (step !== undefined && (!latest || step > latest.step)) latest = { name, step };
  }
  return latest?.name;
}

/**
 * The checkpoint a reader should load from a store's names: `best` when the
 * run kept one (lowest validation loss), else the latest `step-N`.
 */
export function preferredCheckpoint(names: Iterable<string>): string | undefined {
  const list = [...names];
  return list.includes(BEST_CHECKPOINT) ? BEST_CHECKPOINT : latestStepCheckpoint(list);
}
