import {
  formatBytes,
  type MemoryLimit,
  type MemoryLimitOptions,
  memoryLimit,
  OutOfMemoryError,
} from '@gpt2/backends/kernels';
import type { MemoryEstimate } from './estimate-memory.js';

/** Options for {@link checkMemory}. */
export interface CheckMemoryOptions extends MemoryLimitOptions {
  /** The limit to check against. Default: {@link memoryLimit} of the active backend. */
  limit?: MemoryLimit;
}

/**
 * Throws an {@link OutOfMemoryError} (what the work needs, part by part, the
 * limit, and the ways out) when `estimate` would not fit the backend: more
 * bytes in all than it holds, or one tensor larger than its biggest buffer.
 * Call it before a run starts, so it fails in a second instead of after
 * minutes, or as `Aborted()`.
 *
 * @returns the limit checked against; undefined when the backend's limit is
 *   unknown (nothing was checked).
 */
export function checkMemory(
  estimate: MemoryEstimate,
  options: CheckMemoryOptions = {},
): MemoryLimit | undefined {
  const limit = options.limit ?? memoryLimit(options);
  if (!limit) return undefined;
  const common = {
    backend: limit.backend,
    workload: estimate.workload,
    breakdown: estimate.items,
    training: estimate.options.training,
  };
  if (estimate.totalBytes > limit.bytes) {
    throw new OutOfMemoryError({
      ...common,
      requiredBytes: estimate.totalBytes,
      limitBytes: limit.bytes,
      limit: limit.description,
    });
  }
  if (limit.maxBufferBytes !== undefined && estimate.largestTensorBytes > limit.maxBufferBytes) {
    throw new OutOfMemoryError({
      ...common,
      requiredBytes: estimate.largestTensorBytes,
      limitBytes: limit.maxBufferBytes,
      limit: `${limit.description} per buffer`,
      summary: `its largest tensor needs ${formatBytes(estimate.largestTensorBytes)}, more than the ${formatBytes(limit.maxBufferBytes)} one buffer may hold`,
    });
  }
  return limit;
}

/**
 * The estimate as a table for people: one line per part, the total, and the
 * limit with the headroom left when one is given.
 */
export function formatMemoryTable(estimate: MemoryEstimate, limit?: MemoryLimit): string {
  const rows: [string, string, string][] = estimate.items.map((item) => [
    item.name,
    formatBytes(item.bytes),
    item.detail,
  ]);
  rows.push(['total', formatBytes(estimate.totalBytes), estimate.workload]);
  if (limit && Number.isFinite(limit.bytes)) {
    const left = limit.bytes - estimate.totalBytes;
    rows.push([
      'limit',
      formatBytes(limit.bytes),
      `${limit.description} (${limit.backend}): ${left >= 0 ? `${formatBytes(left)} to spare` : `${formatBytes(-left)} short`}`,
    ]);
  }
  const width = [0, 1].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map(([name, bytes, detail]) =>
      `${name.padEnd(width[0]!)}  ${bytes.padStart(width[1]!)}  ${detail}`.trimEnd(),
    )
    .join('\n');
}
