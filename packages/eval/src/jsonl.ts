import { DatasetFormatError } from './errors/dataset-format-error.js';

/** Parse JSON Lines (blank lines skipped); each object comes with its 1-based line number. */
export function parseJsonl(
  dataset: string,
  text: string,
): { line: number; value: Record<string, unknown> }[] {
  const rows: { line: number; value: Record<string, unknown> }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new DatasetFormatError(dataset, i + 1, `not valid JSON (${(error as Error).message}).`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DatasetFormatError(dataset, i + 1, 'expected a JSON object.');
    }
    rows.push({ line: i + 1, value: value as Record<string, unknown> });
  });
  return rows;
}
