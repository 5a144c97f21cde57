/**
 * {@link BundleFiles} over HTTP: the URL of a model folder (`…/demo-model/`)
 * or of a `.safetensors` file (the Hugging Face Hub's
 * `…/resolve/main/model.safetensors`), with the other files beside it. A URL
 * cannot be listed, so the reader asks for each file it wants; a 404 (or an
 * HTML page a dev server sends for any unknown path) means "not there".
 */
import type { SafetensorsSource } from '../weights/readers.js';
import type { BundleFiles } from './bundle-files.js';

/** Options of {@link urlFiles}. */
export interface UrlFilesOptions {
  /** Base that a relative URL resolves against (a page's URL). Default: none. */
  baseUrl?: string;
  /** `fetch` to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Passed to every `fetch` (headers, `signal`). Default: none. */
  requestInit?: RequestInit;
}

/** A parsed model URL: the folder the files are in, and the weights file when the URL named one. */
export interface ModelUrl {
  /** The folder URL, ending in `/`. */
  folder: URL;
  /** The weights file name when the URL ended in `.safetensors`. */
  weights: string | undefined;
}

/**
 * Split a model URL into its folder and, when it names a `.safetensors`
 * file, that file.
 * @throws TypeError for an empty or invalid URL.
 */
export function parseModelUrl(url: string | URL, baseUrl?: string): ModelUrl {
  const text = String(url).trim();
  if (text === '') throw new TypeError('The model URL is empty.');
  let parsed: URL;
  try {
    parsed = new URL(text, baseUrl);
  } catch {
    throw new TypeError(`Not a URL: '${text}'.`);
  }
  const match = /([^/]+\.safetensors)$/i.exec(parsed.pathname);
  if (match) {
    return { folder: new URL('./', parsed), weights: decodeURIComponent(match[1]!) };
  }
  if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
  return { folder: parsed, weights: undefined };
}

/** The files of a model folder on a web server. */
export function urlFiles(folder: URL, options: UrlFilesOptions = {}): BundleFiles {
  const fetchFunction = options.fetch ?? globalThis.fetch;
  const href = (path: string) =>
    new URL(path.split('/').map(encodeURIComponent).join('/'), folder).href;
  return {
    locate: (path) => (path === '' ? folder.href : href(path)),
    list: async () => undefined,
    async readText(path) {
      if (typeof fetchFunction !== 'function') {
        throw new TypeError(`Cannot fetch ${href(path)}: no fetch() in this environment.`);
      }
      const url = href(path);
      let response: Response;
      try {
        response = await fetchFunction(url, options.requestInit);
      } catch (error) {
        throw new Error(
          `Could not fetch ${url}: ${(error as Error).message} (offline, or blocked by CORS?)`,
          { cause: error },
        );
      }
      if (response.status === 404 || response.status === 410) return undefined;
      if (!response.ok) throw new Error(`Could not fetch ${url}: HTTP ${response.status}.`);
      // A dev server's single-page fallback answers any path with its index.html.
      if (/^text\/html\b/i.test(response.headers.get('content-type') ?? '')) {
        await response.body?.cancel().catch(() => undefined);
        return undefined;
      }
      return response.text();
    },
    async weights(path): Promise<SafetensorsSource> {
      // Fetched (and streamed) only when read; a missing file fails then, with its URL.
      return href(path);
    },
  };
}
