/**
 * Where a long text may be cut into pieces that tokenize exactly like the whole.
 *
 * GPT-2's pre-tokenizer regex (and the BPE/WordPiece/char tokenizers built on the same idea)
 * never lets a piece run from a non-space character into following whitespace: letters, digits
 * and punctuation runs may *start* with one space but never end with one, and whitespace runs are
 * pieces of their own. So cutting just before a space, tab, CR or LF that follows a non-space
 * character cannot change the tokens. Cutting before the whole whitespace run (not inside it)
 * matters: GPT-2 treats `"\n\n"` before a word differently from `"\n\n"` at the end of a text.
 */

const ASCII_SPACE = /[ \t\n\r]/;
const ANY_SPACE = /\s/u;

/**
 * The largest index `i` with `0 < i < end` where `text[i]` is an ASCII space, tab, CR or LF and
 * `text[i - 1]` is not whitespace; -1 when there is none.
 */
export function lastSafeSplit(text: string, end: number = text.length): number {
  for (let i = Math.min(end, text.length) - 1; i > 0; i--) {
    if (ASCII_SPACE.test(text[i]!) && !ANY_SPACE.test(text[i - 1]!)) return i;
  }
  return -1;
}

/** Default piece size, in UTF-16 code units, when streaming a long document to a tokenizer. */
export const DEFAULT_PIECE_CHARS = 1 << 16;

/**
 * Re-chunk a stream of text into pieces of about `pieceChars` characters, cut only at safe split
 * points. A text with no safe point (no whitespace at all) is cut hard once it reaches
 * `16 × pieceChars`, which bounds memory at the price of possibly different tokens at that cut.
 */
export async function* safePieces(
  chunks: AsyncIterable<string> | Iterable<string>,
  pieceChars: number = DEFAULT_PIECE_CHARS,
): AsyncGenerator<string> {
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += chunk;
    while (buffer.length >= pieceChars) {
      // Prefer a piece of at most `pieceChars`; else the first longer one that can be cut.
      let cut = lastSafeSplit(buffer, pieceChars);
      if (cut <= 0) cut = lastSafeSplit(buffer);
      if (cut <= 0) {
        if (buffer.length < 16 * pieceChars) break;
        cut = buffer.length;
        // Never split a surrogate pair.
        const code = buffer.charCodeAt(cut - 1);
        if (code >= 0xd800 && code <= 0xdbff) cut--;
      }
      yield buffer.slice(0, cut);
      buffer = buffer.slice(cut);
    }
  }
  if (buffer.length > 0) yield buffer;
}
