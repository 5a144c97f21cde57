import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat32, float16ToFloat32, float32ToFloat16 } from './dtypes.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { SafetensorsFormatError } from './safetensors-format-error.js';

const FIXTURES = new URL('../__fixtures__/', import.meta.url);

/** A safetensors file assembled by hand: header JSON as given (no padding), then `body`. */
function handMade(header: unknown, body: Uint8Array, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === 'string' ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + json.byteLength + body.byteLength);
  new DataView(out.buffer).setUint32(0, declaredLength ?? json.byteLength, true);
  out.set(json, 8);
  out.set(body, 8 + json.byteLength);
  return out;
}

function u16(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (const [i, v] of values.entries()) view.setUint16(i * 2, v, true);
  return out;
}

function formatError(run: () => unknown): SafetensorsFormatError {
  try {
    run();
  } catch (error) {
    expect(SafetensorsFormatError.isInstance(error)).toBe(true);
    return error as SafetensorsFormatError;
  }
  throw new Error('expected a SafetensorsFormatError');
}

describe('safetensors codec', () => {
  it('round-trips F32 and I32 tensors with metadata, 8-byte aligned', () => {
    const a = new Float32Array([1.5, -2.25, 3.125e-8, 6e30, 0, -0]);
    const ids = new Int32Array([7, -1, 2 ** 31 - 1]);
    const exact = new Float64Array([Math.PI, 1e-300]);
    const bytes = writeSafetensors(
      {
        a: { shape: [2, 3], data: a },
        ids: { shape: [3], data: ids },
        exact: { shape: [2], data: exact },
      },
      { metadata: { format: 'pt', note: 'x' } },
    );
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    expect((8 + headerLength) % 8).toBe(0);
    const file = readSafetensors(bytes, { source: 'round-trip' });
    expect(file.metadata).toEqual({ format: 'pt', note: 'x' });
    expect([...file.tensors.keys()]).toEqual(['a', 'ids', 'exact']);
    expect(file.tensors.get('exact')).toEqual({ dtype: 'F64', shape: [2], data: exact });
    expect(file.tensors.get('a')).toEqual({ dtype: 'F32', shape: [2, 3], data: a });
    expect(file.tensors.get('ids')).toEqual({ dtype: 'I32', shape: [3], data: ids });
  });

  it('decodes F16 and BF16 to the exact float32 values', () => {
    // Known bit patterns: 1, -2, 65504 (max half), 2^-24 (smallest subnormal), 2^-14 (smallest normal), Inf, 0.333251953125.
    const half = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0x3555];
    const halfValues = [1, -2, 65504, 2 ** -24, 2 ** -14, Number.POSITIVE_INFINITY, 0.333251953125];
    // bfloat16: 1, -2, pi (0x4049 = 3.140625), 0x7e96 = 9.969209968386869e37, -Inf.
    const bf16 = [0x3f80, 0xc000, 0x4049, 0x7e96, 0xff80];
    const bf16Values = [1, -2, 3.140625, 9.969209968386869e37, Number.NEGATIVE_INFINITY];
    const body = new Uint8Array([...u16(half), ...u16(bf16)]);
    const file = readSafetensors(
      handMade(
        {
          h: { dtype: 'F16', shape: [7], data_offsets: [0, 14] },
          b: { dtype: 'BF16', shape: [5], data_offsets: [14, 24] },
        },
        body,
      ),
    );
    expect([...file.tensors.get('h')!.data]).toEqual(halfValues);
    expect([...file.tensors.get('b')!.data]).toEqual(bf16Values);
    expect(float16ToFloat32(0x7e00)).toBeNaN();
    expect(bfloat16ToFloat32(0x3f80)).toBe(1);
  });

  it('encodes F16 with round-to-nearest-even, and F16 files round-trip', () => {
    expect(float32ToFloat16(1)).toBe(0x3c00);
    expect(float32ToFloat16(65504)).toBe(0x7bff);
    expect(float32ToFloat16(65520)).toBe(0x7c00); // rounds up to Infinity
    expect(float32ToFloat16(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16(2 ** -25)).toBe(0x0000); // halfway to 0 and 2^-24: even is 0
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00); // halfway, ties to even
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToFloat16(-0)).toBe(0x8000);
    for (let bits = 0; bits < 0x7c00; bits += 7)
      expect(float32ToFloat16(float16ToFloat32(bits))).toBe(bits);
    const values = new Float32Array([0.1, -3.7, 1000.5, 1e-6]);
    const back = readSafetensors(
      writeSafetensors({ x: { shape: [4], data: values, dtype: 'F16' } }),
    );
    const x = back.tensors.get('x')!;
    expect(x.dtype).toBe('F16');
    // Half a unit in the last place: 2^-11 relative for normal halves, 2^-25 absolute below 2^-14 (subnormals).
    x.data.forEach((v, i) => {
      const bound = Math.max(Math.abs(values[i]!) * 2 ** -11, 2 ** -25);
      expect(Math.abs(v - values[i]!)).toBeLessThanOrEqual(bound);
    });
  });

  it('decodes I64 to int32 and rejects values outside int32', () => {
    const body = new Uint8Array(24);
    const view = new DataView(body.buffer);
    view.setBigInt64(0, 5n, true);
    view.setBigInt64(8, -3n, true);
    view.setBigInt64(16, 2n ** 31n, true);
    const ok = readSafetensors(
      handMade({ i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, body.subarray(0, 16)),
    );
    expect([...ok.tensors.get('i')!.data]).toEqual([5, -3]);
    const error = formatError(() =>
      readSafetensors(handMade({ i: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }, body), {
        source: 'ids.st',
      }),
    );
    expect(error.message).toMatch(/ids\.st.*"i".*element 2 does not fit in int32/);
  });

  it('reports corrupt headers with the source and the problem', () => {
    const body = new Uint8Array(8);
    const entry = (offsets: number[], shape = [2]) => ({
      dtype: 'F32',
      shape,
      data_offsets: offsets,
    });
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(5), /5 bytes is too short/],
      [handMade({ a: entry([0, 8]) }, body, 2 ** 31), /header length 2147483648 is not plausible/],
      [handMade({ a: entry([0, 8]) }, body, 9000), /runs past the end of the file/],
      [handMade('{"a": [1, 2', body), /not valid UTF-8 JSON/],
      [handMade('[1, 2]', body), /not a JSON object/],
      [handMade({ a: { shape: [2], data_offsets: [0, 8] } }, body), /"a".*unknown dtype undefined/],
      [handMade({ a: { dtype: 'F32', data_offsets: [0, 8] } }, body), /"a".*shape undefined/],
      [
        handMade({ a: { dtype: 'F32', shape: [2] } }, body),
        /"a".*data_offsets undefined is not \[begin, end\]/,
      ],
      [handMade({ a: entry([0, 16]) }, body), /"a".*hold 16 bytes, but F32 \[2\] needs 8/],
      [handMade({ a: entry([0, 8], [4]) }, body), /needs 16/],
      [handMade({ a: entry([8, 16]) }, body), /bytes \[0, 8\) before it belong to no tensor/],
      [handMade({ a: entry([0, 8]), b: entry([4, 12]) }, new Uint8Array(12)), /"b".*overlap "a"/],
      [
        handMade({ a: entry([0, 8]), b: entry([8, 16]) }, body),
        /"b".*truncated \(it should be \d+ bytes/,
      ],
      [handMade({ a: entry([0, 8]) }, new Uint8Array(12)), /4 bytes follow the last tensor/],
      [
        handMade({ __metadata__: { n: 1 }, a: entry([0, 8]) }, body),
        /__metadata__\.n is not a string/,
      ],
    ];
    for (const [bytes, message] of cases) {
      const error = formatError(() => readSafetensors(bytes, { source: 'bad.safetensors' }));
      expect(error.message).toContain('bad.safetensors');
      expect(error.message).toMatch(message);
    }
  });

  it('reads the PyTorch-written fixtures (weights, int32 ids, float64 scalars, metadata)', () => {
    const model = readSafetensors(readFileSync(new URL('reference-model.safetensors', FIXTURES)));
    expect(model.metadata.format).toBe('pt');
    expect(model.tensors.get('wte.weight')?.shape).toEqual([4096, 48]);
    expect(model.tensors.get('h.1.attn.c_attn.weight')?.shape).toEqual([48, 144]);
    const io = readSafetensors(readFileSync(new URL('reference-io.safetensors', FIXTURES)));
    expect(io.tensors.get('ids')).toMatchObject({ dtype: 'I32', shape: [2, 16] });
    expect(io.tensors.get('loss.f64')?.dtype).toBe('F64');
    const loss64 = io.tensors.get('loss.f64')!.data;
    expect(loss64).toBeInstanceOf(Float64Array); // F64 keeps its precision
    expect(Math.fround(loss64[0]!)).toBe(io.tensors.get('loss')!.data[0]);
    expect(JSON.parse(io.metadata.config!).n_embd).toBe(48);
    expect(io.tensors.get('ppl.n_scored')!.data[0]).toBe(99);
  });
});
