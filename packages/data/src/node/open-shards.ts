import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ShardFormatError } from '../errors/shard-format-error.js';
import {
  decodeTokens,
  hasShardMagic,
  parseShardHeader,
  rawUint16Layout,
  SHARD_HEADER_BYTES,
  type ShardLayout,
} from '../shard-format.js';
import { assertRange, type TokenDataset } from '../token-dataset.js';
import { MANIFEST_FILE, readManifest, type ShardManifest } from './manifest.js';
import { sha256File } from './shard-writer.js';

/** Which split to open. */
export type Split = 'train' | 'val';

/** How a token file is stored. `'auto'`: llm.c when the file starts with its magic, else nanoGPT raw uint16. */
export type TokenFileFormat = 'auto' | 'llmc' | 'nanogpt';

/** Options of {@link openShards}. */
export interface OpenShardsOptions {
  /** Default `'train'`. */
  split?: Split;
  /** Check each shard's SHA-256 against the manifest before use (reads every byte). Default `false`. */
  verify?: boolean;
}

/** Options of {@link openTokenFiles}. */
export interface OpenTokenFilesOptions {
  /** Default `'auto'`. */
  format?: TokenFileFormat;
  /** Name used in error messages. Default the first file's path. */
  name?: string;
}

/** A dataset read from token files through open file handles, never whole into memory. */
export interface ShardDataset extends TokenDataset {
  /** Path and layout of each file, in order. */
  readonly files: { path: string; layout: ShardLayout }[];
  /** The manifest, when opened from a `prepare` folder. */
  readonly manifest: ShardManifest | undefined;
}

interface OpenFile {
  path: string;
  handle: FileHandle;
  layout: ShardLayout;
  /** Index of the file's first token in the whole dataset. */
  start: number;
}

