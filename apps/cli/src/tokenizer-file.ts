import { readFile, rename, writeFile } from 'node:fs/promises';
import { gpt2Tokenizer, loadTokenizer, type Tokenizer } from '@gpt2/tokenizer';
import type { CliContext } from './cli/context.js';
import { UserError } from './errors/user-error.js';
import { requireFile, resolvePath } from './io/files.js';

/**
 * The tokenizer a `--tokenizer` value names: `gpt2`, or a tokenizer JSON file
 * (ours, as `gpt2 tokenizer train` writes it, or Hugging Face's
 * `tokenizer.json`; @gpt2/tokenizer tells them apart).
 */
export async function tokenizerFromArgument(context: CliContext, spec: string): Promise<Tokenizer> {
  if (spec === 'gpt2') return gpt2Tokenizer();
  const path = resolvePath(context, spec);
  await requireFile(path, 'Tokenizer file');
  const text = await readFile(path, 'utf8');
  try {
    return await loadTokenizer(text, { source: path });
  } catch (error) {
    throw new UserError(`Tokenizer file '${path}' cannot be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Write `tokenizer.toJSON()` atomically. */
export async function saveTokenizer(path: string, tokenizer: Tokenizer): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(tokenizer.toJSON())}\n`);
  await rename(temporary, path);
}
