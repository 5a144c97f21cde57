import { describe, expect, it } from 'vitest';
import { DataSourceError } from '../errors/data-source-error.js';
import { splitLines } from './lines.js';
import { lastSafeSplit, safePieces } from './split-points.js';
import { decodeUtf8Stream, firstInvalidUtf8, incompleteTailStart } from './utf8.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('decodeUtf8Stream', () => {
  const text = 'héllo wörld — 日本語 🎉 done\n';
  const bytes = new TextEncoder().encode(text);

  it('decodes multi-byte characters split across every chunk boundary', async () => {
    for (const size of [1, 2, 3, 5, 64]) {
      const parts = await collect(decodeUtf8Stream(chunksOf(bytes, size), { source: 'x' }));
      expect(parts.join('')).toBe(text);
    }
  });

  it("'error' (default) names the source, byte offset and line", async () => {
    const bad = new Uint8Array([...new TextEncoder().encode('ok\nline two '), 0xff, 0x41]);
    let error: unknown;
    try {
      await collect(decodeUtf8Stream(chunksOf(bad, 4), { source: 'corpus.txt' }));
    } catch (e) {
      error = e;
    }
    expect(DataSourceError.isInstance(error)).toBe(true);
    expect((error as DataSourceError).reason).toBe('invalid-utf8');
    expect((error as DataSourceError).byteOffset).toBe(12);
    expect((error as Error).message).toMatch(
      /corpus\.txt \(byte 12\): invalid UTF-8 at byte 12 \(line 2\)/,
    );
  });

  it('counts lines over many chunks, also for a truncated sequence at the very end', async () => {
    const encoder = new TextEncoder();
    const cases: [Uint8Array, number, number][] = [
      [new Uint8Array([...encoder.encode('a\nbb\nccc\ndddd\ne'), 0xff]), 3, 5],
      [new Uint8Array([...encoder.encode('x\ny\n\n'), 0xe2, 0x82]), 2, 4],
      [new Uint8Array([...encoder.encode('one line'), 0xc0, 0x80]), 1 << 20, 1],
    ];
    for (const [bad, size, line] of cases) {
      await expect(collect(decodeUtf8Stream(chunksOf(bad, size), { source: 'f' }))).rejects.toThrow(
        new RegExp(`\\(line ${line}\\)`),
      );
    }
  });

  it("'replace' substitutes U+FFFD like TextDecoder", async () => {
    const bad = new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82]);
    const parts = await collect(
      decodeUtf8Stream(chunksOf(bad, 1), { source: 'x', invalidUtf8: 'replace' }),
    );
    expect(parts.join('')).toBe('a\uFFFDb\uFFFD');
  });

  it('validates overlongs and surrogates, and finds incomplete tails', () => {
    expect(firstInvalidUtf8(new Uint8Array([0x41, 0xc0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(0);
    expect(firstInvalidUtf8(bytes)).toBe(-1);
    expect(incompleteTailStart(new Uint8Array([0x41, 0xf0, 0x9f]))).toBe(1);
    expect(incompleteTailStart(new Uint8Array([0x41, 0xc3, 0xa9]))).toBe(3);
  });
});

describe('splitLines', () => {
  it('splits across chunks, handles CRLF and a last line without newline', async () => {
    async function* chunks() {
      yield 'a\r\nb';
      yield 'c\n\nd';
    }
    expect(await collect(splitLines(chunks()))).toEqual([
      [1, 'a'],
      [2, 'bc'],
      [3, ''],
      [4, 'd'],
    ]);
  });
});

describe('safe split points', () => {
  it('cuts only before a whitespace run that follows a non-space', () => {
    expect(lastSafeSplit('ab  cd')).toBe(2);
    expect(lastSafeSplit('ab\n\ncd  ')).toBe(6);
    expect(lastSafeSplit('   ')).toBe(-1);
    expect(lastSafeSplit('abc')).toBe(-1);
  });

  it('re-chunks a long text into pieces that concatenate to the original', async () => {
    const text = Array.from(
      { length: 2000 },
      (_, i) => `word${i}${i % 7 === 0 ? '\n\n' : ' '}`,
    ).join('');
    const pieces = await collect(safePieces([text.slice(0, 5000), text.slice(5000)], 1000));
    expect(pieces.join('')).toBe(text);
    expect(pieces.length).toBeGreaterThan(5);
    for (const piece of pieces.slice(1)) expect(piece[0]).toMatch(/\s/);
  });
});
