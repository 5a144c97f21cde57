import type { TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';

/** Shape facts of an `UnsortedSegmentSum` call, validated. */
export interface SegmentSumShape {
  rows: number;
  rowSize: number;
  numSegments: number;
  outShape: number[];
}

/** Validate the inputs of `UnsortedSegmentSum` as tfjs's gather gradient produces them. */
export function segmentSumShape(
  backendName: string,
  x: TensorInfo,
  segmentIds: TensorInfo,
  attrs: UnsortedSegmentSumAttrs,
): SegmentSumShape {
  const rows = x.shape[0] ?? 0;
  const rowSize = rows === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / rows;
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== rows) {
    throw new Error(
      `UnsortedSegmentSum (${backendName}): segmentIds must be 1-D of length ${rows}, got [${segmentIds.shape}]`,
    );
  }
  return {
    rows,
    rowSize,
    numSegments: attrs.numSegments,
    outShape: [attrs.numSegments, ...x.shape.slice(1)],
  };
}

/**
 * Output row `s` += every row of `values` whose segment id is `s`; ids outside
 * `[0, numSegments)` are dropped, as in TensorFlow. One pass, O(rows · rowSize).
 */
export function scatterAddRows(
  values: ArrayLike<number>,
  ids: ArrayLike<number>,
  shape: SegmentSumShape,
  out: Float32Array | Int32Array,
): void {
  const { rows, rowSize, numSegments } = shape;
  for (let r = 0; r < rows; r++) {
    const s = ids[r]!;
    if (s < 0 || s >= numSegments) continue;
    const src = r * rowSize;
    const dst = s * rowSize;
    for (let i = 0; i < rowSize; i++) out[dst + i]! += values[src + i]!;
  }
}
