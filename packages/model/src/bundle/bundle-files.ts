/**
 * The bundle reader's view of where a model lives: a read-only tree of files
 * addressed by `/`-separated relative paths (`''` is the root). Adapters turn
 * browser `File`s, byte maps and URLs into one (`file-set.ts`,
 * `url-files.ts`); `@gpt2/model/node` has one for the file system.
 */
import type { SafetensorsSource } from '../weights/readers.js';

/** A read-only tree of files, as the bundle reader sees it. Implement it for a custom store. */
export interface BundleFiles {
  /** A readable name of a path for messages: a file path, a URL, `picked files: a/b`. */
  locate(path: string): string;
  /**
   * Names directly inside folder `path` (`''` = the root); folder names end
   * with `/`. Undefined when the source cannot list (a URL): the reader then
   * asks for the files it wants one by one.
   */
  list(path: string): Promise<string[] | undefined>;
  /** A file's text, or undefined when there is no such file. */
  readText(path: string): Promise<string | undefined>;
  /**
   * A file as a fresh weights source for `loadWeights` (each call may be
   * consumed once), or undefined when there is no such file. Opening is lazy:
   * nothing is held until it is read.
   */
  weights(path: string): Promise<SafetensorsSource | undefined>;
}

/** True for objects that implement {@link BundleFiles}. */
export function isBundleFiles(value: unknown): value is BundleFiles {
  const files = value as BundleFiles;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof files.list === 'function' &&
    typeof files.readText === 'function' &&
    typeof files.weights === 'function' &&
    typeof files.locate === 'function'
  );
}

/** `a/b` + `c` → `a/b/c`; the root is `''`. */
export function joinPath(folder: string, name: string): string {
  const clean = name.endsWith('/') ? name.slice(0, -1) : name;
  return folder === '' ? clean : `${folder}/${clean}`;
}

/** The folder of a path (`''` for a top-level name), or undefined for the root itself. */
export function parentPath(path: string): string | undefined {
  if (path === '') return undefined;
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The last segment of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
