/**
 * Byte-level BPE training (GPT-2 style): pre-tokenize the corpus, count the
 * distinct pieces, then repeatedly merge the most frequent adjacent pair.
 *
 * Only piece counts are kept, so the corpus can be streamed. Pair counts are
 * updated incrementally (only words holding the merged pair are touched) and
 * the best pair comes from a lazy max-heap, so training Brown to 4,096 tokens
 * takes seconds. Ties break by the lower (left, right) ids: the result is
 * deterministic.
 */

import { BpeTokenizer, END_OF_TEXT } from './bpe-tokenizer.js';
import { utf8EncodeInto } from './byte-level.js';
import { createPreTokenizer, GPT2_PATTERN } from './pre-tokenizer.js';

/** Options of {@link trainBpe}. */
export interface TrainBpeOptions {
  /** Target vocabulary size, counting the 256 byte tokens and the special tokens. Required. */
  vocabSize: number;
  /** Split pattern (JS regex source). Default GPT-2's. */
  pattern?: string;
  /** Special tokens, given ids after the merges; they are cut out of the corpus before counting. Default `['<|endoftext|>']`. */
  specialTokens?: readonly string[];
  /** Pairs seen fewer times than this are never merged (training may stop early). Default {@link DEFAULT_MIN_FREQUENCY}. */
  minFrequency?: number;
  /** Name of the tokenizer. Default `'bpe-<vocabSize>'`. */
  name?: string;
}

/** Default {@link TrainBpeOptions.minFrequency}. */
export const DEFAULT_MIN_FREQUENCY = 2;

const SHIFT = 2097152; // 2^21

/** Max-heap of (count, key): higher count first, then lower key. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.counts[0]!, this.keys[0]!];
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      const n = this.counts.length;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < n && this.above(l, best)) best = l;
        if (r < n && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

function splitOnSpecials(text: string, specials: readonly string[]): string[] {
  if (specials.length === 0) return [text];
  let parts = [text];
  for (const s of specials) parts = parts.flatMap((p) => p.split(s));
  return parts;
}

/**
 * Learn a byte-level BPE vocabulary from a corpus of strings (sync or async
 * iterable, streamed). Returns a tokenizer that uses the learned merges.
 */
export async function trainBpe(
  corpus: Iterable<string> | AsyncIterable<string>,
  options: TrainBpeOptions,
): Promise<BpeTokenizer> {
  const { vocabSize } = options;
  const specials = [...(options.specialTokens ?? [END_OF_TEXT])];
  const minFrequency = options.minFrequency ?? DEFAULT_MIN_FREQUENCY;
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length) {
    throw new RangeError(
      `vocabSize must be an integer ≥ ${256 + specials.length} (256 bytes + special tokens), got ${vocabSize}`,
    );
  }
  if (
    corpus === null ||
    typeof corpus !== 'object' ||
    !(Symbol.asyncIterator in corpus || Symbol.iterator in corpus)
  ) {
    throw new TypeError('trainBpe expects an iterable or async iterable of strings');
  }
  const pattern = options.pattern ?? GPT2_PATTERN;
  const pre = createPreTokenizer(pattern);

  // 1. Count distinct pieces.
  const pieceCounts = new Map<string, number>();
  for await (const chunk of corpus as AsyncIterable<string>) {
    if (typeof chunk !== 'string')
      throw new TypeError(`trainBpe: the corpus yielded ${typeof chunk}, not a string`);
    for (const part of splitOnSpecials(chunk, specials)) {
      pre.split(part, (s, e) => {
        const piece = part.slice(s, e);
        pieceCounts.set(piece, (pieceCounts.get(piece) ?? 0) + 1);
      });
    }
  }

  // 2. Words as byte-id arrays, with their counts.
  const words: number[][] = [];
  const freqs: number[] = [];
  let buffer = new Uint8Array(1024);
  for (const [piece, count] of pieceCounts) {
    if (buffer.length < piece.length * 3) buffer = new Uint8Array(piece.length * 3);
    const n = utf8EncodeInto(piece, 0, piece.length, buffer);
    if (n < 2) continue; // nothing to merge
    words.push(Array.from(buffer.subarray(0, n)));
    freqs.push(count);
  }
  pieceCounts.clear();

  const tokens: Uint8Array[] = [];
  for (let b = 0; b < 256; b++) tokens.push(Uint8Array.of(b));
  const merges: [number, number][] = [];
  const target = vocabSize - specials.length;
  learnMerges(words, freqs, {
    minFrequency,
    merge: (a, b) => {
      if (tokens.length >= target) return undefined;
      const left = tokens[a]!;
      const right = tokens[b]!;
      const joined = new Uint8Array(left.length + right.length);
      joined.set(left);
      joined.set(right, left.length);
      tokens.push(joined);
      merges.push([a, b]);
      return tokens.length - 1;
    },
  });

  const specialTokens: Record<string, number> = {};
  specials.forEach((s, i) => {
    specialTokens[s] = tokens.length + i;
  });
  return new BpeTokenizer({
    name: options.name ?? `bpe-${tokens.length + specials.length}`,
    tokens,
    rule: 'merges',
    merges,
    pattern,
    specialTokens,
  });
}

