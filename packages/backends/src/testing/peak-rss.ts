import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The process's peak resident memory in bytes (Linux `VmHWM`), or undefined
 * where /proc is missing. With {@link resetPeakRss} it measures the peak of a
 * piece of work, which `process.memoryUsage()` cannot.
 */
export function peakRssBytes(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Restart the peak resident memory from the current one (Linux: write 5 to
 * /proc/self/clear_refs). Returns false where that is not possible.
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
