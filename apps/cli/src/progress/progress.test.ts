import { describe, expect, it } from 'vitest';
import {
  estimateRemaining,
  formatBar,
  formatBytes,
  formatCount,
  formatDuration,
} from './format.js';
import { formatProgressBar } from './progress-bar.js';
import { ProgressLine } from './progress-line.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 40, write: (c: string) => chunks.push(c) } };
}

describe('format helpers', () => {
  it('formats durations, sizes, counts and bars', () => {
    expect(formatDuration(3.25)).toBe('3.3s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('--');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
    expect(formatCount(124_439_808)).toBe('124M');
    expect(formatBar(0.5, 10)).toBe('[#####.....]');
    expect(estimateRemaining(25, 100, 10)).toBe(30);
  });

  it('formats a progress bar with rate and ETA', () => {
    const line = formatProgressBar({
      label: 'prepare',
      done: 4_000_000,
      total: 10_000_000,
      elapsedSeconds: 2,
      unit: 'bytes',
      width: 10,
    });
    expect(line).toBe('prepare [####......]  40% 4.00 MB/10.0 MB 2.00 MB/s ETA 3.0s');
  });
});

describe('ProgressLine', () => {
  it('redraws in place on a terminal and keeps logs above the live line', () => {
    let now = 0;
    const { chunks, stream } = sink(true);
    const line = new ProgressLine(stream, { now: () => now });
    line.update('step 1');
    line.update('step 2'); // throttled: same instant
    now = 1000;
    line.update('step 3 with a very long text that must be cut to the width');
    line.log('eval: 2.5');
    line.done();
    expect(chunks[0]).toBe('\r\x1b[Kstep 1');
    expect(chunks.join('')).not.toMatch(/step 2/);
    expect(chunks[1]).toBe('\r\x1b[Kstep 3 with a very long text that must ');
    expect(chunks.join('')).toMatch(/eval: 2\.5\n/);
    expect(chunks.at(-1)).toMatch(/\n$/);
  });

  it('prints occasional plain lines when not a terminal', () => {
    let now = 0;
    const { chunks, stream } = sink(false);
    const line = new ProgressLine(stream, { now: () => now, plainIntervalMs: 5000 });
    line.update('a');
    now = 1000;
    line.update('b');
    now = 6000;
    line.update('c');
    line.done('final');
    expect(chunks).toEqual(['a\n', 'c\n', 'final\n']);
  });
});
