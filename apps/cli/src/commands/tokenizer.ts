import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadBrownCorpus } from '@gpt2/corpora';
import { expandPath } from '@gpt2/data/node';
import { CharTokenizer, type Tokenizer, trainBpe, trainWordPiece } from '@gpt2/tokenizer';
import { noteNoBackend } from '../backend.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { UserError } from '../errors/user-error.js';
import { readTextInputs, resolvePath } from '../io/files.js';
import { formatBytes, formatDuration } from '../progress/format.js';
import { saveTokenizer, tokenizerFromArgument } from '../tokenizer-file.js';
import type {
  tokenizerCountSpec,
  tokenizerDecodeSpec,
  tokenizerEncodeSpec,
  tokenizerTrainSpec,
} from './specs.js';

/** Documents to train on: the files' texts (one document each) or the Brown corpus. */
async function trainingCorpus(
  files: readonly string[],
  brown: boolean,
  resolve: (p: string) => string,
): Promise<{ documents: string[]; description: string }> {
  if (brown) {
    const documents = (await loadBrownCorpus()).map((d) => d.text);
    return { documents, description: `the Brown corpus (${documents.length} documents)` };
  }
  if (files.length === 0) {
    throw new UserError('Give the files to train on, or --brown for the Brown corpus.');
  }
  const documents: string[] = [];
  for (const file of files) {
    const path = resolve(file);
    const expanded = await expandPath(path).catch(() => []);
    if (expanded.length === 0) throw new UserError(`Input file '${path}' does not exist.`);
    for (const each of expanded) documents.push(await readFile(each, 'utf8'));
  }
  return {
    documents,
    description: documents.length === 1 ? basename(files[0]!) : `${documents.length} files`,
  };
}

/** `gpt2 tokenizerTrain`: see its spec in specs.ts. */
export async function runTokenizerTrain(
  { values, positionals }: ParsedCommand<typeof tokenizerTrainSpec>,
  context: CliContext,
): Promise<void> {
  noteNoBackend(values.backend, context);
  const out = resolvePath(context, values.out);
  const start = performance.now();
  const { documents, description } = await trainingCorpus(positionals, values.brown, (p) =>
    resolvePath(context, p),
  );
  const bytes = documents.reduce((sum, d) => sum + Buffer.byteLength(d), 0);
  context.stderr.write(
    `training a ${values.type} tokenizer on ${description} (${formatBytes(bytes)})\n`,
  );
  const minFrequency = values['min-frequency'];
  let tokenizer: Tokenizer;
  if (values.type === 'bpe') {
    tokenizer = await trainBpe(documents, {
      vocabSize: values['vocab-size'],
      ...(minFrequency !== undefined ? { minFrequency } : {}),
    });
  } else if (values.type === 'wordpiece') {
    tokenizer = await trainWordPiece(documents, {
      vocabSize: values['vocab-size'],
      ...(minFrequency !== undefined ? { minFrequency } : {}),
    });
  } else {
    tokenizer = await CharTokenizer.fromCorpus(documents);
  }
  await saveTokenizer(out, tokenizer);
  const seconds = (performance.now() - start) / 1000;
  context.stdout.write(
    `${out}: ${tokenizer.name}, ${tokenizer.vocabSize} tokens (${formatDuration(seconds)})\n`,
  );
}

/** `gpt2 tokenizerEncode`: see its spec in specs.ts. */
export async function runTokenizerEncode(
  { values, positionals }: ParsedCommand<typeof tokenizerEncodeSpec>,
  context: CliContext,
): Promise<void> {
  noteNoBackend(values.backend, context);
  const tokenizer = await tokenizerFromArgument(context, values.tokenizer);
  const text = await readTextInputs(context, positionals);
  const ids = tokenizer.encode(text, values['allow-special'] ? { allowedSpecial: 'all' } : {});
  context.stdout.write(values.json ? `${JSON.stringify(ids)}\n` : `${ids.join(' ')}\n`);
}

/** Token ids from text: a JSON array, or integers separated by spaces, commas or newlines. */
export function parseIds(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const parts = trimmed.startsWith('[')
    ? (() => {
        try {
          return (JSON.parse(trimmed) as unknown[]).map(String);
        } catch {
          throw new UserError('Input looks like JSON but is not a valid array of ids.');
        }
      })()
    : trimmed.split(/[\s,]+/);
  return parts.map((part) => {
    const id = Number(part);
    if (!Number.isInteger(id) || id < 0) {
      throw new UserError(`'${part}' is not a token id (a non-negative integer).`);
    }
    return id;
  });
}

/** `gpt2 tokenizerDecode`: see its spec in specs.ts. */
export async function runTokenizerDecode(
  { values, positionals }: ParsedCommand<typeof tokenizerDecodeSpec>,
  context: CliContext,
): Promise<void> {
  noteNoBackend(values.backend, context);
  const tokenizer = await tokenizerFromArgument(context, values.tokenizer);
  const ids = parseIds(await readTextInputs(context, positionals));
  context.stdout.write(tokenizer.decode(ids));
  if (context.stdout.isTTY) context.stdout.write('\n');
}

/** `gpt2 tokenizerCount`: see its spec in specs.ts. */
export async function runTokenizerCount(
  { values, positionals }: ParsedCommand<typeof tokenizerCountSpec>,
  context: CliContext,
): Promise<void> {
  noteNoBackend(values.backend, context);
  const tokenizer = await tokenizerFromArgument(context, values.tokenizer);
  const text = await readTextInputs(context, positionals);
  const tokens = tokenizer.encode(text).length;
  const bytes = Buffer.byteLength(text);
  const characters = [...text].length;
  const result = {
    tokenizer: tokenizer.name,
    tokens,
    bytes,
    characters,
    bytesPerToken: tokens > 0 ? bytes / tokens : 0,
  };
  if (values.json) {
    context.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    context.stdout.write(
      `${tokens} tokens, ${bytes} bytes, ${characters} characters (${result.bytesPerToken.toFixed(2)} bytes/token, ${tokenizer.name})\n`,
    );
  }
}