async function openOne(path: string, format: TokenFileFormat): Promise<OpenFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw new ShardFormatError({
      file: path,
      reason: 'truncated',
      message: `cannot open: ${(cause as Error).message}`,
      cause,
    });
  }
  try {
    const size = (await handle.stat()).size;
    const header = new Uint8Array(Math.min(size, SHARD_HEADER_BYTES));
    await handle.read(header, 0, header.length, 0);
    const llmc = format === 'llmc' || (format === 'auto' && hasShardMagic(header));
    const layout = llmc ? parseShardHeader(header, size, path) : rawUint16Layout(size, path);
    return { path, handle, layout, start: 0 };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function datasetOf(
  files: OpenFile[],
  name: string,
  manifest: ShardManifest | undefined,
): ShardDataset {
  let length = 0;
  for (const file of files) {
    file.start = length;
    length += file.layout.tokenCount;
  }
  let closed = false;
  return {
    name,
    length,
    manifest,
    files: files.map(({ path, layout }) => ({ path, layout })),
    async read(start, target) {
      if (closed) throw new Error(`${name}: dataset is closed`);
      assertRange(name, length, start, target.length);
      // Binary search for the file holding `start`, then read across file boundaries.
      let lo = 0;
      let hi = files.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (files[mid]!.start <= start) lo = mid;
        else hi = mid - 1;
      }
      let done = 0;
      for (let i = lo; done < target.length; i++) {
        const file = files[i]!;
        const from = start + done - file.start;
        const count = Math.min(target.length - done, file.layout.tokenCount - from);
        if (count <= 0) continue;
        const bytes = new Uint8Array(count * file.layout.bytesPerToken);
        const position = file.layout.dataOffset + from * file.layout.bytesPerToken;
        const { bytesRead } = await file.handle.read(bytes, 0, bytes.length, position);
        if (bytesRead !== bytes.length) {
          throw new ShardFormatError({
            file: file.path,
            reason: 'truncated',
            message: `file shrank while open: read ${bytesRead} of ${bytes.length} bytes at ${position}`,
          });
        }
        decodeTokens(bytes, file.layout.bytesPerToken, target.subarray(done, done + count));
        done += count;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(files.map((file) => file.handle.close()));
    },
  };
}

async function openAll(paths: string[], format: TokenFileFormat): Promise<OpenFile[]> {
  const files: OpenFile[] = [];
  try {
    for (const path of paths) files.push(await openOne(path, format));
  } catch (error) {
    await Promise.all(files.map((file) => file.handle.close()));
    throw error;
  }
  return files;
}

/**
 * Open token files as one dataset, in the given order: llm.c shards (uint16 or uint32) and
 * nanoGPT raw uint16 `.bin` files.
 * @throws ShardFormatError naming the file: bad magic (with `format: 'llmc'`), bad version, truncated body.
 */
export async function openTokenFiles(
  paths: string[],
  options: OpenTokenFilesOptions = {},
): Promise<ShardDataset> {
  if (paths.length === 0) throw new TypeError('openTokenFiles: no files given');
  const files = await openAll(paths, options.format ?? 'auto');
  return datasetOf(files, options.name ?? paths[0]!, undefined);
}

/**
 * Open one split of a shard folder as a {@link ShardDataset}.
 *
 * `dirOrManifest` is a folder written by `prepare` (or the manifest `prepare` returned, or the path
 * of a `manifest.json`); a folder without a manifest is read as nanoGPT's (`train.bin`/`val.bin`)
 * or llm.c's (`*train_*.bin`/`*val_*.bin`) layout.
 * @throws ShardFormatError naming the file when a shard is corrupt or disagrees with the manifest.
 */
export async function openShards(
  dirOrManifest: string | ShardManifest,
  options: OpenShardsOptions = {},
): Promise<ShardDataset> {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'val') {
    throw new TypeError(`openShards: split must be 'train' or 'val', got ${String(split)}`);
  }
  let manifest: ShardManifest | undefined;
  let dir: string;
  if (typeof dirOrManifest === 'string') {
    const path = resolve(dirOrManifest);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) {
      throw new ShardFormatError({
        file: path,
        reason: 'bad-manifest',
        message: 'no such shard folder or manifest',
      });
    }
    if (info.isFile() && path.endsWith('.json')) {
      dir = dirname(path);
      manifest = await readManifest(path);
    } else if (info.isFile()) {
      return openTokenFiles([path]);
    } else {
      dir = path;
      const hasManifest = await stat(join(dir, MANIFEST_FILE)).then(
        () => true,
        () => false,
      );
      if (hasManifest) manifest = await readManifest(join(dir, MANIFEST_FILE));
    }
  } else {
    if (typeof dirOrManifest.dir !== 'string') {
      throw new TypeError('openShards: this manifest has no `dir`; pass the shard folder instead');
    }
    manifest = dirOrManifest;
    dir = dirOrManifest.dir;
  }

  if (manifest === undefined) {
    const names = (await readdir(dir)).sort();
    const nano = names.includes(`${split}.bin`) ? [`${split}.bin`] : [];
    const llmc = names.filter(
      (n) => n.endsWith('.bin') && new RegExp(`(^|_)${split}_\\d+\\.bin$`).test(n),
    );
    const chosen = nano.length > 0 ? nano : llmc;
    if (chosen.length === 0) {
      throw new ShardFormatError({
        file: dir,
        reason: 'bad-manifest',
        message: `no ${MANIFEST_FILE}, ${split}.bin or *${split}_NNNNNN.bin files`,
      });
    }
    const files = await openAll(
      chosen.map((n) => join(dir, n)),
      'auto',
    );
    return datasetOf(files, `${dir} (${split})`, undefined);
  }

  const entries = manifest[split].shards;
  if (options.verify) {
    for (const entry of entries) {
      const path = join(dir, entry.file);
      const actual = await sha256File(path);
      if (actual !== entry.sha256) {
        throw new ShardFormatError({
          file: path,
          reason: 'checksum-mismatch',
          message: `SHA-256 ${actual} differs from the manifest's ${entry.sha256}`,
        });
      }
    }
  }
  const files = await openAll(
    entries.map((entry) => join(dir, entry.file)),
    'llmc',
  );
  for (const [i, entry] of entries.entries()) {
    const file = files[i]!;
    if (file.layout.tokenCount !== entry.tokens) {
      await Promise.all(files.map((f) => f.handle.close()));
      throw new ShardFormatError({
        file: file.path,
        reason: 'size-mismatch',
        message: `header says ${file.layout.tokenCount} tokens, manifest says ${entry.tokens}`,
      });
    }
  }
  return datasetOf(files, `${basename(dir)} (${split})`, manifest);
}