/** What {@link learnMerges} asks its caller. */
export interface MergeLearnerOptions {
  /** Pairs seen fewer times are never merged. */
  minFrequency: number;
  /** Called for the best pair: returns the id of the merged symbol, or undefined to stop. */
  merge: (left: number, right: number) => number | undefined;
}

/**
 * The BPE learning loop over words (symbol-id arrays, rewritten in place) and
 * their counts. Shared by the BPE and WordPiece trainers.
 */
export function learnMerges(
  words: number[][],
  freqs: readonly number[],
  options: MergeLearnerOptions,
): void {
  const { minFrequency } = options;
  const pairCounts = new Map<number, number>();
  const where = new Map<number, number[]>();
  for (let w = 0; w < words.length; w++) {
    const word = words[w]!;
    const f = freqs[w]!;
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i]! * SHIFT + word[i + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + f);
      let list = where.get(key);
      if (list === undefined) {
        list = [];
        where.set(key, list);
      }
      if (list[list.length - 1] !== w) list.push(w);
    }
  }
  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);
  const stamp = new Int32Array(words.length).fill(-1);
  const changed = new Set<number>();
  let round = 0;
  while (heap.size > 0) {
    const [count, key] = heap.pop();
    if (pairCounts.get(key) !== count) continue; // stale entry
    if (count < minFrequency) break;
    const a = Math.floor(key / SHIFT);
    const b = key - a * SHIFT;
    const id = options.merge(a, b);
    if (id === undefined) break;
    round++;
    changed.clear();
    for (const w of where.get(key) ?? []) {
      if (stamp[w] === round) continue;
      stamp[w] = round;
      const word = words[w]!;
      const f = freqs[w]!;
      let has = false;
      for (let i = 0; i + 1 < word.length; i++) {
        if (word[i] === a && word[i + 1] === b) {
          has = true;
          break;
        }
      }
      if (!has) continue;
      // Remove the word's old pairs, merge, add its new pairs.
      for (let i = 0; i + 1 < word.length; i++) {
        const k = word[i]! * SHIFT + word[i + 1]!;
        pairCounts.set(k, pairCounts.get(k)! - f);
        changed.add(k);
      }
      const merged: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          merged.push(id);
          i++;
        } else {
          merged.push(word[i]!);
        }
      }
      words[w] = merged;
      for (let i = 0; i + 1 < merged.length; i++) {
        const k = merged[i]! * SHIFT + merged[i + 1]!;
        pairCounts.set(k, (pairCounts.get(k) ?? 0) + f);
        changed.add(k);
        if (merged[i] === id || merged[i + 1] === id) {
          let list = where.get(k);
          if (list === undefined) {
            list = [];
            where.set(k, list);
          }
          if (list[list.length - 1] !== w) list.push(w);
        }
      }
    }
    pairCounts.delete(key);
    where.delete(key);
    for (const k of changed) {
      const c = pairCounts.get(k);
      if (c === undefined) continue;
      if (c <= 0) pairCounts.delete(k);
      else heap.push(c, k);
    }
  }
}
