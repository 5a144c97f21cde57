/**
 * The byte-level BPE model: token byte sequences, and the merge loop that turns
 * one pre-tokenized piece's UTF-8 bytes into token ids.
 *
 * Two merge rules are supported, one engine for both:
 * - `ranks` (tiktoken): two adjacent parts merge when their concatenated bytes
 *   are a token; the lowest rank (= id) merges first. GPT-2 from OpenAI's files.
 * - `merges` (GPT-2's encoder.py, Hugging Face, our trainer): only the listed
 *   pairs merge, in list order.
 *
 * Both become a pair table `(left, right) → (priority, result)`; in `ranks`
 * mode it is filled lazily, since most pairs are never asked for.
 */

import { bytesToBinary } from './byte-level.js';

/** How adjacent parts merge: see the module comment. */
export type MergeRule = 'ranks' | 'merges';

/** Pieces longer than this (bytes) use the heap merge, O(n log n); shorter ones the simple loop. */
export const DEFAULT_HEAP_THRESHOLD = 128;

const SHIFT = 2097152; // 2^21: ids and priorities are below this, so (a * SHIFT + b) is exact
const NO_PAIR = -1;
const POS_SHIFT = 67108864; // 2^26: byte positions in one heap-merged piece are below this

/** Construction input of a {@link BpeModel}. */
export interface BpeModelInit {
  /** Bytes of each mergeable token, indexed by id; `undefined` for ids that are not (specials, gaps). */
  tokens: ReadonlyArray<Uint8Array | undefined>;
  /** Merge rule. */
  rule: MergeRule;
  /** For `merges`: pairs `[left, right]` in priority order (their result is the token of the joined bytes). */
  merges?: ReadonlyArray<readonly [number, number]>;
}

/** Token bytes plus the merge engine. Immutable after construction (apart from caches). */
export class BpeModel {
  readonly rule: MergeRule;
  /** Binary (latin1) string of each token's bytes, indexed by id; '' where there is none. */
  readonly tokenStrings: string[];
  /** Binary string of bytes → id. */
  readonly encoder: Map<string, number>;
  /** Id of each single byte. */
  readonly byteIds: Int32Array;
  /** The merge list, for `merges` models (exports need it). */
  readonly merges: ReadonlyArray<readonly [number, number]> | undefined;
  private readonly pairs = new Map<number, number>();
  private scratch = new Int32Array(256);
  private scratchPriority = new Float64Array(256);

