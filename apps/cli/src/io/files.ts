import { constants } from 'node:fs';
import { access, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { CliContext } from '../cli/context.js';
import { UserError } from '../errors/user-error.js';

/** A path from the command line, resolved against the context's working folder. */
export function resolvePath(context: CliContext, path: string): string {
  return isAbsolute(path) ? path : resolve(context.cwd, path);
}

/** Fail with one clear line unless `path` is an existing file. */
export async function requireFile(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UserError(`${what} '${path}' does not exist.`);
  if (!info.isFile()) throw new UserError(`${what} '${path}' is not a file.`);
}

/** Fail with one clear line unless `path` is an existing folder. */
export async function requireDirectory(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UserError(`${what} '${path}' does not exist.`);
  if (!info.isDirectory()) throw new UserError(`${what} '${path}' is not a folder.`);
}

/**
 * Create an output folder (and its parents) and prove it is writable by
 * writing a probe file, so that a long run does not fail at its first save.
 */
export async function ensureWritableDirectory(path: string, what = 'Output folder'): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
    await access(path, constants.W_OK);
    const probe = join(path, `.gpt2-write-test-${process.pid}`);
    await writeFile(probe, '');
    await unlink(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const reason =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'read-only file system'
          : code === 'ENOTDIR' || code === 'EEXIST'
            ? 'a file is in the way'
            : (error as Error).message;
    throw new UserError(`${what} '${path}' is not writable: ${reason}.`, { cause: error });
  }
}

/** Read all of stdin as UTF-8 text. */
export async function readStdin(context: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of context.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Text from the given files (concatenated), or stdin when there are none or the file is `-`. */
export async function readTextInputs(
  context: CliContext,
  files: readonly string[],
): Promise<string> {
  if (files.length === 0) {
    if (context.stdin.isTTY) {
      throw new UserError('No input: give a file, or pipe text into stdin.');
    }
    return readStdin(context);
  }
  const texts: string[] = [];
  for (const file of files) {
    if (file === '-') {
      texts.push(await readStdin(context));
      continue;
    }
    const path = resolvePath(context, file);
    await requireFile(path, 'Input file');
    texts.push(await readFile(path, 'utf8'));
  }
  return texts.join('');
}

/** Parse a JSON file, with one clear line when it is missing or malformed. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  await requireFile(path, what);
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserError(`${what} '${path}' is not valid JSON: ${(error as Error).message}.`, {
      cause: error,
    });
  }
}
