import {
  estimateRemaining,
  formatBar,
  formatBytes,
  formatCount,
  formatDuration,
} from './format.js';

/** Options for {@link formatProgressBar}. */
export interface ProgressBarOptions {
  /** Leading label, e.g. `prepare`. */
  label: string;
  /** Work done so far, in `unit`s. */
  done: number;
  /** Total work; unknown totals show a rate without bar or ETA. */
  total: number | undefined;
  /** Seconds since the work started. */
  elapsedSeconds: number;
  /** `bytes` shows `MB` and `MB/s`; `count` shows plain counts. Default: `count`. */
  unit?: 'bytes' | 'count';
  /** Name of a counted thing, e.g. `docs`. Default: none. */
  noun?: string;
  /** Bar width in characters. Default: 20. */
  width?: number;
}

/** `prepare [########............] 40% 4.10 MB/10.2 MB 3.20 MB/s ETA 2.0s` */
export function formatProgressBar(options: ProgressBarOptions): string {
  const { label, done, total, elapsedSeconds } = options;
  const amount = options.unit === 'bytes' ? formatBytes : formatCount;
  const noun = options.noun ? ` ${options.noun}` : '';
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const rateText = `${amount(rate)}${options.unit === 'bytes' ? '/s' : `${noun}/s`}`;
  if (total === undefined || total <= 0) {
    return `${label} ${amount(done)}${noun} ${rateText} ${formatDuration(elapsedSeconds)}`;
  }
  const fraction = Math.min(1, done / total);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const eta =
    done >= total
      ? formatDuration(elapsedSeconds)
      : `ETA ${formatDuration(estimateRemaining(done, total, elapsedSeconds))}`;
  return `${label} ${formatBar(fraction, options.width ?? 20)} ${percent} ${amount(done)}/${amount(total)}${noun} ${rateText} ${eta}`;
}
