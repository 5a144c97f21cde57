/**
 * Turn user-given sources into a stream of documents, read lazily so that memory stays flat.
 *
 * Document boundaries: a plain-text file (or blob, stream, response) is one document; each JSONL
 * line is one document; each string of an iterable is one document.
 */
import { DataSourceError } from '../errors/data-source-error.js';
import { splitLines } from '../text/lines.js';
import { decodeUtf8Stream, type InvalidUtf8Policy } from '../text/utf8.js';
import {
  type ByteSource,
  blobSource,
  readableStreamSource,
  responseSource,
} from './byte-source.js';

/** One document: its text, whole or as a stream of chunks. */
export interface TextDocument {
  /** Where it came from: a path, `path:line` for JSONL, or `name#index` for iterables. */
  source: string;
  text: string | AsyncIterable<string>;
  /**
   * Set for a plain-text document that is a whole local file (its {@link ByteSource.path}): a
   * tokenizer on another thread may read and decode the file itself rather than receive `text`,
   * with the same result. `text` is lazy, so it costs nothing when left unread.
   */
  path?: string;
}

/** File contents format. `'auto'` means JSONL for `.jsonl`/`.ndjson` names, plain text otherwise. */
export type TextFormat = 'text' | 'jsonl' | 'auto';

/** A source with explicit settings. Give exactly one of `input` or `documents`. */
export interface SourceSpec {
  /** A path/folder/glob (needs a {@link FileSystem}, e.g. in Node), a Blob/File, a ReadableStream, a Response, or a {@link ByteSource}. */
  input?: string | Blob | ReadableStream<Uint8Array> | Response | ByteSource;
  /** Documents already in memory or generated: each string is one document. */
  documents?: Iterable<string> | AsyncIterable<string>;
  /** Format of `input`. Default `'auto'`. */
  format?: TextFormat;
  /** JSONL field holding the text. Default the `textField` option of the reader (`'text'`). */
  textField?: string;
  /** Name used in errors and the manifest. Default the path, file name, URL or `'documents'`. */
  name?: string;
}

/**
 * Anything that yields documents: a path, folder or glob (Node); a Blob/File, ReadableStream or
 * fetch Response (any environment); a {@link ByteSource}; a {@link SourceSpec}; or a non-array
 * (async) iterable of strings, each one a document. An *array* passed where a list of sources is
 * expected is a list of sources, so wrap in-memory documents as `{ documents: [...] }`.
 */
export type DataSource =
  | string
  | Blob
  | ReadableStream<Uint8Array>
  | Response
  | ByteSource
  | SourceSpec
  | Iterable<string>
  | AsyncIterable<string>;

/** File access, provided by the environment (see `nodeFileSystem` in `@gpt2/data/node`). */
export interface FileSystem {
  /** Expand a file path, folder (all files below, recursively) or glob into sorted file paths. */
  expand(pattern: string): Promise<string[]>;
  /** The bytes of one file. */
  open(path: string): ByteSource;
}

/** What to do with a bad JSONL line. */
export type InvalidLinePolicy = 'error' | 'skip';

/** Default of {@link ReadDocumentsOptions.invalidLines}. */
export const DEFAULT_INVALID_LINES: InvalidLinePolicy = 'error';
/** Default of {@link ReadDocumentsOptions.textField}. */
export const DEFAULT_TEXT_FIELD = 'text';

/** A JSONL line that was skipped under `invalidLines: 'skip'`. */
export interface SkippedLine {
  source: string;
  line: number;
  reason: 'invalid-json' | 'missing-field';
  message: string;
}

/** Options of {@link readDocuments}. */
export interface ReadDocumentsOptions {
  /** File access for string paths. Default none: string sources then throw (in the browser). */
  fileSystem?: FileSystem;
  /** Invalid UTF-8: `'error'` (default) or `'replace'` with U+FFFD. See `decodeUtf8Stream`. */
  invalidUtf8?: InvalidUtf8Policy;
  /** JSONL lines that are not JSON or lack the text field: `'error'` (default) or `'skip'`. */
  invalidLines?: InvalidLinePolicy;
  /** JSONL field holding the text, unless a {@link SourceSpec} says otherwise. Default `'text'`. */
  textField?: string;
  /** Called for each skipped JSONL line (with `invalidLines: 'skip'`). */
  onSkippedLine?: (skipped: SkippedLine) => void;
}

function isByteSource(value: unknown): value is ByteSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ByteSource).stream === 'function' &&
    typeof (value as ByteSource).name === 'string' &&
    !(typeof Blob !== 'undefined' && value instanceof Blob)
  );
}

function isIterable(value: unknown): value is Iterable<string> | AsyncIterable<string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (Symbol.iterator in value || Symbol.asyncIterator in value)
  );
}

function toSpec(source: DataSource): SourceSpec {
  if (typeof source === 'string') return { input: source };
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { input: source };
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream)
    return { input: source };
  if (typeof Response !== 'undefined' && source instanceof Response) return { input: source };
  if (isByteSource(source)) return { input: source };
  if (isIterable(source)) return { documents: source };
  if (typeof source === 'object' && source !== null && ('input' in source || 'documents' in source))
    return source as SourceSpec;
  throw new DataSourceError({
    source: String(source),
    reason: 'unsupported',
    message:
      'unsupported source: expected a path, Blob, ReadableStream, Response, ByteSource, { input } / { documents } or an iterable of strings',
  });
}

