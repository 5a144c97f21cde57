import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { DataSourceError } from '../errors/data-source-error.js';
import type { ByteSource } from '../sources/byte-source.js';
import type { FileSystem } from '../sources/documents.js';

/** Default read size of {@link fileSource}. */
export const DEFAULT_READ_CHUNK_BYTES = 1 << 20;

function missing(path: string, cause?: unknown): DataSourceError {
  return new DataSourceError({
    source: path,
    reason: 'missing',
    message: 'no such file or folder',
    cause,
  });
}

/** The {@link DataSourceError} for a failed read of `path` (`missing` for ENOENT). */
export function fileReadError(path: string, cause: unknown): DataSourceError {
  if (DataSourceError.isInstance(cause)) return cause;
  if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return missing(path, cause);
  return new DataSourceError({
    source: path,
    reason: 'read-failed',
    message: `cannot read: ${(cause as Error).message}`,
    cause,
  });
}

/**
 * A file as a {@link ByteSource}, read in chunks of at most `chunkBytes` (default 1 MiB).
 *
 * Each read gets a buffer sized to what is left of the file (not `chunkBytes`): a corpus of many
 * small files would otherwise allocate 1 MiB per file (`createReadStream` does), which costs page
 * faults and garbage collection that made reading slower than tokenizing. A short read ends the
 * file, so a small file takes one open, one stat, one read and one close.
 */
export function fileSource(path: string, chunkBytes = DEFAULT_READ_CHUNK_BYTES): ByteSource {
  return {
    name: path,
    path,
    async *stream() {
      let handle: FileHandle | undefined;
      try {
        handle = await open(path, 'r');
        // Read one byte past the size: a file that grew is still read to its end.
        let left = (await handle.stat()).size + 1;
        for (;;) {
          const buffer = new Uint8Array(Math.max(1, Math.min(chunkBytes, left)));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
          if (bytesRead > 0)
            yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
          if (bytesRead < buffer.length) break;
          left = Math.max(1, left - bytesRead);
        }
      } catch (cause) {
        throw fileReadError(path, cause);
      } finally {
        await handle?.close();
      }
    },
  };
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    // Hidden files (.DS_Store, .git) are never corpus files.
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/** Translate a glob (`*`, `?`, `**`, `{a,b}`) into a regular expression over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more folders.
        const slash = glob[i + 2] === '/';
        pattern += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else pattern += '[^/]*';
    } else if (c === '?') pattern += '[^/]';
    else if (c === '{') pattern += '(?:';
    else if (c === '}') pattern += ')';
    else if (c === ',' && glob.lastIndexOf('{', i) > glob.lastIndexOf('}', i)) pattern += '|';
    else pattern += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}

const GLOB_CHARS = /[*?{]/;

/**
 * Expand a file path, folder (all files below it, sorted, hidden ones skipped) or glob
 * (`data/**\/*.txt`) into sorted file paths.
 * @throws DataSourceError (`missing`) when the path does not exist or the glob matches nothing.
 */
export async function expandPath(pattern: string): Promise<string[]> {
  if (!GLOB_CHARS.test(pattern)) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(pattern);
    } catch (cause) {
      throw missing(pattern, cause);
    }
    if (info.isFile()) return [pattern];
    const files: string[] = [];
    await walk(pattern, files);
    if (files.length === 0) {
      throw new DataSourceError({
        source: pattern,
        reason: 'missing',
        message: 'folder has no files',
      });
    }
    return files;
  }
  const parts = pattern.split(/[\\/]/);
  const firstGlob = parts.findIndex((part) => GLOB_CHARS.test(part));
  const base = parts.slice(0, firstGlob).join('/') || '.';
  const matcher = globToRegExp(parts.slice(firstGlob).join('/'));
  const files: string[] = [];
  try {
    await walk(base, files);
  } catch (cause) {
    throw missing(base, cause);
  }
  const matched = files.filter((file) => matcher.test(relative(base, file).split(sep).join('/')));
  if (matched.length === 0) {
    throw new DataSourceError({
      source: pattern,
      reason: 'missing',
      message: `no files match (searched ${resolve(base)})`,
    });
  }
  return matched;
}

/** Node's {@link FileSystem}: paths, folders and globs on the local disk. */
export const nodeFileSystem: FileSystem = {
  expand: expandPath,
  open: (path) => fileSource(path),
};
