/**
 * Pre-tokenizers: split text into pieces that BPE encodes independently.
 *
 * GPT-2's pattern is run by a hand-written scanner ({@link gpt2PieceEnd}): it is
 * several times faster than the regex in V8 and gives identical splits (the
 * tests check it against the regex on the Brown corpus and a fuzzer). Any other
 * pattern runs as a regex.
 */

/** GPT-2's split pattern (r50k_base, p50k_base). */
export const GPT2_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const LETTER = 1;
const NUMBER = 2;
const SPACE = 3;
const OTHER = 4;

/** Class of each UTF-16 code unit; 0 = not yet computed (filled lazily from JS regex classes). */
const bmpClass = new Uint8Array(65536);
const astralClass = new Map<number, number>();
const letterRe = /^\p{L}$/u;
const numberRe = /^\p{N}$/u;
/**
 * tiktoken's `\s` is Rust's: the Unicode White_Space property. JS's `\s`
 * differs on two characters (it adds U+FEFF and lacks U+0085), and js-tiktoken
 * inherits that; we follow tiktoken itself.
 */
const spaceRe = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;

function classifyCodePoint(ch: string): number {
  if (letterRe.test(ch)) return LETTER;
  if (numberRe.test(ch)) return NUMBER;
  if (spaceRe.test(ch)) return SPACE;
  return OTHER;
}

// ASCII is filled eagerly: it is the hot path.
for (let c = 0; c < 128; c++) bmpClass[c] = classifyCodePoint(String.fromCharCode(c));
// Surrogates: a lone one is "other", as in a `u` regex; pairs are classified as code points.
bmpClass.fill(OTHER, 0xd800, 0xe000);

function unitClass(c: number): number {
  let k = bmpClass[c]!;
  if (k === 0) {
    k = classifyCodePoint(String.fromCharCode(c));
    bmpClass[c] = k;
  }
  return k;
}

/** Class and width (1 or 2 code units) of the code point at `i`, packed as `class | width << 3`. */
function classAt(text: string, i: number, n: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return unitClass(c) | 8;
  const d = i + 1 < n ? text.charCodeAt(i + 1) : 0;
  if (d < 0xdc00 || d > 0xdfff) return OTHER | 8;
  const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  let k = astralClass.get(cp);
  if (k === undefined) {
    k = classifyCodePoint(String.fromCodePoint(cp));
    astralClass.set(cp, k);
  }
  return k | 16;
}

/**
 * End (exclusive) of the GPT-2 pre-tokenizer piece that starts at `i`, for
 * `i < text.length`. Mirrors the alternation order of {@link GPT2_PATTERN}.
 */
export function gpt2PieceEnd(text: string, i: number, n: number): number {
  const c = text.charCodeAt(i);
  if (c === 39 && i + 1 < n) {
    // Contractions, case-sensitive, only at the start of a piece.
    const c1 = text.charCodeAt(i + 1);
    if (c1 === 115 || c1 === 116 || c1 === 109 || c1 === 100) return i + 2; // 's 't 'm 'd
    if (i + 2 < n) {
      const c2 = text.charCodeAt(i + 2);
      if ((c1 === 114 || c1 === 118) && c2 === 101) return i + 3; // 're 've
      if (c1 === 108 && c2 === 108) return i + 3; // 'll
    }
  }
  let j = i;
  let k: number;
  if (c < 128) {
    k = bmpClass[c]!;
    if (c === 32 && i + 1 < n) {
      // ` ?` prefix: a single U+0020 joins a following letter, number or other run.
      const c1 = text.charCodeAt(i + 1);
      const k1 = c1 < 128 ? bmpClass[c1]! : classAt(text, i + 1, n) & 7;
      if (k1 !== SPACE) {
        k = k1;
        j = i + 1;
      }
    }
  } else {
    k = classAt(text, i, n) & 7;
  }
  if (k === SPACE) {
    // \s+(?!\S) | \s+ : a run followed by non-space gives back its last char
    // (all whitespace is in the BMP, so one code unit), unless the run is a single char.
    let r = i + 1;
    while (r < n) {
      const d = text.charCodeAt(r);
      if ((d < 128 ? bmpClass[d]! : unitClass(d)) !== SPACE) break;
      r++;
    }
    if (r === n || r - i === 1) return r;
    return r - 1;
  }
  // A run of one class. ASCII is checked inline; the rest goes through classAt.
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d < 128) {
      if (bmpClass[d]! !== k) break;
      j++;
    } else {
      const kw = classAt(text, j, n);
      if ((kw & 7) !== k) break;
      j += kw >> 3;
    }
  }
  return j;
}

/** Split `text` into pieces: the fast scanner for GPT-2's pattern, a regex otherwise. */
export interface PreTokenizer {
  /** The pattern source, as stored in JSON and exported to other formats. */
  readonly pattern: string;
  /** Call `emit(start, end)` for each piece of `text`, in order. */
  split(text: string, emit: (start: number, end: number) => void): void;
}

/** Build a pre-tokenizer for a split pattern (a JS regex source; the `u` flag is added). */
export function createPreTokenizer(pattern: string = GPT2_PATTERN): PreTokenizer {
  if (pattern === GPT2_PATTERN) {
    return {
      pattern,
      split(text, emit) {
        const n = text.length;
        let i = 0;
        while (i < n) {
          const e = gpt2PieceEnd(text, i, n);
          emit(i, e);
          i = e;
        }
      },
    };
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'gu');
  } catch (error) {
    throw new TypeError(
      `Invalid split pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`,
    );
  }
  return {
    pattern,
    split(text, emit) {
      re.lastIndex = 0;
      for (;;) {
        const m = re.exec(text);
        if (m === null) break;
        if (m[0].length === 0) {
          // Never loop on an empty match.
          re.lastIndex++;
          continue;
        }
        emit(m.index, m.index + m[0].length);
      }
    },
  };
}
