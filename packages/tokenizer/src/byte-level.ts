/**
 * Byte-level helpers shared by every byte-level BPE: GPT-2's bytes-to-unicode
 * table (how `encoder.json`, `vocab.bpe` and HF `tokenizer.json` spell bytes as
 * printable characters), UTF-8 encoding without allocation, and latin1 "binary"
 * strings, which key token byte sequences in a `Map` as tiktoken's JS port does.
 */

let byteToUnicodeTable: string[] | undefined;
let unicodeToByteTable: Map<string, number> | undefined;

/**
 * GPT-2's `bytes_to_unicode()`: printable latin1 bytes map to themselves, the
 * other 68 bytes to U+0100 onwards, in byte order (openai/gpt-2 `encoder.py`).
 */
export function byteToUnicode(): readonly string[] {
  if (byteToUnicodeTable) return byteToUnicodeTable;
  const table: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable =
      (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : next++);
  }
  byteToUnicodeTable = table;
  return table;
}

/** Inverse of {@link byteToUnicode}: character → byte. */
export function unicodeToByte(): ReadonlyMap<string, number> {
  if (unicodeToByteTable) return unicodeToByteTable;
  const map = new Map<string, number>();
  byteToUnicode().forEach((ch, b) => {
    map.set(ch, b);
  });
  unicodeToByteTable = map;
  return map;
}

/** Spell bytes as GPT-2's printable characters (`Ġ` for a space). */
export function bytesToUnicodeString(bytes: Uint8Array): string {
  const table = byteToUnicode();
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += table[bytes[i]!];
  return s;
}

/** Decode a GPT-2 printable spelling back to bytes; `undefined` if a character is not one of the 256. */
export function unicodeStringToBytes(s: string): Uint8Array | undefined {
  const map = unicodeToByte();
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = map.get(s[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

/** Bytes as a latin1 string: one char per byte (a cheap, exact Map key). */
export function bytesToBinary(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  // String.fromCharCode.apply is fast for short runs; chunk to stay under argument limits.
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + 8192)) as unknown as number[],
    );
  }
  return s;
}

/** Latin1 string back to bytes. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * UTF-8 encode `text[start, end)` into `out` (which must hold 3 bytes per code
 * unit). Lone surrogates become U+FFFD (EF BF BD), as TextEncoder and tiktoken
 * do. Returns the byte count.
 */
export function utf8EncodeInto(text: string, start: number, end: number, out: Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 63);
        out[n++] = 0x80 | ((c >> 6) & 63);
        out[n++] = 0x80 | (c & 63);
      } else {
        out[n++] = 0xef;
        out[n++] = 0xbf;
        out[n++] = 0xbd;
      }
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}
