/**
 * {@link BundleFiles} over files already in hand: browser `File`s (from a
 * file or folder picker, with `webkitRelativePath`), or bytes and blobs by
 * relative path (a browser store, tests).
 */
import type { SafetensorsSource } from '../weights/readers.js';
import { type BundleFiles, baseName, parentPath } from './bundle-files.js';

/** A picked file: a `File`, whose folder-picker path is `webkitRelativePath`. */
export interface PickedFile extends Blob {
  readonly name: string;
  /** Set by folder pickers (`<input webkitdirectory>`): the path below the picked folder's parent. */
  readonly webkitRelativePath?: string;
}

/** Options of {@link fileSetFiles} and {@link fileMapFiles}. */
export interface FileSetOptions {
  /** How messages name the set. Default: `picked files` / `files`. */
  label?: string;
}

function normalise(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\/+/, '').replace(/\/+$/, '');
}

/** The deepest folder that holds every path (`''` when files sit at different tops). */
function commonFolder(paths: readonly string[]): string {
  let common = parentPath(paths[0] ?? '') ?? '';
  for (const path of paths) {
    while (common !== '' && !path.startsWith(`${common}/`)) common = parentPath(common) ?? '';
  }
  return common;
}

function fromEntries(entries: Map<string, Blob | Uint8Array>, label: string): BundleFiles {
  const paths = [...entries.keys()];
  const root = commonFolder(paths);
  const byPath = new Map<string, Blob | Uint8Array>();
  for (const [path, value] of entries)
    byPath.set(root === '' ? path : path.slice(root.length + 1), value);
  const folders = new Map<string, Set<string>>([['', new Set()]]);
  for (const path of byPath.keys()) {
    let child = path;
    let folder = parentPath(path);
    let name = baseName(path);
    while (folder !== undefined) {
      if (!folders.has(folder)) folders.set(folder, new Set());
      folders.get(folder)!.add(name);
      child = folder;
      name = `${baseName(child)}/`;
      folder = parentPath(child);
    }
  }
  const where = root === '' ? label : `${label}: ${root}`;
  return {
    locate: (path) => (path === '' ? where : `${where} › ${path}`),
    list: async (path) => [...(folders.get(path) ?? [])],
    async readText(path) {
      const value = byPath.get(path);
      if (value === undefined) return undefined;
      return value instanceof Uint8Array ? new TextDecoder().decode(value) : value.text();
    },
    async weights(path): Promise<SafetensorsSource | undefined> {
      return byPath.get(path);
    },
  };
}

/**
 * Files picked in a browser (or built in Node), by their folder-picker path
 * (`webkitRelativePath`) or, for single picks, their name. The reader starts
 * in the deepest folder that holds them all, so picking a run folder, a
 * checkpoint folder or three loose files all work.
 * @throws TypeError when two files have the same path.
 */
export function fileSetFiles(
  files: Iterable<PickedFile>,
  options: FileSetOptions = {},
): BundleFiles {
  const entries = new Map<string, Blob>();
  for (const file of files) {
    const path = normalise(file.webkitRelativePath || file.name);
    if (entries.has(path)) {
      throw new TypeError(`Two picked files are both '${path}': pick each file once.`);
    }
    entries.set(path, file);
  }
  return fromEntries(entries, options.label ?? 'picked files');
}

/** Files as bytes or blobs by relative path (e.g. a checkpoint read from browser storage). */
export function fileMapFiles(
  files: ReadonlyMap<string, Uint8Array | Blob>,
  options: FileSetOptions = {},
): BundleFiles {
  const entries = new Map<string, Uint8Array | Blob>();
  for (const [path, value] of files) entries.set(normalise(path), value);
  return fromEntries(entries, options.label ?? 'files');
}
