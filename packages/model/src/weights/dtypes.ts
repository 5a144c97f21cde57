/**
 * safetensors dtypes: element sizes, and conversions of raw little-endian bytes
 * to the typed arrays tfjs takes (float32 for weights, int32 for token ids).
 */

/** Bytes per element of every dtype the safetensors format defines. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** Dtypes that decode to float32 (weights). */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

/** Dtypes that decode to int32 (token ids in fixtures). */
export const INT_DTYPES = ['I32', 'I64'] as const;
export type IntDtype = (typeof INT_DTYPES)[number];

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype);
}

export function isIntDtype(dtype: string): dtype is IntDtype {
  return (INT_DTYPES as readonly string[]).includes(dtype);
}

/** safetensors stores little-endian; typed arrays use the host's order (little-endian on every platform we target). */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A fresh, aligned copy of `bytes`: typed-array views need alignment, and tfjs may keep the array it is given. */
function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

let halfTable: Float32Array | undefined;

/** All 65,536 float16 values as float32, built on first use (256 KiB): decoding is then one lookup per element. */
function float16Table(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) table[h] = sign * fraction * 2 ** -24;
    else if (exponent === 31)
      table[h] = fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
    else table[h] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  halfTable = table;
  return table;
}

/** float16 bits → float32 value. */
export function float16ToFloat32(bits: number): number {
  return float16Table()[bits & 0xffff]!;
}

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** float32 value → float16 bits, rounding to nearest even; overflow gives ±Infinity. */
export function float32ToFloat16(value: number): number {
  scratchFloat[0] = value;
  const x = scratchBits[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200); // Inf, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = m * 2^-24, m = (1.mantissa) >> (14 - e).
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return half;
}

/** bfloat16 bits → float32 value (bfloat16 is the top half of a float32: exact). */
export function bfloat16ToFloat32(bits: number): number {
  scratchBits[0] = (bits & 0xffff) << 16;
  return scratchFloat[0]!;
}

/**
 * float32 value → bfloat16 bits, rounding to nearest even, exactly as
 * PyTorch's `tensor.to(torch.bfloat16)` does (c10's `round_to_nearest_even`):
 * any NaN becomes 0x7fc0, overflow rounds to ±Infinity.
 */
export function float32ToBfloat16(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchBits[0]!;
  if (Number.isNaN(scratchFloat[0])) return 0x7fc0;
  return ((bits + (((bits >>> 16) & 1) + 0x7fff)) >>> 16) & 0xffff;
}

/** Encodes float32 values as little-endian bfloat16 bytes (round to nearest even, as PyTorch). */
export function encodeBfloat16(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++)
    view.setUint16(i * 2, float32ToBfloat16(values[i]!), true);
  return out;
}

/** Decodes little-endian F32/F16/BF16/F64 bytes into a new Float32Array of `count` elements. */
export function decodeFloat(dtype: FloatDtype, bytes: Uint8Array, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      if (HOST_IS_LITTLE_ENDIAN) return new Float32Array(alignedCopy(bytes));
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F16': {
      const table = float16Table();
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)]!;
      return out;
    }
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
  }
}

/** Decodes little-endian F64 bytes into a new Float64Array (no rounding to float32). */
export function decodeFloat64(bytes: Uint8Array, count: number): Float64Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Float64Array(alignedCopy(bytes));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/**
 * Decodes little-endian I32/I64 bytes into a new Int32Array. I64 values must fit
 * int32 (token ids do); returns the index of the first one that does not instead.
 */
export function decodeInt(
  dtype: IntDtype,
  bytes: Uint8Array,
  count: number,
): Int32Array | { outOfRange: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'I32') {
    if (HOST_IS_LITTLE_ENDIAN) return new Int32Array(alignedCopy(bytes));
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
    return out;
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const low = view.getUint32(i * 8, true);
    const high = view.getInt32(i * 8 + 4, true);
    // In int32 range iff the high word is the sign extension of the low word's top bit.
    if (high !== (low & 0x80000000 ? -1 : 0)) return { outOfRange: i };
    out[i] = low | 0;
  }
  return out;
}

/** Encodes float32 values as little-endian F32 or F16 bytes. */
export function encodeFloat(dtype: 'F32' | 'F16', values: Float32Array): Uint8Array {
  if (dtype === 'F32') {
    if (HOST_IS_LITTLE_ENDIAN)
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const out = new Uint8Array(values.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return out;
  }
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, float32ToFloat16(values[i]!), true);
  return out;
}

/** Encodes int32 or float64 values as little-endian I32 or F64 bytes (a copy). */
export function encodeExact(values: Int32Array | Float64Array): Uint8Array {
  const size = values.BYTES_PER_ELEMENT;
  const out = new Uint8Array(values.length * size);
  if (HOST_IS_LITTLE_ENDIAN) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return out;
  }
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Int32Array) view.setInt32(i * 4, values[i]!, true);
    else view.setFloat64(i * 8, values[i]!, true);
  }
  return out;
}
