/**
 * The one interface between the core and the outside world: a named stream of bytes.
 * Node files implement it in `@gpt2/data/node`; browser `Blob`/`File`, `ReadableStream` and
 * `fetch` responses are wrapped here with web-standard APIs only.
 */
import { DataSourceError } from '../errors/data-source-error.js';

/** A named, re-readable or one-shot stream of bytes. */
export interface ByteSource {
  /** File path, URL or other name, used in error messages and the manifest. */
  readonly name: string;
  /**
   * Local file path, when the bytes are exactly one file's: lets `prepare`'s worker threads read
   * the file themselves instead of receiving its text. Unset for blobs, streams and responses.
   */
  readonly path?: string;
  /** Bytes in chunks. Errors should be {@link DataSourceError}s naming the source. */
  stream(): AsyncIterable<Uint8Array>;
}

/** Yield the chunks of a web `ReadableStream`, releasing its lock on exit. */
export async function* readStream(
  stream: ReadableStream<Uint8Array>,
  name: string,
): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    while (true) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (cause) {
        throw new DataSourceError({
          source: name,
          reason: 'read-failed',
          message: `reading the stream failed: ${String(cause)}`,
          cause,
        });
      }
      if (result.done) return;
      yield result.value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** A `Blob` or `File` as a byte source (named after `File.name`, or `name`). */
export function blobSource(blob: Blob, name?: string): ByteSource {
  const label = name ?? ((blob as { name?: unknown }).name as string | undefined) ?? 'blob';
  return { name: label, stream: () => readStream(blob.stream(), label) };
}

/** A one-shot `ReadableStream` of bytes as a byte source. */
export function readableStreamSource(
  stream: ReadableStream<Uint8Array>,
  name = 'stream',
): ByteSource {
  let used = false;
  return {
    name,
    stream() {
      if (used) throw new TypeError(`${name}: a ReadableStream can be read only once`);
      used = true;
      return readStream(stream, name);
    },
  };
}

/**
 * A `fetch` `Response` as a byte source (named after its URL).
 * @throws DataSourceError (`read-failed`) when the response is not OK or has no body.
 */
export function responseSource(response: Response, name?: string): ByteSource {
  const label = name ?? (response.url || 'response');
  return {
    name: label,
    async *stream() {
      if (!response.ok) {
        throw new DataSourceError({
          source: label,
          reason: response.status === 404 ? 'missing' : 'read-failed',
          message: `HTTP ${response.status} ${response.statusText}`.trim(),
        });
      }
      if (response.body === null) return;
      yield* readStream(response.body, label);
    },
  };
}

/** Bytes already in memory as a byte source. */
export function bytesSource(bytes: Uint8Array, name = 'bytes'): ByteSource {
  return {
    name,
    async *stream() {
      yield bytes;
    },
  };
}
