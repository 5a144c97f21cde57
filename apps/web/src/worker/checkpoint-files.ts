/**
 * Finding a checkpoint's three parts (weights, config, tokenizer) among picked
 * files or next to a URL. Pure functions, so they are tested in Node.
 */

/** Metadata keys under which this app embeds the config and tokenizer in `model.safetensors`. */
export const METADATA_CONFIG_KEY = 'gpt2.config';
export const METADATA_TOKENIZER_KEY = 'gpt2.tokenizer';

/** Enough of `File` to classify it. */
export interface NamedFile {
  name: string;
  /** Set for files from a folder picker (`webkitdirectory`). */
  webkitRelativePath?: string;
}

/** The files of a checkpoint, by role. */
export interface CheckpointFileSet<F extends NamedFile> {
  weights: F | undefined;
  config: F | undefined;
  tokenizer: F | undefined;
  /** Files that were not recognised (ignored, but listed for the user). */
  ignored: F[];
}

const TOKENIZER_NAME = /tokeni[sz]er.*\.json$/i;

/**
 * Sort picked files into weights (`*.safetensors`), `config.json` and a
 * tokenizer JSON (`tokenizer*.json`, or the only other JSON file). With
 * several safetensors files, `model.safetensors` wins.
 */
export function classifyCheckpointFiles<F extends NamedFile>(
  files: readonly F[],
): CheckpointFileSet<F> {
  const set: CheckpointFileSet<F> = {
    weights: undefined,
    config: undefined,
    tokenizer: undefined,
    ignored: [],
  };
  const otherJson: F[] = [];
  for (const file of files) {
    const name = file.name.toLowerCase();
    if (name.endsWith('.safetensors')) {
      if (!set.weights || name === 'model.safetensors') {
        if (set.weights) set.ignored.push(set.weights);
        set.weights = file;
      } else {
        set.ignored.push(file);
      }
    } else if (name === 'config.json') {
      set.config = file;
    } else if (TOKENIZER_NAME.test(name) && !set.tokenizer) {
      set.tokenizer = file;
    } else if (name.endsWith('.json')) {
      otherJson.push(file);
    } else {
      set.ignored.push(file);
    }
  }
  if (!set.tokenizer && otherJson.length === 1) set.tokenizer = otherJson.shift();
  set.ignored.push(...otherJson);
  return set;
}

/** The URLs of a checkpoint's files. */
export interface CheckpointUrls {
  weights: string;
  config: string;
  tokenizer: string;
}

/**
 * A folder URL (`…/demo-model/`) or the URL of a `.safetensors` file (e.g.
 * `https://huggingface.co/gpt2/resolve/main/model.safetensors`): config and
 * tokenizer sit beside the weights, as on the Hugging Face Hub.
 */
export function checkpointUrls(url: string, base?: string): CheckpointUrls {
  const trimmed = url.trim();
  if (trimmed === '') throw new TypeError('The model URL is empty.');
  let parsed: URL;
  try {
    parsed = new URL(trimmed, base);
  } catch {
    throw new TypeError(`Not a URL: '${trimmed}'.`);
  }
  if (!/\.safetensors$/i.test(parsed.pathname)) {
    if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
    parsed = new URL('model.safetensors', parsed);
  }
  return {
    weights: parsed.href,
    config: new URL('config.json', parsed).href,
    tokenizer: new URL('tokenizer.json', parsed).href,
  };
}

/** What kind of tokenizer JSON this is. */
export type TokenizerJsonKind = 'gpt2-package' | 'huggingface' | 'unknown';

/**
 * `@gpt2/tokenizer`'s `toJSON()` form has a string `type`; Hugging Face's
 * `tokenizer.json` has a `model` object (`{ type: 'BPE', vocab, merges }`).
 */
export function tokenizerJsonKind(json: unknown): TokenizerJsonKind {
  if (typeof json !== 'object' || json === null) return 'unknown';
  const record = json as Record<string, unknown>;
  if (typeof record.model === 'object' && record.model !== null) return 'huggingface';
  if (typeof record.type === 'string') return 'gpt2-package';
  return 'unknown';
}

/** Parse JSON text, naming the file when it is not JSON. */
export function parseJsonFile(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TypeError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
}
