/**
 * The native backend's `GPT2Block` (kernels/contracts/gpt2-block.ts): one
 * GPT-2 block over new positions with a KV cache, in one addon call
 * (native/gpt2_decode.c), the cache grown in place.
 *
 * The cache is position-major, [L, B, C], so L + T positions are the first
 * (L + T)·B·C floats of a buffer. The first call allocates a buffer with room
 * for `capacity` positions; each later call appends its rows behind the past
 * ones and returns a longer view of the same buffer ({@link NativeBackend.extend}):
 * no copy, no new memory, and the past tensor's values never change (the new
 * rows lie beyond its end). A past that is not the longest view of its buffer
 * (after a crop, or when one past is extended twice) is copied to a new buffer.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { GPT2_BLOCK, type GPT2BlockAttrs } from '../contracts/gpt2-block.js';
import type { NativeBackend } from './backend.js';

/** The block's weights in the order the addon takes them. */
export const BLOCK_WEIGHTS = [
  'ln1Gamma',
  'ln1Beta',
  'attnWeight',
  'attnBias',
  'attnProjWeight',
  'attnProjBias',
  'ln2Gamma',
  'ln2Beta',
  'fcWeight',
  'fcBias',
  'mlpProjWeight',
  'mlpProjBias',
] as const;

export const nativeGPT2Block: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as NativeBackend;
  const named = inputs as Record<string, TensorInfo | undefined>;
  for (const [name, t] of Object.entries(named)) {
    if (t && t.dtype !== 'float32') {
      throw new TypeError(`${GPT2_BLOCK.name}: ${name} must be float32, got ${t.dtype}.`);
    }
  }
  const { x, pastKeys, pastValues } = named;
  const { nHead, epsilon, capacity } = attrs as unknown as GPT2BlockAttrs;
  const [B, T, C] = x!.shape as [number, number, number];
  if ((pastKeys === undefined) !== (pastValues === undefined)) {
    throw new TypeError(`${GPT2_BLOCK.name}: pastKeys and pastValues go together.`);
  }
  const L = pastKeys?.shape[0] ?? 0;
  for (const past of [pastKeys, pastValues]) {
    if (past && (past.shape.length !== 3 || past.shape[1] !== B || past.shape[2] !== C)) {
      throw new RangeError(
        `${GPT2_BLOCK.name}: the cache must be [L, ${B}, ${C}] for x [${x!.shape}], got [${past.shape}].`,
      );
    }
  }
  const size = (L + T) * B * C;
  const room = Math.max(capacity, L + T) * B * C;
  const pastK = pastKeys ? (b.values(pastKeys) as Float32Array) : undefined;
  const pastV = pastValues ? (b.values(pastValues) as Float32Array) : undefined;
  const keys = b.extend(pastK, size, room);
  // Never two caches in one buffer: values that would extend the keys' own buffer get their own.
  let values = b.extend(pastV, size, room);
  if (values.buffer === keys.buffer) values = b.extend(undefined, size, room);
  const y = b.allocate('float32', B * T * C) as Float32Array;
  const scratch = b.scratch(b.addon.gpt2BlockScratch(B * T, C));
  try {
    b.addon.gpt2Block(
      b.values(x!) as Float32Array,
      BLOCK_WEIGHTS.map((name) => {
        const t = named[name];
        if (!t) return null;
        const weight = b.values(t) as Float32Array;
        b.streamed(weight);
        return weight;
      }),
      pastK ?? null,
      pastV ?? null,
      keys,
      values,
      y,
      scratch,
      B,
      T,
      L,
      C,
      nHead,
      epsilon,
    );
  } finally {
    b.releaseScratch(scratch);
  }
  b.commitExtension(keys);
  b.commitExtension(values);
  return [
    b.output([B, T, C], 'float32', y),
    b.output([L + T, B, C], 'float32', keys),
    b.output([L + T, B, C], 'float32', values),
  ];
};
