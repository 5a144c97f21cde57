/**
 * The model-bundle reader on the local file system: any path a user may
 * give (a checkpoint, run, checkpoints or Hugging Face folder, or a
 * `.safetensors` file) → weights, config and tokenizer.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, parse, relative, resolve, sep } from 'node:path';
import type { BundleFiles } from '../bundle/bundle-files.js';
import {
  type LoadedModelBundle,
  type LoadModelBundleOptions,
  modelFromBundle,
} from '../bundle/load-bundle.js';
import { ModelBundleError } from '../bundle/model-bundle-error.js';
import {
  type ModelBundle,
  type ReadModelBundleOptions,
  readModelBundle,
} from '../bundle/read-bundle.js';
import { lazyFileReader } from './file-reader.js';

function isMissing(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * {@link BundleFiles} over the file system below folder `root` (absolute),
 * with `/`-separated paths relative to it; messages show native paths.
 */
export function folderFiles(root: string): BundleFiles {
  const native = (path: string) => (path === '' ? root : join(root, ...path.split('/')));
  const isFolder = async (entry: Dirent, folder: string) =>
    entry.isDirectory() ||
    (entry.isSymbolicLink() &&
      (await stat(join(folder, entry.name)).then(
        (info) => info.isDirectory(),
        () => false,
      )));
  return {
    locate: native,
    async list(path) {
      const folder = native(path);
      let entries: Dirent[];
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error)) return [];
        throw error;
      }
      return Promise.all(
        entries.map(async (entry) =>
          (await isFolder(entry, folder)) ? `${entry.name}/` : entry.name,
        ),
      );
    },
    async readText(path) {
      try {
        return await readFile(native(path), 'utf8');
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async weights(path) {
      const file = native(path);
      const info = await stat(file).catch((error: unknown) => {
        if (isMissing(error)) return undefined;
        throw error;
      });
      return info?.isFile() ? lazyFileReader(file, info.size) : undefined;
    },
  };
}

/**
 * Find the model at a path: a checkpoint or model folder, a run folder (its
 * `best` checkpoint, else its latest), a checkpoints folder, or a
 * `.safetensors` file (the rest beside it). A checkpoint inside
 * `<run>/checkpoints/` also sees the run's `tokenizer.json`. Rules: README,
 * "Model bundles".
 * @throws ModelBundleError (also when the path does not exist or is another kind of file)
 */
export async function readModelBundleFromPath(
  path: string,
  options: ReadModelBundleOptions = {},
): Promise<ModelBundle> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch((error: unknown) => {
    if (isMissing(error)) return undefined;
    throw error;
  });
  if (!info) {
    throw new ModelBundleError({ location: path, reason: 'no such file or folder' });
  }
  let folder = absolute;
  let weightsFile = options.weightsFile;
  if (!info.isDirectory()) {
    if (!/\.safetensors$/i.test(absolute)) {
      throw new ModelBundleError({
        location: path,
        part: 'weights',
        reason: 'a file, but not a .safetensors one: give the model folder or its weights file',
      });
    }
    folder = dirname(absolute);
    weightsFile = basename(absolute);
  }
  // Rooted at the file system's root, so the reader can look up from a checkpoint to its run.
  const root = parse(folder).root;
  return readModelBundle(folderFiles(root), {
    ...options,
    weightsFile,
    folder: relative(root, folder).split(sep).join('/'),
  });
}

/** {@link readModelBundleFromPath}, then load the model. Dispose `model` when done. */
export async function loadModelBundleFromPath(
  path: string,
  options: LoadModelBundleOptions = {},
): Promise<LoadedModelBundle> {
  return modelFromBundle(await readModelBundleFromPath(path, options), options);
}