function formatOf(spec: SourceSpec, name: string): 'text' | 'jsonl' {
  const format = spec.format ?? 'auto';
  if (format === 'text' || format === 'jsonl') return format;
  if (format !== 'auto') {
    throw new TypeError(`${name}: format must be 'text', 'jsonl' or 'auto', got ${String(format)}`);
  }
  return /\.(jsonl|ndjson)$/i.test(name) ? 'jsonl' : 'text';
}

async function byteSourcesOf(
  spec: SourceSpec,
  options: ReadDocumentsOptions,
): Promise<ByteSource[]> {
  const input = spec.input!;
  if (typeof input === 'string') {
    if (options.fileSystem === undefined) {
      throw new DataSourceError({
        source: input,
        reason: 'unsupported',
        message:
          'file paths need file access: use @gpt2/data/node in Node, or pass a Blob/File, ReadableStream or Response',
      });
    }
    if (input.includes('\n') || input.length > 4096) {
      throw new DataSourceError({
        source: `${input.slice(0, 40)}…`,
        reason: 'unsupported',
        message: 'this string looks like text, not a path: pass documents as { documents: [...] }',
      });
    }
    const paths = await options.fileSystem.expand(input);
    return paths.map((path) => options.fileSystem!.open(path));
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) return [blobSource(input, spec.name)];
  if (typeof ReadableStream !== 'undefined' && input instanceof ReadableStream)
    return [readableStreamSource(input, spec.name)];
  if (typeof Response !== 'undefined' && input instanceof Response)
    return [responseSource(input, spec.name)];
  return [input as ByteSource];
}

async function* jsonlDocuments(
  source: ByteSource,
  textField: string,
  options: ReadDocumentsOptions,
): AsyncGenerator<TextDocument> {
  const policy = options.invalidLines ?? DEFAULT_INVALID_LINES;
  const text = decodeUtf8Stream(source.stream(), {
    source: source.name,
    invalidUtf8: options.invalidUtf8,
  });
  for await (const [line, content] of splitLines(text)) {
    if (content.trim() === '') continue;
    let problem: SkippedLine | undefined;
    let record: unknown;
    try {
      record = JSON.parse(content);
    } catch (cause) {
      problem = {
        source: source.name,
        line,
        reason: 'invalid-json',
        message: `not valid JSON (${(cause as Error).message}); pass invalidLines: 'skip' to skip such lines`,
      };
    }
    if (problem === undefined) {
      const value =
        typeof record === 'object' && record !== null && !Array.isArray(record)
          ? (record as Record<string, unknown>)[textField]
          : undefined;
      if (typeof value === 'string') {
        yield { source: `${source.name}:${line}`, text: value };
        continue;
      }
      problem = {
        source: source.name,
        line,
        reason: 'missing-field',
        message:
          value === undefined
            ? `record has no "${textField}" field; choose the field with textField, or pass invalidLines: 'skip'`
            : `field "${textField}" is ${Array.isArray(value) ? 'an array' : typeof value}, not a string`,
      };
    }
    if (policy === 'skip') {
      options.onSkippedLine?.(problem);
      continue;
    }
    throw new DataSourceError({
      source: problem.source,
      line: problem.line,
      reason: problem.reason,
      message: problem.message,
    });
  }
}

/**
 * Read documents from one or more sources, lazily and in order.
 * A plain-text document's `text` is an async iterable of chunks: consume it before asking for the
 * next document.
 * @throws DataSourceError naming the source: missing file, invalid UTF-8, bad JSONL line.
 */
export async function* readDocuments(
  sources: DataSource | DataSource[],
  options: ReadDocumentsOptions = {},
): AsyncGenerator<TextDocument> {
  const list = Array.isArray(sources) ? sources : [sources];
  const defaultField = options.textField ?? DEFAULT_TEXT_FIELD;
  for (const source of list) {
    const spec = toSpec(source);
    if (spec.documents !== undefined) {
      const name = spec.name ?? 'documents';
      let index = 0;
      for await (const document of spec.documents) {
        if (typeof document !== 'string') {
          throw new DataSourceError({
            source: `${name}#${index}`,
            reason: 'unsupported',
            message: `documents must be strings, got ${typeof document}`,
          });
        }
        yield { source: `${name}#${index}`, text: document };
        index++;
      }
      continue;
    }
    for (const byteSource of await byteSourcesOf(spec, options)) {
      if (formatOf(spec, byteSource.name) === 'jsonl') {
        yield* jsonlDocuments(byteSource, spec.textField ?? defaultField, options);
      } else {
        const document: TextDocument = {
          source: byteSource.name,
          text: decodeUtf8Stream(byteSource.stream(), {
            source: byteSource.name,
            invalidUtf8: options.invalidUtf8,
          }),
        };
        if (byteSource.path !== undefined) document.path = byteSource.path;
        yield document;
      }
    }
  }
}
