import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { assertCheckpointName, type CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { CheckpointWriteError } from '../errors/checkpoint-write-error.js';
import { InvalidCheckpointError } from '../errors/invalid-checkpoint-error.js';

/** The file-system calls the folder store makes; replace them to simulate failures. */
export interface CheckpointFileSystem {
  mkdir(path: string): Promise<void>;
  /** Write a whole file and flush it to disk. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** Names in a folder; rejects with code ENOENT when it does not exist. */
  readdir(path: string): Promise<string[]>;
  /** Entries of a folder that are folders. */
  subfolders(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  /** Remove a file or folder tree; no error when absent. */
  remove(path: string): Promise<void>;
  /** Flush a folder's entries (after renames); may be a no-op where unsupported. */
  syncFolder(path: string): Promise<void>;
}

/** The real file system, with fsync on every file written. */
export const NODE_FILE_SYSTEM: CheckpointFileSystem = {
  async mkdir(path) {
    await fsp.mkdir(path, { recursive: true });
  },
  async writeFile(path, data) {
    const handle = await fsp.open(path, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async readFile(path) {
    return new Uint8Array(await fsp.readFile(path));
  },
  async readdir(path) {
    return fsp.readdir(path);
  },
  async subfolders(path) {
    const entries = await fsp.readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  },
  async rename(from, to) {
    await fsp.rename(from, to);
  },
  async remove(path) {
    await fsp.rm(path, { recursive: true, force: true });
  },
  async syncFolder(path) {
    let handle: fsp.FileHandle | undefined;
    try {
      handle = await fsp.open(path, 'r');
      await handle.sync();
    } catch {
      // Some platforms cannot fsync a folder; the rename is still atomic.
    } finally {
      await handle?.close();
    }
  },
};

/** Options for {@link createNodeCheckpointStore}. */
export interface NodeCheckpointStoreOptions {
  /** The folder that holds one subfolder per checkpoint. Created on first write. */
  dir: string;
  /** File-system calls. Default: {@link NODE_FILE_SYSTEM}. Tests pass a failing one. */
  fileSystem?: CheckpointFileSystem;
}

const TEMP_PREFIX = '.tmp-';
const OLD_PREFIX = '.old-';

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 'ENOENT';
}

/**
 * A {@link CheckpointStore} on the local file system: `dir/<name>/<file>`.
 *
 * Atomicity: files go into `dir/.tmp-<name>-<random>/`, are fsynced, and the
 * folder is renamed into place. Replacing an existing checkpoint renames the
 * old one to `.old-<name>-…` first and removes it afterwards; if the process
 * dies between the two renames, the next `list()` restores the old one. Names
 * starting with `.` are never listed, so a half-written checkpoint is never
 * picked up.
 */
export function createNodeCheckpointStore(options: NodeCheckpointStoreOptions): CheckpointStore {
  const fs = options.fileSystem ?? NODE_FILE_SYSTEM;
  const root = options.dir;

  async function folders(): Promise<string[]> {
    try {
      return await fs.subfolders(root);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  return {
    async list() {
      const names = await folders();
      const complete = new Set(names.filter((n) => !n.startsWith('.')));
      // Recover a replacement interrupted between its two renames.
      for (const name of names.filter((n) => n.startsWith(OLD_PREFIX))) {
        const original = name.slice(OLD_PREFIX.length).replace(/-[0-9a-f]{12}$/, '');
        if (!complete.has(original)) {
          await fs.rename(join(root, name), join(root, original));
          complete.add(original);
        }
      }
      return [...complete];
    },

    async write(name, files) {
      assertCheckpointName(name);
      const suffix = randomBytes(6).toString('hex');
      const temp = join(root, `${TEMP_PREFIX}${name}-${suffix}`);
      const target = join(root, name);
      try {
        await fs.mkdir(temp);
        for (const [file, bytes] of files) {
          if (file.includes('/') || file.includes('\\') || file.startsWith('.')) {
            throw new RangeError(`Invalid checkpoint file name '${file}'.`);
          }
          await fs.writeFile(join(temp, file), bytes);
        }
        await fs.syncFolder(temp);
      } catch (cause) {
        await fs.remove(temp).catch(() => undefined);
        throw new CheckpointWriteError({ checkpoint: join(root, name), cause });
      }
      const old = join(root, `${OLD_PREFIX}${name}-${suffix}`);
      let moved = false;
      try {
        if ((await folders()).includes(name)) {
          await fs.rename(target, old);
          moved = true;
        }
        await fs.rename(temp, target);
        await fs.syncFolder(root);
      } catch (cause) {
        if (moved) await fs.rename(old, target).catch(() => undefined);
        await fs.remove(temp).catch(() => undefined);
        throw new CheckpointWriteError({ checkpoint: join(root, name), cause });
      }
      if (moved) await fs.remove(old);
    },

    async read(name) {
      assertCheckpointName(name);
      const folder = join(root, name);
      let entries: string[];
      try {
        entries = await fs.readdir(folder);
      } catch (cause) {
        throw new InvalidCheckpointError({
          checkpoint: folder,
          reason: isMissing(cause)
            ? 'no such checkpoint folder.'
            : `cannot read the folder (${String(cause)}).`,
          cause,
        });
      }
      const files = new Map<string, Uint8Array>();
      for (const entry of entries) {
        if (entry.startsWith('.')) continue;
        try {
          files.set(entry, await fs.readFile(join(folder, entry)));
        } catch (cause) {
          // Sub-folders and unreadable files are not part of our format; the parser reports what is missing.
          if ((cause as { code?: unknown })?.code !== 'EISDIR') throw cause;
        }
      }
      return files;
    },

    async remove(name) {
      assertCheckpointName(name);
      await fs.remove(join(root, name));
    },

    locate(name) {
      return join(root, name);
    },
  };
}
