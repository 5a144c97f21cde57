/**
 * WGSL building blocks shared by the fused kernels.
 */
import { GELU_COEFFICIENTS } from '../contracts/gelu.js';

/** A number as a WGSL f32 literal that denotes exactly its float32 rounding. */
export function f32(value: number): string {
  const rounded = Math.fround(value);
  if (!Number.isFinite(rounded)) throw new RangeError(`Not a finite float32: ${value}.`);
  // 9 significant digits round-trip any float32; the literal converts to its nearest f32.
  const text = rounded.toPrecision(9);
  return text.includes('.') || text.includes('e') ? text : `${text}.0`;
}

/** Threads per workgroup of the element-wise and row kernels. */
export const WORKGROUP = 256;

/**
 * The flat index of a thread in an element-wise kernel (one element per
 * thread), or a return when past `count`. Use at the top of `main`.
 */
export function elementIndex(count: string): string {
  return `let wg = workgroupIndex(wid, nwg);
  if (wg >= params.workgroups) { return; }
  let i = wg * ${WORKGROUP}u + lid;
  if (i >= ${count}) { return; }`;
}

/** The entry point's signature (workgroup size `size`). */
export function entryPoint(size: number = WORKGROUP): string {
  return `@compute @workgroup_size(${size})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32)`;
}

/**
 * `reduceSum(lid, value)`: the sum of `value` over the workgroup's
 * {@link WORKGROUP} threads, returned to every thread. Call from uniform
 * control flow (it holds barriers).
 */
export const REDUCE_SUM = `
var<workgroup> partialSums: array<f32, ${WORKGROUP}>;
fn reduceSum(lid: u32, value: f32) -> f32 {
  partialSums[lid] = value;
  workgroupBarrier();
  for (var stride = ${WORKGROUP / 2}u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) { partialSums[lid] = partialSums[lid] + partialSums[lid + stride]; }
    workgroupBarrier();
  }
  let total = partialSums[0];
  workgroupBarrier();
  return total;
}`;

/**
 * `gelu(h)`: GELU (tanh form) as @gpt2/backends/kernels' chain computes it,
 * h·σ(2u), 2u = h·(h²·a + b), with tfjs's sigmoid 1/(1 + exp(−z)).
 */
export const GELU_FUNCTION = `
fn gelu(h: f32) -> f32 {
  let twoU = h * (h * h * ${f32(GELU_COEFFICIENTS.forwardQuadratic)} + ${f32(GELU_COEFFICIENTS.forwardConstant)});
  return h * (1.0 / (1.0 + exp(-1.0 * twoU)));
}`;
