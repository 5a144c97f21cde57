import { type DataSource, type ReadDocumentsOptions, readDocuments } from './sources/documents.js';
import { type TokenDataset, tokenDatasetFromArray } from './token-dataset.js';
import {
  checkSplitOptions,
  type DataTokenizer,
  documentSeparator,
  inProcessTokenizer,
  type PipelineStats,
  runTokenizePipeline,
  type TokenSink,
} from './tokenize-pipeline.js';

/** Default of every `seed` option of the preparation functions. */
export const DEFAULT_PREPARE_SEED = 1337;
/** Default of `valFraction` when neither `valFraction` nor `valDocuments` is given. */
export const DEFAULT_VAL_FRACTION = 0.1;

/** Options of {@link prepareInMemory}. */
export interface PrepareInMemoryOptions extends ReadDocumentsOptions {
  /** Fraction of documents (by seeded hash) that go to val. Default 0.1 unless `valDocuments` is given. */
  valFraction?: number;
  /** Exact number of val documents (reservoir sample). Default unset. */
  valDocuments?: number;
  /** Seed of the split. Default {@link DEFAULT_PREPARE_SEED} (1337). */
  seed?: number;
  /** Progress callback with running counts. Default none. */
  onProgress?: (stats: PipelineStats) => void;
}

/** Result of {@link prepareInMemory}. */
export interface InMemoryCorpus {
  train: TokenDataset;
  val: TokenDataset;
  stats: PipelineStats;
}

class ArraySink implements TokenSink {
  chunks: Uint32Array[] = [];
  length = 0;
  async write(tokens: Uint32Array): Promise<void> {
    this.chunks.push(tokens);
    this.length += tokens.length;
  }
  toArray(wide: boolean): Uint16Array | Uint32Array {
    const out = wide ? new Uint32Array(this.length) : new Uint16Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

/**
 * Tokenize sources into in-memory train/val datasets, with the same split, separators and
 * ordering as `prepare` (but on the calling thread, without files). Any environment: in the
 * browser, pass `File`s, `Response`s or strings as `{ documents }`.
 */
export async function prepareInMemory(
  sources: DataSource | DataSource[],
  tokenizer: DataTokenizer,
  options: PrepareInMemoryOptions = {},
): Promise<InMemoryCorpus> {
  const split = checkSplitOptions(options);
  const seed = options.seed ?? DEFAULT_PREPARE_SEED;
  const train = new ArraySink();
  const val = new ArraySink();
  const stats = await runTokenizePipeline(readDocuments(sources, options), {
    tokenize: inProcessTokenizer(tokenizer),
    separator: documentSeparator(tokenizer),
    split: {
      seed,
      valFraction:
        split.valDocuments === undefined ? (split.valFraction ?? DEFAULT_VAL_FRACTION) : undefined,
      valDocuments: split.valDocuments,
    },
    train,
    val,
    sourceNames: describeSources(sources),
    onProgress: options.onProgress,
  });
  const wide = tokenizer.vocabSize - 1 > 0xffff;
  return {
    train: tokenDatasetFromArray(train.toArray(wide), { name: 'train (in memory)' }),
    val: tokenDatasetFromArray(val.toArray(wide), { name: 'val (in memory)' }),
    stats,
  };
}

/** A short description of sources for messages (paths, names, or the kind of source). */
export function describeSources(sources: DataSource | DataSource[]): string {
  const list = Array.isArray(sources) ? sources : [sources];
  const names = list.map((source) => {
    if (typeof source === 'string') return source;
    const named = source as { name?: unknown; input?: unknown };
    if (typeof named.name === 'string') return named.name;
    if (typeof named.input === 'string') return named.input;
    return 'documents';
  });
  return names.length === 0 ? '(no sources)' : names.join(', ');
}
