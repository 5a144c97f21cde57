/**
 * Loop plans for the addon's strided kernels: shapes with the axes that
 * need no separate loop merged away, so that the innermost loop is as long
 * as possible and contiguous where it can be.
 */
import { broadcast_util } from '@tensorflow/tfjs-core';

/** The addon's loops go up to this rank; plans of higher rank fall back to the stock kernels. */
export const MAX_PLAN_RANK = 8;

/** C-order strides of `shape`, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  return strides;
}

/** [rank, shape…, strides of each operand…] as the addon reads it. */
function encode(shape: number[], ...strides: number[][]): Float64Array | undefined {
  if (shape.length > MAX_PLAN_RANK) return undefined;
  return Float64Array.from([shape.length, ...shape, ...strides.flat()]);
}

/**
 * The broadcast of a [aShape] ∘ b [bShape]: the output shape, and a plan whose
 * axes each broadcast the same operands (merged), so the innermost axis has
 * stride 1 or 0 in each. Undefined above {@link MAX_PLAN_RANK} merged axes.
 */
export function broadcastPlan(
  aShape: readonly number[],
  bShape: readonly number[],
): { outShape: number[]; plan: Float64Array | undefined } {
  const outShape = broadcast_util.assertAndGetBroadcastShape([...aShape], [...bShape]);
  const rank = outShape.length;
  const padA = [...new Array<number>(rank - aShape.length).fill(1), ...aShape];
  const padB = [...new Array<number>(rank - bShape.length).fill(1), ...bShape];
  const axes: { size: number; aBroadcast: boolean; bBroadcast: boolean }[] = [];
  for (let d = 0; d < rank; d++) {
    const size = outShape[d]!;
    if (size === 1) continue;
    const aBroadcast = padA[d] === 1;
    const bBroadcast = padB[d] === 1;
    const last = axes.at(-1);
    if (last && last.aBroadcast === aBroadcast && last.bBroadcast === bBroadcast) last.size *= size;
    else axes.push({ size, aBroadcast, bBroadcast });
  }
  if (axes.length === 0) axes.push({ size: 1, aBroadcast: false, bBroadcast: false });
  const shape = axes.map((axis) => axis.size);
  const operandStrides = (broadcast: (axis: (typeof axes)[number]) => boolean) => {
    const strides = new Array<number>(axes.length).fill(0);
    let step = 1;
    for (let d = axes.length - 1; d >= 0; d--) {
      if (broadcast(axes[d]!)) continue;
      strides[d] = step;
      step *= axes[d]!.size;
    }
    return strides;
  };
  return {
    outShape,
    plan: encode(
      shape,
      operandStrides((axis) => axis.aBroadcast),
      operandStrides((axis) => axis.bBroadcast),
    ),
  };
}

/** Merge axes that are contiguous in the source (stride[d] = stride[d+1]·shape[d+1]) and drop size-1 axes. */
function mergeAxes(shape: number[], strides: number[]): { shape: number[]; strides: number[] } {
  const outShape: number[] = [];
  const outStrides: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && outStrides[last] === strides[d]! * shape[d]!) {
      outShape[last]! *= shape[d]!;
      outStrides[last] = strides[d]!;
    } else {
      outShape.push(shape[d]!);
      outStrides.push(strides[d]!);
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: [1] };
  return { shape: outShape, strides: outStrides };
}

/** The plan of x [shape] transposed by `perm` (the output read in order). */
export function transposePlan(
  shape: readonly number[],
  perm: readonly number[],
): Float64Array | undefined {
  const inStrides = stridesOf(shape);
  const merged = mergeAxes(
    perm.map((axis) => shape[axis]!),
    perm.map((axis) => inStrides[axis]!),
  );
  return encode(merged.shape, merged.strides);
}

/** The offset and plan of the box x[begin : begin + size]. */
export function slicePlan(
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): { offset: number; plan: Float64Array | undefined } {
  const strides = stridesOf(shape);
  const offset = begin.reduce((sum, b, d) => sum + b * strides[d]!, 0);
  const merged = mergeAxes([...size], strides);
  return { offset, plan: encode(merged.shape, merged.strides) };
}
