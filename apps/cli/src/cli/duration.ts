/**
 * Parse a duration as people write it: `8m`, `90s`, `1h30m`, `7m30s`,
 * `1.5h`, or a plain number of seconds (`480`).
 * @returns milliseconds
 * @throws RangeError with the accepted forms.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const part = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let end = 0;
  for (const match of trimmed.matchAll(part)) {
    total += Number(match[1]) * units[match[2]!]!;
    end = (match.index ?? 0) + match[0].length;
  }
  if (trimmed === '' || end !== trimmed.length || !(total > 0)) {
    throw new RangeError(
      `'${text}' is not a duration: write it like 8m, 90s, 1h30m, 7m30s or a number of seconds.`,
    );
  }
  return total;
}
