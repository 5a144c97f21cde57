import { readFile, rename, writeFile } from 'node:fs/promises';
import { gpt2Tokenizer, type Tokenizer, tokenizerFromJSON } from '@gpt2/tokenizer';
import type { CliContext } from './cli/context.js';
import { UserError } from './errors/user-error.js';
import { requireFile, resolvePath } from './io/files.js';

/** Load a tokenizer named on the command line: `gpt2`, or a tokenizer.json (our `toJSON()` form). */
export async function loadTokenizer(context: CliContext, spec: string): Promise<Tokenizer> {
  if (spec === 'gpt2') return gpt2Tokenizer();
  const path = resolvePath(context, spec);
  await requireFile(path, 'Tokenizer file');
  const text = await readFile(path, 'utf8');
  try {
    return await tokenizerFromJSON(text);
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