  constructor(init: BpeModelInit) {
    this.rule = init.rule;
    const n = init.tokens.length;
    this.tokenStrings = new Array<string>(n);
    this.encoder = new Map();
    for (let id = 0; id < n; id++) {
      const bytes = init.tokens[id];
      if (bytes === undefined || bytes.length === 0) {
        this.tokenStrings[id] = '';
        continue;
      }
      const s = bytesToBinary(bytes);
      this.tokenStrings[id] = s;
      if (this.encoder.has(s)) {
        throw new RangeError(`Tokens ${this.encoder.get(s)} and ${id} have the same bytes`);
      }
      this.encoder.set(s, id);
    }
    if (n >= SHIFT) throw new RangeError(`Vocabulary too large: ${n} ids (at most ${SHIFT})`);
    this.byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = this.encoder.get(String.fromCharCode(b));
      if (id === undefined) {
        throw new RangeError(
          `Byte 0x${b.toString(16).padStart(2, '0')} has no token: a byte-level vocabulary needs all 256`,
        );
      }
      this.byteIds[b] = id;
    }
    this.merges = init.merges;
    if (init.rule === 'merges') {
      const merges = init.merges ?? [];
      for (let p = 0; p < merges.length; p++) {
        const [a, b] = merges[p]!;
        const left = this.tokenStrings[a];
        const right = this.tokenStrings[b];
        if (!left || !right)
          throw new RangeError(`Merge ${p} (${a}, ${b}) refers to an unknown token`);
        const result = this.encoder.get(left + right);
        if (result === undefined) {
          throw new RangeError(`Merge ${p} (${a}, ${b}): the joined bytes are not a token`);
        }
        const key = a * SHIFT + b;
        // The first listing of a pair wins, as in Hugging Face.
        if (!this.pairs.has(key)) this.pairs.set(key, p * SHIFT + result);
      }
    }
  }

  /** Packed `(priority * 2^21 + result)` of merging `left` and `right`, or -1. */
  private pair(left: number, right: number): number {
    const key = left * SHIFT + right;
    const v = this.pairs.get(key);
    if (v !== undefined) return v;
    if (this.rule === 'merges') return NO_PAIR;
    const id = this.encoder.get(this.tokenStrings[left]! + this.tokenStrings[right]!);
    const packed = id === undefined ? NO_PAIR : id * SHIFT + id;
    // Bounded memo: a pathological input cannot grow it without limit.
    if (this.pairs.size > 4_000_000) this.pairs.clear();
    this.pairs.set(key, packed);
    return packed;
  }

  /**
   * Encode `bytes[0, length)` (one piece) and append the ids to `out`.
   * `heapThreshold` picks the algorithm (exposed so tests can compare both).
   */
  encodeBytes(
    bytes: Uint8Array,
    length: number,
    out: number[],
    heapThreshold: number = DEFAULT_HEAP_THRESHOLD,
  ): void {
    if (length === 0) return;
    if (length === 1) {
      out.push(this.byteIds[bytes[0]!]!);
      return;
    }
    if (length > heapThreshold) {
      this.encodeHeap(bytes, length, out);
      return;
    }
    if (this.scratch.length < length) {
      this.scratch = new Int32Array(length * 2);
      this.scratchPriority = new Float64Array(length * 2);
    }
    // parts[i]: token id; prio[i]: packed pair value of (parts[i], parts[i+1]).
    const parts = this.scratch;
    const prio = this.scratchPriority;
    let m = length;
    for (let i = 0; i < m; i++) parts[i] = this.byteIds[bytes[i]!]!;
    for (let i = 0; i < m - 1; i++) prio[i] = this.pair(parts[i]!, parts[i + 1]!);
    while (m > 1) {
      let best = -1;
      let bestValue = Number.POSITIVE_INFINITY;
      for (let i = 0; i < m - 1; i++) {
        const v = prio[i]!;
        // Strict < keeps the leftmost of equal priorities, as tiktoken does.
        if (v !== NO_PAIR && v < bestValue) {
          bestValue = v;
          best = i;
        }
      }
      if (best < 0) break;
      parts[best] = bestValue % SHIFT;
      for (let i = best + 1; i < m - 1; i++) {
        parts[i] = parts[i + 1]!;
        prio[i] = prio[i + 1]!;
      }
      m--;
      if (best > 0) prio[best - 1] = this.pair(parts[best - 1]!, parts[best]!);
      if (best < m - 1) prio[best] = this.pair(parts[best]!, parts[best + 1]!);
    }
    for (let i = 0; i < m; i++) out.push(parts[i]!);
  }

  /** Heap merge for long pieces: a doubly linked list of parts and a min-heap of candidate pairs. */
  private encodeHeap(bytes: Uint8Array, length: number, out: number[]): void {
    if (length >= POS_SHIFT) {
      // Split absurdly long pieces; only reachable with a > 64 MB run of one character class.
      for (let s = 0; s < length; s += POS_SHIFT - 1) {
        this.encodeHeap(bytes.subarray(s), Math.min(POS_SHIFT - 1, length - s), out);
      }
      return;
    }
    const id = new Int32Array(length);
    const next = new Int32Array(length);
    const prev = new Int32Array(length);
    for (let i = 0; i < length; i++) {
      id[i] = this.byteIds[bytes[i]!]!;
      next[i] = i + 1 < length ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new MinHeap(length);
    for (let i = 0; i + 1 < length; i++) {
      const v = this.pair(id[i]!, id[i + 1]!);
      if (v !== NO_PAIR) heap.push(Math.floor(v / SHIFT) * POS_SHIFT + i);
    }
    while (heap.size > 0) {
      const entry = heap.pop();
      const priority = Math.floor(entry / POS_SHIFT);
      const pos = entry - priority * POS_SHIFT;
      // Skip stale entries: the part was merged away, or its pair changed.
      if (id[pos]! < 0) continue;
      const right = next[pos]!;
      if (right < 0) continue;
      const v = this.pair(id[pos]!, id[right]!);
      if (v === NO_PAIR || Math.floor(v / SHIFT) !== priority) continue;
      id[pos] = v % SHIFT;
      id[right] = -1;
      const after = next[right]!;
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = prev[pos]!;
      if (before >= 0) {
        const w = this.pair(id[before]!, id[pos]!);
        if (w !== NO_PAIR) heap.push(Math.floor(w / SHIFT) * POS_SHIFT + before);
      }
      if (after >= 0) {
        const w = this.pair(id[pos]!, id[after]!);
        if (w !== NO_PAIR) heap.push(Math.floor(w / SHIFT) * POS_SHIFT + pos);
      }
    }
    for (let i = 0; i >= 0; i = next[i]!) out.push(id[i]!);
  }

  /**
   * The two tokens that `rank`'s bytes split into when merged with only lower
   * priorities allowed: recovers a merge list from a rank table (for HF export).
   */
  splitToken(id: number): [number, number] | undefined {
    const s = this.tokenStrings[id];
    if (!s || s.length < 2) return undefined;
    const parts: number[] = [];
    for (let i = 0; i < s.length; i++) parts.push(this.byteIds[s.charCodeAt(i)]!);
    for (;;) {
      let best = -1;
      let bestValue = Number.POSITIVE_INFINITY;
      for (let i = 0; i < parts.length - 1; i++) {
        const v = this.pair(parts[i]!, parts[i + 1]!);
        if (v !== NO_PAIR && v < bestValue && Math.floor(v / SHIFT) < id) {
          bestValue = v;
          best = i;
        }
      }
      if (best < 0) break;
      parts.splice(best, 2, bestValue % SHIFT);
    }
    return parts.length === 2 ? [parts[0]!, parts[1]!] : undefined;
  }
}

/** Binary min-heap of non-negative doubles, in a growable Float64Array. */
class MinHeap {
  private data: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.data = new Float64Array(Math.max(16, capacity));
  }

  push(value: number): void {
    if (this.size === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const d = this.data;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = d[parent]!;
      if (p <= value) break;
      d[i] = p;
      i = parent;
    }
    d[i] = value;
  }

  pop(): number {
    const d = this.data;
    const top = d[0]!;
    const last = d[--this.size]!;
    const n = this.size;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && d[child + 1]! < d[child]!) child++;
      if (d[child]! >= last) break;
      d[i] = d[child]!;
      i = child;
    }
    d[i] = last;
    return top;
  }
}
