/**
 * Byte sources for safetensors loading. Everything becomes a
 * {@link SafetensorsReader}: the loader asks for the header, then for each
 * tensor's byte range in increasing order, so a network stream is consumed as
 * it arrives and a file is read one tensor at a time.
 */
import { SafetensorsFormatError } from './safetensors-format-error.js';

/**
 * Random-access (or forward-only) reading of a safetensors file. Implement it
 * for a custom source; `@gpt2/model/node` has one for files.
 */
export interface SafetensorsReader {
  /** Name used in error messages (file path, URL, `'buffer'`). */
  readonly name: string;
  /** Total size in bytes when known; the header is then checked against it. */
  readonly byteLength: number | undefined;
  /**
   * Resolves the `length` bytes at `offset`, or fewer when the source ends
   * first. Offsets never decrease between calls, so a stream may skip ahead.
   * The bytes may be a view the reader reuses: decode them before the next call.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the source (file handle, network stream). Called once, also after errors. */
  close?(): Promise<void>;
}

/** What `loadWeights` accepts. Strings and URLs are fetched. */
export type SafetensorsSource =
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | Response
  | URL
  | string
  | SafetensorsReader;

/** Options for turning a source into a reader. */
export interface OpenSourceOptions {
  /** Name used in error messages instead of the one derived from the source. */
  name?: string;
  /** `fetch` used for URLs. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Passed to `fetch` for URLs (headers, `signal`). Default none. */
  requestInit?: RequestInit;
}

/** A reader over bytes already in memory: reads are views, nothing is copied. */
export function bufferReader(bytes: Uint8Array, name = 'buffer'): SafetensorsReader {
  return {
    name,
    byteLength: bytes.byteLength,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}

/** A reader over a `Blob`/`File`: each read slices the blob, so a large file is never read whole. */
export function blobReader(blob: Blob, name?: string): SafetensorsReader {
  const label =
    name ??
    ('name' in blob && typeof blob.name === 'string' && blob.name !== '' ? blob.name : 'blob');
  return {
    name: label,
    byteLength: blob.size,
    read: async (offset, length) =>
      new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}

/**
 * A forward-only reader over a byte stream: keeps only the chunks not yet
 * consumed, so memory stays about one tensor plus one network chunk.
 */
export function streamReader(
  stream: ReadableStream<Uint8Array>,
  name: string,
  byteLength?: number,
): SafetensorsReader {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let buffered = 0; // bytes in `chunks`
  let position = 0; // stream offset of chunks[0][0]
  let ended = false;

  async function fill(count: number): Promise<void> {
    while (buffered < count && !ended) {
      const { done, value } = await reader.read();
      if (done) ended = true;
      else if (value.byteLength > 0) {
        chunks.push(value);
        buffered += value.byteLength;
      }
    }
  }

  function drop(count: number): void {
    let left = count;
    while (left > 0 && chunks.length > 0) {
      const head = chunks[0]!;
      if (head.byteLength <= left) {
        chunks.shift();
        left -= head.byteLength;
      } else {
        chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    buffered -= count - left;
    position += count - left;
  }

  return {
    name,
    byteLength,
    async read(offset, length) {
      if (offset < position) {
        throw new RangeError(
          `${name}: a stream cannot go back to byte ${offset} (at ${position}).`,
        );
      }
      // Skip forward (tensors the model does not need) without keeping their bytes.
      while (position < offset) {
        await fill(1);
        if (buffered === 0) return new Uint8Array(0);
        drop(Math.min(buffered, offset - position));
      }
      await fill(length);
      const size = Math.min(length, buffered);
      const out = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        if (at >= size) break;
        const part = chunk.subarray(0, size - at);
        out.set(part, at);
        at += part.byteLength;
      }
      drop(size);
      return out;
    },
    async close() {
      if (!ended) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    },
  };
}

function isReader(source: unknown): source is SafetensorsReader {
  return (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as SafetensorsReader).read === 'function' &&
    typeof (source as SafetensorsReader).name === 'string'
  );
}

function isResponse(source: unknown): source is Response {
  if (typeof Response !== 'undefined' && source instanceof Response) return true;
  return (
    typeof source === 'object' &&
    source !== null &&
    'headers' in source &&
    'ok' in source &&
    'body' in source &&
    'status' in source
  );
}

/** A reader over a fetch `Response`, streamed as its body arrives. */
export function responseReader(response: Response, name?: string): SafetensorsReader {
  const label = name ?? (response.url || 'response');
  if (!response.ok) {
    throw new Error(
      `Could not load weights from ${label}: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  if (response.body === null) {
    throw new SafetensorsFormatError({ source: label, message: 'the response has no body.' });
  }
  // With Content-Encoding, Content-Length counts compressed bytes: not the file size.
  const length = response.headers.get('content-length');
  const encoded = response.headers.get('content-encoding');
  const byteLength =
    length !== null && (encoded === null || encoded === 'identity') && /^\d+$/.test(length)
      ? Number(length)
      : undefined;
  return streamReader(response.body, label, byteLength);
}

/** Turns any {@link SafetensorsSource} into a reader (fetching URLs). */
export async function openSource(
  source: SafetensorsSource,
  options: OpenSourceOptions = {},
): Promise<SafetensorsReader> {
  if (isReader(source)) return source;
  if (source instanceof ArrayBuffer) return bufferReader(new Uint8Array(source), options.name);
  if (ArrayBuffer.isView(source)) {
    return bufferReader(
      new Uint8Array(source.buffer, source.byteOffset, source.byteLength),
      options.name,
    );
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob)
    return blobReader(source, options.name);
  if (isResponse(source)) return responseReader(source, options.name);
  if (typeof source === 'string' || source instanceof URL) {
    const url = String(source);
    const fetchFunction = options.fetch ?? globalThis.fetch;
    if (typeof fetchFunction !== 'function') {
      throw new TypeError(`Cannot fetch ${url}: no fetch() in this environment.`);
    }
    let response: Response;
    try {
      response = await fetchFunction(url, options.requestInit);
    } catch (error) {
      throw new Error(
        `Could not fetch weights from ${url}: ${String(error)}. ` +
          'For a local file in Node, use loadWeightsFromFile from @gpt2/model/node.',
        { cause: error },
      );
    }
    return responseReader(response, options.name ?? url);
  }
  throw new TypeError(
    'loadWeights: the source must be an ArrayBuffer, a typed array, a Blob/File, a Response, a URL or a SafetensorsReader.',
  );
}
