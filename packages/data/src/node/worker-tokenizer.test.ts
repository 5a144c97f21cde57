import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteTokenizer } from '../__fixtures__/byte-tokenizer.js';
import { DataSourceError } from '../errors/data-source-error.js';
import { readDocuments } from '../sources/documents.js';
import { inProcessTokenizer, type TokenizedPiece } from '../tokenize-pipeline.js';
import { inProcessFileTokenizer } from './encode-file.js';
import { nodeFileSystem } from './file-system.js';
import { prepare } from './prepare.js';
import { workerTokenizer } from './worker-tokenizer.js';

const tokenizerModule = new URL('../__fixtures__/byte-tokenizer.ts', import.meta.url).href;
const tokenizer = byteTokenizer();
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gpt2-data-wt-'));
  await writeFile(join(root, 'a.txt'), 'small file one\n');
  await writeFile(join(root, 'b-empty.txt'), '');
  await writeFile(join(root, 'c-bom.txt'), '\ufeffwith a byte-order mark — ünïcödé');
  // Larger than the maxFileBytes below: streamed by the main thread between worker-read files.
  await writeFile(join(root, 'd-big.txt'), 'a big file with many words. '.repeat(40));
  await writeFile(
    join(root, 'e.jsonl'),
    '{"text":"line one"}\n{"text":""}\n{"text":"line three"}\n',
  );
  await writeFile(join(root, 'f.txt'), 'last small file');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Per document: index, source, characters and all tokens. */
async function collect(pieces: AsyncIterable<TokenizedPiece>) {
  const documents: { document: number; source: string; characters: number; tokens: number[] }[] =
    [];
  for await (const piece of pieces) {
    if (piece.first) {
      documents.push({ document: piece.document, source: piece.source, characters: 0, tokens: [] });
    }
    const last = documents.at(-1)!;
    expect(piece.document).toBe(last.document);
    last.characters += piece.characters;
    last.tokens.push(...piece.tokens);
  }
  return documents;
}

const sources = () => [root, { documents: ['in memory', '', 'second string'] }];

describe('workerTokenizer', () => {
  it('reads small files in the workers, streams large ones, and matches the in-process tokenizer', async () => {
    const expected = await collect(
      inProcessTokenizer(tokenizer)(readDocuments(sources(), { fileSystem: nodeFileSystem })),
    );
    expect(expected.map((d) => d.document)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const options = { maxFileBytes: 200, pieceChars: 1 << 16 };
    const inProcess = await collect(
      inProcessFileTokenizer(
        tokenizer,
        options,
      )(readDocuments(sources(), { fileSystem: nodeFileSystem })),
    );
    expect(inProcess).toEqual(expected);
    for (const workers of [1, 2]) {
      const tokenize = workerTokenizer({
        workers,
        tokenizerJSON: tokenizer.toJSON(),
        tokenizerModule,
        jobFiles: 2,
        jobChars: 8,
        jobsPerWorker: 1,
        maxFileBytes: 200,
      });
      const got = await collect(tokenize(readDocuments(sources(), { fileSystem: nodeFileSystem })));
      expect(got).toEqual(expected);
    }
  });

  it('reports invalid UTF-8 in a worker-read file as the same DataSourceError', async () => {
    const bad = join(root, 'bad', 'bad.txt');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(root, 'bad')));
    await writeFile(bad, Uint8Array.from([0x61, 0x0a, 0x62, 0xff, 0x63]));
    const errors: unknown[] = [];
    for (const workers of [0, 1]) {
      errors.push(
        await prepare(bad, tokenizer, {
          outDir: join(root, `out-bad-${workers}`),
          workers,
          tokenizerModule,
        }).catch((error: unknown) => error),
      );
    }
    for (const error of errors) {
      expect(DataSourceError.isInstance(error)).toBe(true);
      const { reason, byteOffset, source, message } = error as DataSourceError;
      expect({ reason, byteOffset, source }).toEqual({
        reason: 'invalid-utf8',
        byteOffset: 3,
        source: bad,
      });
      expect(message).toBe((errors[0] as Error).message);
      expect(message).toMatch(/line 2/);
    }
  });
});
