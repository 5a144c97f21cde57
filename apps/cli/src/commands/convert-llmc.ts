/**
 * `gpt2 convert` to and from llm.c: `--to llmc` writes model.bin, tokenizer.bin
 * and our tokenizer; `--from llmc` reads model.bin, model_<step>.bin or an
 * llm.c run folder into a model folder.
 */
import { open, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LLMC_MODEL_MAGIC, type LlmcHeader, type LlmcProgress } from '@gpt2/model';
import {
  LLMC_MODEL_FILE,
  LLMC_TOKENIZER_FILE,
  listLlmcRunCheckpoints,
  loadLlmcCheckpointFile,
  loadLlmcTokenizerFile,
  saveLlmcCheckpointFile,
  saveLlmcTokenizerFile,
  saveModelFolder,
} from '@gpt2/model/node';
import { gpt2Tokenizer, type Tokenizer } from '@gpt2/tokenizer';
import { selectBackend } from '../backend.js';
import { loadModel, MODEL_TOKENIZER_FILE } from '../checkpoint.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { UserError } from '../errors/user-error.js';
import { ensureWritableDirectory } from '../io/files.js';
import { llmcTableFor, tokenizerFromLlmcTable } from '../llmc-tokenizer.js';
import { formatBytes } from '../progress/format.js';
import { formatProgressBar } from '../progress/progress-bar.js';
import { ProgressLine } from '../progress/progress-line.js';
import { saveTokenizer, tokenizerFromArgument } from '../tokenizer-file.js';
import type { convertSpec } from './specs.js';

type ConvertCommand = ParsedCommand<typeof convertSpec>;

/** Names llm.c's own scripts give the tokenizer file, tried beside a model.bin in this order. */
const LLMC_TOKENIZER_NAMES = [LLMC_TOKENIZER_FILE, 'gpt2_tokenizer.bin'];

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Whether the file starts with llm.c's model magic. */
async function hasModelMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.readInt32LE(0) === LLMC_MODEL_MAGIC;
  } finally {
    await handle.close();
  }
}

/**
 * Whether SOURCE is llm.c's: a file with the model magic (or a `.bin` name, so
 * a damaged one gets llm.c's error), a folder with `model.bin`, or an llm.c run
 * folder (`model_<step>.bin` files) without our or HF's weights.
 */
export async function isLlmcSource(path: string): Promise<boolean> {
  const info = await stat(path);
  if (info.isFile()) return path.endsWith('.bin') || (await hasModelMagic(path));
  if (await exists(join(path, 'model.safetensors'))) return false; // ours or Hugging Face's
  if (await exists(join(path, LLMC_MODEL_FILE))) return true;
  return (await listLlmcRunCheckpoints(path)).length > 0;
}

/** A progress line for reading or writing a model file, in bytes. */
function byteProgress(context: CliContext, label: string) {
  const line = new ProgressLine(context.stderr);
  const started = performance.now();
  return {
    update: ({ doneBytes, totalBytes }: LlmcProgress) =>
      line.update(
        formatProgressBar({
          label,
          done: doneBytes,
          total: totalBytes,
          elapsedSeconds: (performance.now() - started) / 1000,
          unit: 'bytes',
        }),
        { force: doneBytes === totalBytes },
      ),
    done: () => line.done(),
  };
}

function describeHeader(header: LlmcHeader): string {
  return `llm.c version ${header.version} ${header.dtype}, V ${header.V} (padded ${header.Vp}), L ${header.L}, NH ${header.NH}, C ${header.C}, maxT ${header.maxT}`;
}

/** Ours or HF → llm.c: model.bin, tokenizer.bin, and our tokenizer file for the way back. */
export async function convertToLlmc(
  { values, positionals }: ConvertCommand,
  context: CliContext,
  out: string,
): Promise<void> {
  await ensureWritableDirectory(out);
  await selectBackend(values.backend, context);
  const { model, tokenizer, folder } = await loadModel(context, positionals[0]!, {
    tokenizer: values.tokenizer,
  });
  const modelPath = join(out, LLMC_MODEL_FILE);
  const progress = byteProgress(context, `write ${LLMC_MODEL_FILE}`);
  try {
    await saveLlmcCheckpointFile(model, modelPath, {
      dtype: values.dtype as 'float32' | 'bfloat16',
      onProgress: progress.update,
    });
  } finally {
    progress.done();
    model.dispose();
  }
  const table = llmcTableFor(tokenizer);
  let tokenizerNote: string;
  if ('skipped' in table) {
    tokenizerNote = `tokenizer.bin not written: ${table.skipped} (llm.c then prints token ids in its samples)`;
  } else {
    await saveLlmcTokenizerFile(join(out, LLMC_TOKENIZER_FILE), table);
    tokenizerNote = `${LLMC_TOKENIZER_FILE} (${table.tokens.length} tokens, EOT ${table.eotToken})`;
  }
  await saveTokenizer(join(out, MODEL_TOKENIZER_FILE), tokenizer);
  const size = (await stat(modelPath)).size;
  context.stderr.write(
    `converted ${folder} → ${modelPath} (${values.dtype}, ${formatBytes(size)}), ${tokenizerNote}, ${MODEL_TOKENIZER_FILE} (${tokenizer.name}, for converting back)\n`,
  );
  context.stdout.write(`${out}\n`);
}

