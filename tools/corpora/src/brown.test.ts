import { describe, expect, it } from 'vitest';
import { brownTaggedToText, loadBrownCorpus } from './brown.js';

describe('Brown corpus', () => {
  it('strips part-of-speech tags and keeps paragraphs', () => {
    const tagged =
      "\n\n\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ./.\n\n\n\tIt/pps ended/vbd ./.\n";
    expect(brownTaggedToText(tagged)).toBe('The jury said " no " .\n\nIt ended .');
  });

  it('loads all 500 documents as plain text', async () => {
    const documents = await loadBrownCorpus();
    expect(documents).toHaveLength(500);
    const bytes = documents.reduce((n, d) => n + d.text.length, 0);
    expect(bytes).toBeGreaterThan(5_000_000);
    expect(documents[0]?.text.startsWith('The Fulton County Grand Jury said Friday')).toBe(true);
    expect(documents.some((d) => /\S\/(at|nn|vbd)\b/.test(d.text))).toBe(false);
  });
});
