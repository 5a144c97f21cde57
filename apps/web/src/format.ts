/** 124439808 → "124.4M". */
export function formatCount(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(value);
}

/** A rate with sensible precision: 0.42, 4.2, 42, 4,200. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A loss to 3 decimals, or a dash. */
export function formatLoss(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(3);
}

/**
 * Stop strings typed as one line: comma-separated, with `\n`, `\t`, `\,` and
 * `\\` escapes so a newline or a comma can be a stop string.
 */
export function parseStopStrings(input: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (char === '\\' && i + 1 < input.length) {
      const next = input[++i];
      current += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '');
    } else if (char === ',') {
      out.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  out.push(current);
  return out.map((s) => s.replace(/^ +| +$/g, '')).filter((s) => s.length > 0);
}