/** The tokenizer of an llm.c model: --tokenizer, ours beside it, its tokenizer.bin, or GPT-2's. */
async function tokenizerForLlmc(
  context: CliContext,
  modelPath: string,
  vocabSize: number,
  explicit: string | undefined,
): Promise<{ tokenizer: Tokenizer; from: string }> {
  const folder = dirname(modelPath);
  let found: { tokenizer: Tokenizer; from: string } | undefined;
  if (explicit !== undefined)
    found = { tokenizer: await tokenizerFromArgument(context, explicit), from: explicit };
  if (!found && (await exists(join(folder, MODEL_TOKENIZER_FILE)))) {
    const path = join(folder, MODEL_TOKENIZER_FILE);
    found = { tokenizer: await tokenizerFromArgument(context, path), from: path };
  }
  for (const name of LLMC_TOKENIZER_NAMES) {
    const path = join(folder, name);
    if (found || !(await exists(path))) continue;
    found = {
      tokenizer: await tokenizerFromLlmcTable(await loadLlmcTokenizerFile(path), path),
      from: path,
    };
  }
  if (!found && vocabSize === 50257)
    found = { tokenizer: await gpt2Tokenizer(), from: 'GPT-2 (50,257 tokens)' };
  if (!found) {
    throw new UserError(
      `Cannot tell which tokenizer ${modelPath} uses: no ${MODEL_TOKENIZER_FILE} or tokenizer.bin beside it. Pass --tokenizer FILE.`,
    );
  }
  if (found.tokenizer.vocabSize > vocabSize) {
    throw new UserError(
      `Tokenizer ${found.from} has ${found.tokenizer.vocabSize} tokens but ${modelPath} only ${vocabSize}: they do not belong together.`,
    );
  }
  return found;
}

/** llm.c → ours (or HF): a model folder that sample, eval and train --init-from read. */
export async function convertFromLlmc(
  { values }: ConvertCommand,
  context: CliContext,
  source: string,
  out: string,
): Promise<void> {
  const info = await stat(source);
  const path =
    info.isDirectory() && (await exists(join(source, LLMC_MODEL_FILE)))
      ? join(source, LLMC_MODEL_FILE)
      : source;
  if (
    info.isDirectory() &&
    path === source &&
    (await listLlmcRunCheckpoints(source)).length === 0
  ) {
    throw new UserError(
      `'${source}' holds no ${LLMC_MODEL_FILE} and no complete llm.c run checkpoint (model_<step>.bin with DONE_<step>).`,
    );
  }
  await ensureWritableDirectory(out);
  await selectBackend(values.backend, context);
  const progress = byteProgress(
    context,
    `read ${info.isDirectory() && path === source ? 'run checkpoint' : basename(path)}`,
  );
  let loaded: Awaited<ReturnType<typeof loadLlmcCheckpointFile>>;
  try {
    loaded = await loadLlmcCheckpointFile(path, {
      masterWeights: values['master-weights'] as 'auto' | 'never',
      onProgress: progress.update,
    });
  } finally {
    progress.done();
  }
  const { model, header } = loaded;
  try {
    const { tokenizer, from } = await tokenizerForLlmc(
      context,
      loaded.path,
      header.V,
      values.tokenizer,
    );
    const to = values.to ?? 'ours';
    await saveModelFolder(model, out);
    if (to === 'ours') await saveTokenizer(join(out, MODEL_TOKENIZER_FILE), tokenizer);
    const weights =
      loaded.weights === 'master-weights'
        ? '; float32 master weights from its state files'
        : loaded.masterWeightsUnavailable
          ? `; ${loaded.masterWeightsUnavailable}`
          : '';
    context.stderr.write(
      `converted ${loaded.path} (${describeHeader(header)}${weights}) → ${out} (${to}); tokenizer ${tokenizer.name} from ${from}\n`,
    );
  } finally {
    model.dispose();
  }
  context.stdout.write(`${out}\n`);
}
