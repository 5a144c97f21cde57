/**
 * The environment-independent half of `prepare`: documents → safe text pieces → tokens →
 * train/val split → sinks. Node plugs in worker threads and shard files; the browser (and tests)
 * use the in-process tokenizer and in-memory sinks.
 */
import type { Tokenizer } from '@gpt2/tokenizer';
import { DataSourceError } from './errors/data-source-error.js';
import { createRng, hash32 } from './random/index.js';
import type { TextDocument } from './sources/documents.js';
import { DEFAULT_PIECE_CHARS, safePieces } from './text/split-points.js';

/**
 * The tokenizer interface this package needs: the `@gpt2/tokenizer` contract's `Tokenizer`
 * (any object with these members works).
 */
export type DataTokenizer = Pick<
  Tokenizer,
  'name' | 'vocabSize' | 'eotToken' | 'encode' | 'toJSON'
>;

/**
 * Text is encoded as ordinary text: a literal `<|endoftext|>` inside a document is not turned into
 * the special token (as nanoGPT's `encode_ordinary`), so documents cannot forge boundaries.
 */
export const ENCODE_ORDINARY = {
  allowedSpecial: [] as string[],
  disallowedSpecial: [] as string[],
};

/** A piece of one document's text, cut at a point where tokenization is unaffected. */
export interface TextPiece {
  /** Index of the document among the non-empty documents. */
  document: number;
  /** Where the document came from (for messages). */
  source: string;
  /** True for the document's first piece (the separator goes before it). */
  first: boolean;
  text: string;
}

/** The tokens of one {@link TextPiece}. */
export interface TokenizedPiece {
  document: number;
  source: string;
  first: boolean;
  tokens: Uint32Array;
  /** UTF-16 code units of the piece's text. */
  characters: number;
}

/**
 * Tokenizes documents into pieces, in order (in process, or spread over workers that return them
 * in order). Empty documents yield nothing; the others are numbered 0, 1, … in order, and each
 * one's first piece has `first: true`.
 */
export type DocumentTokenizer = (
  documents: AsyncIterable<TextDocument>,
) => AsyncIterable<TokenizedPiece>;

/** Receives the tokens of one split, in order. */
export interface TokenSink {
  write(tokens: Uint32Array): Promise<void>;
}

/**
 * Cut documents into pieces of about `pieceChars` characters; empty documents are dropped
 * (they would only add a separator).
 */
export async function* textPieces(
  documents: AsyncIterable<TextDocument>,
  pieceChars: number = DEFAULT_PIECE_CHARS,
): AsyncGenerator<TextPiece> {
  let document = 0;
  for await (const doc of documents) {
    const chunks = typeof doc.text === 'string' ? [doc.text] : doc.text;
    let first = true;
    for await (const text of safePieces(chunks, pieceChars)) {
      if (text.length === 0) continue;
      yield { document, source: doc.source, first, text };
      first = false;
    }
    if (!first) document++;
  }
}

/** Encode one piece's text as ordinary text. */
export function encodePiece(tokenizer: Pick<Tokenizer, 'encode'>, text: string): Uint32Array {
  return Uint32Array.from(tokenizer.encode(text, ENCODE_ORDINARY));
}

/** A {@link DocumentTokenizer} that encodes on the calling thread. */
export function inProcessTokenizer(tokenizer: Pick<Tokenizer, 'encode'>): DocumentTokenizer {
  return async function* (documents) {
    for await (const piece of textPieces(documents)) {
      yield {
        document: piece.document,
        source: piece.source,
        first: piece.first,
        tokens: encodePiece(tokenizer, piece.text),
        characters: piece.text.length,
      };
    }
  };
}

/**
 * The tokens put before every document: `[eotToken]` when the tokenizer has one, else the
 * encoding of the text `<|endoftext|>` (nanoGPT and llm.c also *prefix* each document).
 */
export function documentSeparator(tokenizer: DataTokenizer): number[] {
  if (tokenizer.eotToken !== undefined) return [tokenizer.eotToken];
  return tokenizer.encode('<|endoftext|>', ENCODE_ORDINARY);
}

/** How documents are split into train and val. Give at most one of the two. */
export interface SplitOptions {
  /** Probability that a document goes to val (decided by a hash of seed and document index). */
  valFraction?: number;
  /**
   * Exact number of val documents, drawn uniformly by reservoir sampling. Their tokens are held in
   * memory until the end, so keep it to a sample (thousands of documents, not millions).
   */
  valDocuments?: number;
  /** Seed of the split. */
  seed: number;
}

/** Counts from {@link runTokenizePipeline}. */
export interface PipelineStats {
  documents: { train: number; val: number };
  tokens: { train: number; val: number };
  /** UTF-16 code units of text read. */
  characters: number;
}

