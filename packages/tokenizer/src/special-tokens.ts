/**
 * Special-token handling shared by every tokenizer, with tiktoken's rules:
 * allowed specials become their ids, disallowed ones found in the text throw,
 * and the rest is ordinary text.
 */

import { DisallowedSpecialTokenError } from './errors/disallowed-special-token-error.js';
import type { EncodeOptions } from './types.js';

/** Compiled handling for one `EncodeOptions` value. */
export interface SpecialPlan {
  /** Special tokens to turn into ids (may be empty). */
  allowed: ReadonlyMap<string, number>;
  /** A regex finding any allowed special, longest first; undefined when none are allowed. */
  finder: RegExp | undefined;
  /** Special tokens that must not appear. */
  disallowed: readonly string[];
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toList(
  value: 'all' | Iterable<string> | undefined,
  name: string,
): 'all' | string[] | undefined {
  if (value === undefined) return undefined;
  if (value === 'all') return 'all';
  if (
    typeof value === 'string' ||
    typeof (value as Iterable<string>)[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(
      `${name} must be 'all' or an iterable of strings, got ${JSON.stringify(value)}`,
    );
  }
  return Array.from(value as Iterable<string>);
}

/** Resolve options against a tokenizer's special tokens. */
export function planSpecials(
  specials: ReadonlyMap<string, number>,
  options: EncodeOptions | undefined,
): SpecialPlan {
  const allowedList = toList(options?.allowedSpecial, 'allowedSpecial');
  const disallowedList = toList(options?.disallowedSpecial, 'disallowedSpecial') ?? 'all';
  const allowed = new Map<string, number>();
  if (allowedList === 'all') {
    for (const [k, v] of specials) allowed.set(k, v);
  } else if (allowedList) {
    for (const token of allowedList) {
      const id = specials.get(token);
      if (id === undefined) {
        throw new RangeError(
          `allowedSpecial: ${JSON.stringify(token)} is not a special token of this tokenizer (it has ${[...specials.keys()].map((k) => JSON.stringify(k)).join(', ') || 'none'})`,
        );
      }
      allowed.set(token, id);
    }
  }
  const disallowed =
    disallowedList === 'all'
      ? [...specials.keys()].filter((k) => !allowed.has(k))
      : disallowedList.filter((k) => !allowed.has(k));
  const sorted = [...allowed.keys()].sort((a, b) => b.length - a.length);
  const finder = sorted.length > 0 ? new RegExp(sorted.map(escapeRegex).join('|'), 'g') : undefined;
  return { allowed, finder, disallowed };
}

/** Throw if `text` holds a disallowed special token. */
export function checkDisallowed(text: string, plan: SpecialPlan): void {
  for (const token of plan.disallowed) {
    if (token === '') continue;
    const index = text.indexOf(token);
    if (index >= 0) throw new DisallowedSpecialTokenError(token, index);
  }
}

/**
 * Encode `text`, calling `ordinary(start, end)` for plain stretches and pushing
 * allowed specials' ids to `out`.
 */
export function encodeWithSpecials(
  text: string,
  plan: SpecialPlan,
  out: number[],
  ordinary: (text: string, out: number[]) => void,
): void {
  checkDisallowed(text, plan);
  const finder = plan.finder;
  if (finder === undefined) {
    ordinary(text, out);
    return;
  }
  finder.lastIndex = 0;
  let start = 0;
  for (;;) {
    const m = finder.exec(text);
    if (m === null) break;
    if (m.index > start) ordinary(text.slice(start, m.index), out);
    out.push(plan.allowed.get(m[0])!);
    start = m.index + m[0].length;
  }
  if (start < text.length) ordinary(start === 0 ? text : text.slice(start), out);
}

/** Validate ids for decode: an array-like of integers in [0, vocabSize) that `known` accepts. */
export function checkIds(
  ids: ArrayLike<number>,
  vocabSize: number,
  known: (id: number) => boolean,
): void {
  if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') {
    throw new TypeError(
      `decode expects an array of token ids, got ${ids === null ? 'null' : typeof ids}`,
    );
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      throw new TypeError(`decode: ids[${i}] is ${String(id)}, not an integer token id`);
    }
    if (id < 0 || id >= vocabSize || !known(id)) {
      throw new RangeError(
        `decode: ids[${i}] = ${id} is not a token id (vocabulary has ids 0..${vocabSize - 1})`,
      );
    }
  }
}

/** Throw a TypeError unless `text` is a string. */
export function checkText(text: unknown, method = 'encode'): asserts text is string {
  if (typeof text !== 'string') {
    throw new TypeError(`${method} expects a string, got ${text === null ? 'null' : typeof text}`);
  }
}
