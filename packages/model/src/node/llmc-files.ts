/**
 * llm.c files on disk: `model.bin` and `tokenizer.bin` written atomically and
 * streamed tensor by tensor, and the checkpoints `train_gpt2cu` writes into its
 * output folder during a run (`-o DIR -n STEPS`):
 *
 *   DIR/model_00005000.bin          the weights (rank 0), same format as model.bin
 *   DIR/state_00005000_00000.bin    optimizer state of each rank (with float32 master weights)
 *   DIR/DONE_00005000               written last: the checkpoint is complete
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { encodeLlmcHeader, llmcLayout } from '../llmc/llmc-format.js';
import {
  decodeLlmcTokenizer,
  encodeLlmcTokenizer,
  type LlmcTokenizerTable,
} from '../llmc/llmc-tokenizer.js';
import {
  type LlmcCheckpoint,
  type LoadLlmcCheckpointOptions,
  loadLlmcCheckpoint,
  readLlmcHeader,
} from '../llmc/load-llmc.js';
import {
  encodeLlmcBody,
  type LlmcExportable,
  llmcHeaderForConfig,
  type SaveLlmcCheckpointOptions,
} from '../llmc/save-llmc.js';
import type { SafetensorsReader } from '../weights/readers.js';
import { commitTempFiles, type OpenFileSink, writeTempFile } from './atomic-write.js';
import { fileReader } from './file-reader.js';

/** The model file name llm.c's scripts and our export use. */
export const LLMC_MODEL_FILE = 'model.bin';
/** The tokenizer file name our export uses (llm.c's own is `gpt2_tokenizer.bin`). */
export const LLMC_TOKENIZER_FILE = 'tokenizer.bin';

/** Options of {@link saveLlmcCheckpointFile}. */
export interface SaveLlmcCheckpointFileOptions extends SaveLlmcCheckpointOptions {
  /** Opens the temporary file for writing (tests inject failures). Default: `node:fs` `open(path, 'wx')`. */
  openFile?: OpenFileSink;
}

/**
 * Writes llm.c's `model.bin` to `path`, streamed tensor slice by tensor slice
 * into a temporary file that is fsynced and renamed over `path` only when
 * complete: a failure (ENOSPC, a crash) leaves any old file as it was.
 */
export async function saveLlmcCheckpointFile(
  model: LlmcExportable,
  path: string,
  options: SaveLlmcCheckpointFileOptions = {},
): Promise<void> {
  const layout = llmcLayout(llmcHeaderForConfig(model.config, options));
  const file = await writeTempFile(
    path,
    async (sink) => {
      await sink.write(encodeLlmcHeader(layout.header));
      for await (const bytes of encodeLlmcBody(model, layout, options.onProgress))
        await sink.write(bytes);
    },
    options.openFile,
  );
  await commitTempFiles([file]);
}

/** Writes llm.c's `tokenizer.bin` atomically. */
export async function saveLlmcTokenizerFile(
  path: string,
  table: LlmcTokenizerTable,
  options: { openFile?: OpenFileSink } = {},
): Promise<void> {
  const bytes = encodeLlmcTokenizer(table);
  await commitTempFiles([await writeTempFile(path, (sink) => sink.write(bytes), options.openFile)]);
}

/** Reads llm.c's `tokenizer.bin`. */
export async function loadLlmcTokenizerFile(path: string): Promise<LlmcTokenizerTable> {
  return decodeLlmcTokenizer(new Uint8Array(await readFile(path)), path);
}

/** A complete checkpoint in an llm.c run folder. */
export interface LlmcRunCheckpoint {
  step: number;
  /** `model_<step>.bin`. */
  model: string;
  /** `state_<step>_<rank>.bin` of every rank found, by rank. */
  states: string[];
}

const RUN_FILE = /^(model|state|DONE)_(\d{8})(?:_(\d{5}))?(\.bin)?$/;

/**
 * The checkpoints of an llm.c run folder (`train_gpt2cu -o DIR`), oldest
 * first. Only complete ones count: llm.c writes `DONE_<step>` after the model
 * and every rank's state.
 */
export async function listLlmcRunCheckpoints(dir: string): Promise<LlmcRunCheckpoint[]> {
  const steps = new Map<number, { model?: string; states: string[]; done: boolean }>();
  for (const name of await readdir(dir)) {
    const match = RUN_FILE.exec(name);
    if (!match) continue;
    const [, kind, digits, rank, extension] = match;
    const step = Number(digits);
    const entry = steps.get(step) ?? { states: [], done: false };
    if (kind === 'model' && extension && rank === undefined) entry.model = join(dir, name);
    else if (kind === 'state' && extension && rank !== undefined)
      entry.states[Number(rank)] = join(dir, name);
    else if (kind === 'DONE' && !extension && rank === undefined) entry.done = true;
    steps.set(step, entry);
  }
  return [...steps.entries()]
    .filter(([, entry]) => entry.done && entry.model !== undefined)
    .sort(([a], [b]) => a - b)
    .map(([step, entry]) => ({
      step,
      model: entry.model!,
      states: entry.states.filter((s) => s !== undefined),
    }));
}

/** Options of {@link loadLlmcCheckpointFile}. */
export interface LoadLlmcCheckpointFileOptions extends Omit<LoadLlmcCheckpointOptions, 'states'> {
  /**
   * `'auto'`: for a bfloat16 `model_<step>.bin` of a run folder, take the
   * float32 master weights from its `state_<step>_*.bin` files when the run
   * kept them (what llm.c itself resumes from). `'never'`: the model file's
   * values. Default {@link DEFAULT_LLMC_MASTER_WEIGHTS}.
   */
  masterWeights?: 'auto' | 'never';
}

/** Master weights are used when present. */
export const DEFAULT_LLMC_MASTER_WEIGHTS = 'auto';

/**
 * Loads llm.c's `model.bin`, a run's `model_<step>.bin`, or a run folder (its
 * latest complete checkpoint), reading one tensor slice at a time through
 * file handles.
 */
export async function loadLlmcCheckpointFile(
  path: string,
  options: LoadLlmcCheckpointFileOptions = {},
): Promise<LlmcCheckpoint & { path: string }> {
  let modelPath = path;
  if ((await stat(path)).isDirectory()) {
    const latest = (await listLlmcRunCheckpoints(path)).at(-1);
    if (!latest) {
      throw new RangeError(
        `${path} holds no complete llm.c checkpoint (model_<step>.bin with DONE_<step>), nor is it a file.`,
      );
    }
    modelPath = latest.model;
  }
  const states: string[] = [];
  const step = /^model_(\d{8})\.bin$/.exec(basename(modelPath))?.[1];
  if ((options.masterWeights ?? DEFAULT_LLMC_MASTER_WEIGHTS) === 'auto' && step !== undefined) {
    const reader = await fileReader(modelPath);
    const header = await readLlmcHeader(reader).finally(() => reader.close?.());
    if (header.dtype === 'bfloat16') {
      const run = (await listLlmcRunCheckpoints(dirname(modelPath))).find(
        (c) => c.step === Number(step),
      );
      states.push(...(run?.states ?? []));
    }
  }
  const readers: SafetensorsReader[] = [];
  try {
    for (const state of states) readers.push(await fileReader(state));
    const model = await fileReader(modelPath);
    // loadLlmcCheckpoint closes every reader it is given.
    return {
      ...(await loadLlmcCheckpoint(model, { ...options, states: readers })),
      path: modelPath,
    };
  } catch (error) {
    await Promise.all(readers.map((reader) => reader.close?.()?.catch(() => undefined)));
    throw error;
  }
}
