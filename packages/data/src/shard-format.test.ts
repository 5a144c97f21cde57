import { describe, expect, it } from 'vitest';
import { ShardFormatError } from './errors/shard-format-error.js';
import {
  decodeTokens,
  encodeShardHeader,
  encodeTokens,
  encodeTokensInto,
  parseShardHeader,
  rawUint16Layout,
  shardVersionForVocab,
} from './shard-format.js';

/** A shard built by hand, byte by byte, as llm.c's write_datafile lays it out. */
function handMadeShard(version: number, tokens: number[], magic = 20240520): Uint8Array {
  const width = version === 1 ? 2 : 4;
  const bytes = new Uint8Array(1024 + tokens.length * width);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, magic, true);
  view.setInt32(4, version, true);
  view.setInt32(8, tokens.length, true);
  tokens.forEach((t, i) => {
    if (width === 2) view.setUint16(1024 + 2 * i, t, true);
    else view.setUint32(1024 + 4 * i, t, true);
  });
  return bytes;
}

describe('llm.c shard format', () => {
  it('writes the header exactly as llm.c does (magic, version, count, then zeros)', () => {
    const header = encodeShardHeader(3, 1);
    const expected = handMadeShard(1, [7, 8, 9]).subarray(0, 1024);
    expect(header).toEqual(expected);
    expect(header.length).toBe(1024);
    expect(Array.from(header.subarray(12)).every((b) => b === 0)).toBe(true);
  });

  it('reads a hand-made uint16 (v1) and uint32 (v2) shard', () => {
    for (const [version, tokens] of [
      [1, [50256, 0, 65535, 42]],
      [2, [100000, 0, 4294967295 >>> 1, 7]],
    ] as const) {
      const shard = handMadeShard(version, [...tokens]);
      const layout = parseShardHeader(shard.subarray(0, 1024), shard.length, 'hand.bin');
      expect(layout).toEqual({
        format: 'llmc',
        bytesPerToken: version === 1 ? 2 : 4,
        dataOffset: 1024,
        tokenCount: 4,
      });
      const out = new Int32Array(4);
      decodeTokens(shard.subarray(1024), layout.bytesPerToken, out);
      expect(Array.from(out)).toEqual(tokens);
      const body = encodeTokens(tokens, version, 'hand.bin');
      expect(body).toEqual(shard.subarray(1024));
    }
  });

  it('picks uint32 only when ids exceed 65,535', () => {
    expect(shardVersionForVocab(50257)).toBe(1);
    expect(shardVersionForVocab(65536)).toBe(1);
    expect(shardVersionForVocab(65537)).toBe(2);
    expect(() => encodeTokens([70000], 1, 'x.bin')).toThrow(/does not fit shard version 1/);
    // The typed-array fast path checks the range too, and writes the same bytes.
    expect(() => encodeTokens(Uint32Array.of(1, 70000, 2), 1, 'x.bin')).toThrow(
      /token 70000 does not fit shard version 1/,
    );
    for (const version of [1, 2] as const) {
      const ids = [0, 1, 50256, 65535];
      const expected = encodeTokens(ids, version, 'y.bin');
      expect(encodeTokens(Uint32Array.from(ids), version, 'y.bin')).toEqual(expected);
      // Into a reused buffer at an offset, as the shard writer does.
      const width = version === 1 ? 2 : 4;
      const target = new Uint8Array(8 * width).fill(7);
      encodeTokensInto(Uint32Array.from(ids), version, 'y.bin', target, 2 * width);
      expect(target.subarray(2 * width, 6 * width)).toEqual(expected);
      expect(target[0]).toBe(7);
      expect(target[6 * width]).toBe(7);
      expect(() => encodeTokensInto(ids, version, 'y.bin', target, 5 * width)).toThrow(
        /y\.bin: cannot encode 4 tokens/,
      );
    }
    expect(() => encodeTokens([1.5], 2, 'z.bin')).toThrow(/token 1\.5 does not fit/);
  });

  it('rejects a bad magic, a bad version and a truncated body, naming the file', () => {
    const bad = handMadeShard(1, [1, 2], 12345);
    expect(() => parseShardHeader(bad, bad.length, 'bad.bin')).toThrow(
      /bad\.bin: bad magic number 12345/,
    );
    const v3 = handMadeShard(1, [1, 2]);
    new DataView(v3.buffer).setInt32(4, 3, true);
    expect(() => parseShardHeader(v3, v3.length, 'v3.bin')).toThrow(/unsupported shard version 3/);
    const good = handMadeShard(1, [1, 2, 3]);
    let error: unknown;
    try {
      parseShardHeader(good, good.length - 1, 'short.bin');
    } catch (e) {
      error = e;
    }
    expect(ShardFormatError.isInstance(error)).toBe(true);
    expect((error as ShardFormatError).reason).toBe('truncated');
    expect((error as Error).message).toMatch(
      /short\.bin: truncated: header says 3 tokens \(1030 bytes\) but the file has 1029/,
    );
    expect(() => parseShardHeader(good.subarray(0, 100), 100, 'tiny.bin')).toThrow(
      /shorter than the 1024-byte/,
    );
    expect(() => parseShardHeader(good, good.length + 2, 'long.bin')).toThrow(/long\.bin/);
  });

  it('describes nanoGPT raw uint16 files', () => {
    expect(rawUint16Layout(10, 'train.bin')).toEqual({
      format: 'nanogpt',
      bytesPerToken: 2,
      dataOffset: 0,
      tokenCount: 5,
    });
    expect(() => rawUint16Layout(11, 'train.bin')).toThrow(/even size/);
  });
});