/** Options of {@link runTokenizePipeline}. */
export interface TokenizePipelineOptions {
  /** Turns documents into tokenized pieces: {@link inProcessTokenizer}, or worker threads in Node. */
  tokenize: DocumentTokenizer;
  separator: number[];
  split: SplitOptions;
  train: TokenSink;
  val: TokenSink;
  /** Describes the sources for the empty-corpus error. */
  sourceNames: string;
  /** Called after each piece with running totals. */
  onProgress?: (stats: PipelineStats) => void;
}

/** Check the split options; returns the normalised form. */
export function checkSplitOptions(options: { valFraction?: number; valDocuments?: number }): {
  valFraction?: number;
  valDocuments?: number;
} {
  const { valFraction, valDocuments } = options;
  if (valFraction !== undefined && valDocuments !== undefined) {
    throw new TypeError('give either valFraction or valDocuments, not both');
  }
  if (valFraction !== undefined && !(valFraction >= 0 && valFraction < 1)) {
    throw new RangeError(`valFraction must be in [0, 1), got ${valFraction}`);
  }
  if (valDocuments !== undefined && !(Number.isSafeInteger(valDocuments) && valDocuments >= 0)) {
    throw new RangeError(`valDocuments must be an integer ≥ 0, got ${valDocuments}`);
  }
  return valDocuments !== undefined ? { valDocuments } : { valFraction };
}

/** Run documents through tokenization and the deterministic train/val split into the sinks. */
export async function runTokenizePipeline(
  documents: AsyncIterable<TextDocument>,
  options: TokenizePipelineOptions,
): Promise<PipelineStats> {
  const { split, separator, train, val } = options;
  const separatorTokens = Uint32Array.from(separator);
  const stats: PipelineStats = {
    documents: { train: 0, val: 0 },
    tokens: { train: 0, val: 0 },
    characters: 0,
  };
  const reservoirSize = split.valDocuments;
  const reservoirRng = createRng(hash32(split.seed, 0x5eed));
  const reservoir: { document: number; tokens: Uint32Array[] }[] = [];

  const writeTrain = async (tokens: Uint32Array) => {
    if (tokens.length === 0) return;
    stats.tokens.train += tokens.length;
    await train.write(tokens);
  };

  // Where the current document's pieces go.
  let target: 'train' | 'val' | { tokens: Uint32Array[] } = 'train';
  let documentCount = 0;
  let textTokens = 0;

  for await (const piece of options.tokenize(documents)) {
    stats.characters += piece.characters;
    textTokens += piece.tokens.length;
    if (piece.first) {
      const index = piece.document;
      documentCount++;
      if (reservoirSize !== undefined) {
        // Reservoir sampling (Algorithm R): exactly `valDocuments` val documents, uniformly.
        const slot = index < reservoirSize ? index : reservoirRng.nextInt(index + 1);
        if (slot < reservoirSize) {
          const evicted = reservoir[slot];
          const held = { document: index, tokens: [separatorTokens] };
          reservoir[slot] = held;
          target = held;
          if (evicted !== undefined) {
            stats.documents.train++;
            for (const tokens of evicted.tokens) await writeTrain(tokens);
          }
        } else {
          target = 'train';
          stats.documents.train++;
          await writeTrain(separatorTokens);
        }
      } else {
        const toVal =
          (split.valFraction ?? 0) > 0 &&
          hash32(split.seed, index) / 4294967296 < split.valFraction!;
        target = toVal ? 'val' : 'train';
        if (toVal) {
          stats.documents.val++;
          stats.tokens.val += separatorTokens.length;
          await val.write(separatorTokens);
        } else {
          stats.documents.train++;
          await writeTrain(separatorTokens);
        }
      }
    }
    if (target === 'train') await writeTrain(piece.tokens);
    else if (target === 'val') {
      if (piece.tokens.length > 0) {
        stats.tokens.val += piece.tokens.length;
        await val.write(piece.tokens);
      }
    } else target.tokens.push(piece.tokens);
    options.onProgress?.(stats);
  }

  if (documentCount === 0 || textTokens === 0) {
    throw new DataSourceError({
      source: options.sourceNames,
      reason: 'empty',
      message: 'empty corpus: the sources hold no text',
    });
  }
  // Held val documents go out in corpus order, not reservoir-slot order.
  reservoir.sort((a, b) => a.document - b.document);
  for (const held of reservoir) {
    stats.documents.val++;
    for (const tokens of held.tokens) {
      stats.tokens.val += tokens.length;
      await val.write(tokens);
    }
  }
  if (stats.tokens.train === 0) {
    throw new RangeError(
      `${options.sourceNames}: all ${documentCount} document(s) went to val, none to train; lower valFraction/valDocuments or add documents (a plain-text file is one document)`,
    );
  }
  options.onProgress?.(stats);
  return stats;
}
