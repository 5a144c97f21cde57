import { describe, expect, it } from 'vitest';
import { byteTokenizer } from '../__fixtures__/byte-tokenizer.js';
import { createBatchSampler } from '../batch-sampler.js';
import { DataSourceError } from '../errors/data-source-error.js';
import { prepareInMemory } from '../prepare-in-memory.js';
import { bytesSource } from './byte-source.js';
import { readDocuments, type SkippedLine, type TextDocument } from './documents.js';

async function texts(documents: AsyncIterable<TextDocument>): Promise<string[]> {
  const out: string[] = [];
  for await (const doc of documents) {
    if (typeof doc.text === 'string') out.push(doc.text);
    else {
      let s = '';
      for await (const chunk of doc.text) s += chunk;
      out.push(s);
    }
  }
  return out;
}

const encode = (s: string) => new TextEncoder().encode(s);

describe('readDocuments', () => {
  it('reads Blob/File, ReadableStream, Response, iterables and { documents }', async () => {
    const stream = new Blob(['from a stream']).stream();
    async function* generated() {
      yield 'gen 1';
      yield 'gen 2';
    }
    const got = await texts(
      readDocuments([
        new File(['a file'], 'a.txt'),
        stream,
        new Response('a response'),
        generated(),
        { documents: ['x', 'y'] },
        new File(['{"text":"jsonl 1"}\n{"text":"jsonl 2"}\n'], 'b.jsonl'),
      ]),
    );
    expect(got).toEqual([
      'a file',
      'from a stream',
      'a response',
      'gen 1',
      'gen 2',
      'x',
      'y',
      'jsonl 1',
      'jsonl 2',
    ]);
  });

  it('reports JSONL lines that are not JSON or lack the field, with the line number', async () => {
    const jsonl = bytesSource(
      encode('{"text":"ok"}\n\nnot json\n{"body":"x"}\n{"text":5}\n'),
      'data.jsonl',
    );
    await expect(texts(readDocuments(jsonl))).rejects.toThrow(/data\.jsonl:3: not valid JSON/);
    const missing = bytesSource(encode('{"body":"x"}\n'), 'm.jsonl');
    await expect(texts(readDocuments(missing))).rejects.toThrow(
      /m\.jsonl:1: record has no "text" field/,
    );
    const skipped: SkippedLine[] = [];
    const kept = await texts(
      readDocuments(jsonl, { invalidLines: 'skip', onSkippedLine: (s) => skipped.push(s) }),
    );
    expect(kept).toEqual(['ok']);
    expect(skipped.map((s) => [s.line, s.reason])).toEqual([
      [3, 'invalid-json'],
      [4, 'missing-field'],
      [5, 'missing-field'],
    ]);
    expect(
      await texts(readDocuments({ input: jsonl, textField: 'body' }, { invalidLines: 'skip' })),
    ).toEqual(['x']);
  });

  it('refuses paths without file access, and non-string documents', async () => {
    await expect(texts(readDocuments('corpus.txt'))).rejects.toThrow(/file paths need file access/);
    await expect(texts(readDocuments({ documents: [1 as unknown as string] }))).rejects.toThrow(
      DataSourceError,
    );
  });
});

describe('prepareInMemory', () => {
  it('round-trips text → tokens → batches → decode, with disjoint train/val', async () => {
    const tokenizer = byteTokenizer();
    const documents = Array.from(
      { length: 40 },
      (_, i) => `Document number ${i} says héllo ${'x'.repeat(i)}.`,
    );
    const { train, val, stats } = await prepareInMemory({ documents }, tokenizer, {
      valFraction: 0.25,
      seed: 3,
    });
    expect(stats.documents.train + stats.documents.val).toBe(40);
    expect(stats.documents.val).toBeGreaterThan(0);
    const decodeAll = async (ds: typeof train) => {
      const all = new Int32Array(ds.length);
      await ds.read(0, all);
      return tokenizer.decode(all).split('<|endoftext|>').slice(1);
    };
    const trainDocs = await decodeAll(train);
    const valDocs = await decodeAll(val);
    expect(trainDocs.filter((d) => valDocs.includes(d))).toEqual([]);
    expect([...trainDocs, ...valDocs].sort()).toEqual([...documents].sort());

    const sampler = createBatchSampler(train, { batchSize: 4, blockSize: 32, seed: 1 });
    const corpus = tokenizer.decode(
      await (async () => {
        const a = new Int32Array(train.length);
        await train.read(0, a);
        return a;
      })(),
    );
    const batch = await sampler.next();
    for (let b = 0; b < 4; b++) {
      const window = tokenizer.decode(batch.inputs.subarray(b * 32, (b + 1) * 32));
      expect(corpus.includes(window)).toBe(true);
    }
  });

  it('throws a clear error for an empty corpus', async () => {
    await expect(
      prepareInMemory({ documents: ['', ''], name: 'blank' }, byteTokenizer()),
    ).rejects.toThrow(/blank: empty corpus/);
  });

  it('valDocuments picks exactly that many documents, deterministically', async () => {
    const documents = Array.from({ length: 30 }, (_, i) => `doc ${i}`);
    const a = await prepareInMemory({ documents }, byteTokenizer(), { valDocuments: 4, seed: 11 });
    const b = await prepareInMemory({ documents }, byteTokenizer(), { valDocuments: 4, seed: 11 });
    expect(a.stats.documents).toEqual({ train: 26, val: 4 });
    const read = async (ds: typeof a.val) => {
      const x = new Int32Array(ds.length);
      await ds.read(0, x);
      return Array.from(x);
    };
    expect(await read(a.val)).toEqual(await read(b.val));
  });
});
