/**
 * Checkpoints in the browser's Origin Private File System. Implements the
 * `CheckpointStore` interface of `@gpt2/trainer` (declared structurally here
 * so this module has no tensor dependencies).
 */

/** `@gpt2/trainer`'s `CheckpointStore`. */
export interface CheckpointStoreLike {
  list(): Promise<string[]>;
  write(name: string, files: ReadonlyMap<string, Uint8Array>): Promise<void>;
  read(name: string): Promise<Map<string, Uint8Array>>;
  remove(name: string): Promise<void>;
  locate(name: string): string;
}

/** Options for {@link createOpfsCheckpointStore}. */
export interface OpfsCheckpointStoreOptions {
  /** Folder under the OPFS root holding one folder per checkpoint. Default {@link DEFAULT_OPFS_FOLDER}. */
  folder?: string;
  /** The OPFS root. Default: `navigator.storage.getDirectory()`. */
  root?: () => Promise<FileSystemDirectoryHandle>;
}

/** Default {@link OpfsCheckpointStoreOptions.folder}. */
export const DEFAULT_OPFS_FOLDER = 'checkpoints';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Throw a RangeError unless `name` is a safe checkpoint name (as `@gpt2/trainer` requires). */
export function assertCheckpointName(name: string): void {
  if (!NAME.test(name) || name.length > 200) {
    throw new RangeError(
      `Invalid checkpoint name '${name}': use letters, digits, '.', '_' and '-', not starting with '.'.`,
    );
  }
}

type IterableDirectory = FileSystemDirectoryHandle & {
  entries(): AsyncIterable<[string, FileSystemHandle]>;
};

/** The file naming a checkpoint's committed version. */
export const CURRENT_FILE = 'CURRENT';

async function readText(
  directory: FileSystemDirectoryHandle,
  name: string,
): Promise<string | undefined> {
  try {
    return await (await (await directory.getFileHandle(name)).getFile()).text();
  } catch {
    return undefined;
  }
}

async function writeFile(
  directory: FileSystemDirectoryHandle,
  name: string,
  bytes: Uint8Array,
): Promise<void> {
  const handle = await directory.getFileHandle(name, { create: true });
  // A writable stream goes to a swap file that replaces the file only on close(): atomic per file.
  const writable = await handle.createWritable();
  await writable.write(bytes as Uint8Array<ArrayBuffer>);
  await writable.close();
}

/**
 * A checkpoint store on OPFS. Each write goes to a fresh version folder
 * (`<name>/v-<stamp>/`); only when every file is written does `CURRENT` (whose
 * own write is atomic) point at it. Chromium cannot rename folders, so this
 * pointer is what makes a write all-or-nothing: a reload mid-write sees the
 * previous version, and a first write that never finished is not listed.
 */
export function createOpfsCheckpointStore(
  options: OpfsCheckpointStoreOptions = {},
): CheckpointStoreLike {
  const folder = options.folder ?? DEFAULT_OPFS_FOLDER;
  const getRoot =
    options.root ??
    (() => {
      if (!globalThis.navigator?.storage?.getDirectory) {
        throw new Error(
          'This browser has no Origin Private File System (navigator.storage.getDirectory).',
        );
      }
      return navigator.storage.getDirectory();
    });
  const base = async () => (await getRoot()).getDirectoryHandle(folder, { create: true });

  return {
    async list() {
      const names: string[] = [];
      for await (const [name, handle] of ((await base()) as IterableDirectory).entries()) {
        if (handle.kind !== 'directory') continue;
        if (await readText(handle as FileSystemDirectoryHandle, CURRENT_FILE)) names.push(name);
      }
      return names.sort();
    },

    async write(name, files) {
      assertCheckpointName(name);
      const checkpoint = await (await base()).getDirectoryHandle(name, { create: true });
      const previous = await readText(checkpoint, CURRENT_FILE);
      const version = `v-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
      try {
        const directory = await checkpoint.getDirectoryHandle(version, { create: true });
        for (const [file, bytes] of files) await writeFile(directory, file, bytes);
        await writeFile(checkpoint, CURRENT_FILE, new TextEncoder().encode(version));
      } catch (error) {
        await checkpoint.removeEntry(version, { recursive: true }).catch(() => {});
        throw new Error(
          `Could not save checkpoint '${name}' to browser storage: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      if (previous) await checkpoint.removeEntry(previous, { recursive: true }).catch(() => {});
    },

    async read(name) {
      assertCheckpointName(name);
      let directory: IterableDirectory;
      try {
        const checkpoint = await (await base()).getDirectoryHandle(name);
        const version = await readText(checkpoint, CURRENT_FILE);
        if (!version) throw new Error('never completed');
        directory = (await checkpoint.getDirectoryHandle(version)) as IterableDirectory;
      } catch {
        throw new RangeError(`No checkpoint named '${name}' in browser storage.`);
      }
      const files = new Map<string, Uint8Array>();
      for await (const [file, handle] of directory.entries()) {
        if (handle.kind !== 'file') continue;
        const blob = await (handle as FileSystemFileHandle).getFile();
        files.set(file, new Uint8Array(await blob.arrayBuffer()));
      }
      return files;
    },

    async remove(name) {
      assertCheckpointName(name);
      await (await base()).removeEntry(name, { recursive: true }).catch(() => {});
    },

    locate(name) {
      return `opfs:/${folder}/${name}`;
    },
  };
}
