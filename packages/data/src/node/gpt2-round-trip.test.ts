import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBrownCorpus } from '@gpt2/corpora';
import { gpt2Tokenizer, tokenizerFromJSON } from '@gpt2/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchSampler } from '../batch-sampler.js';
import { safePieces } from '../text/split-points.js';
import { ENCODE_ORDINARY } from '../tokenize-pipeline.js';
import { openShards } from './open-shards.js';
import { prepare } from './prepare.js';

let root: string;
let documents: string[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gpt2-data-gpt2-'));
  documents = (await loadBrownCorpus()).slice(0, 24).map((d) => d.text);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('with the real GPT-2 tokenizer', () => {
  it('tokenizes long documents piecewise exactly as whole', async () => {
    const tokenizer = await gpt2Tokenizer();
    for (const text of documents.slice(0, 6)) {
      const edgy = `${text}\n\n   \n\tend  `;
      const pieces: number[] = [];
      for await (const piece of safePieces([edgy], 300))
        pieces.push(...tokenizer.encode(piece, ENCODE_ORDINARY));
      expect(pieces).toEqual(tokenizer.encode(edgy, ENCODE_ORDINARY));
    }
  });

  it('prepares Brown documents identically with 0 and 2 workers and decodes back to the text', async () => {
    const tokenizer = await gpt2Tokenizer();
    const options = { shardTokens: 20_000, valFraction: 0.2, seed: 1 };
    const inline = await prepare({ documents, name: 'brown' }, tokenizer, {
      ...options,
      outDir: join(root, 'w0'),
      workers: 0,
    });
    const pooled = await prepare({ documents, name: 'brown' }, tokenizer, {
      ...options,
      outDir: join(root, 'w2'),
      workers: 2,
    });
    expect({ ...pooled, dir: '' }).toEqual({ ...inline, dir: '' });
    for (const shard of inline.train.shards) {
      expect(await readFile(join(root, 'w2', shard.file))).toEqual(
        await readFile(join(root, 'w0', shard.file)),
      );
    }
    expect(inline.shardVersion).toBe(1);
    expect(inline.separator).toEqual([50256]);

    // The manifest rebuilds the tokenizer; the shards decode to the documents, EOT-separated.
    const rebuilt = await tokenizerFromJSON(inline.tokenizer);
    const train = await openShards(inline, { split: 'train' });
    const val = await openShards(inline, { split: 'val' });
    const decode = async (ds: typeof train) => {
      const all = new Int32Array(ds.length);
      await ds.read(0, all);
      return rebuilt.decode(all).split('<|endoftext|>').slice(1);
    };
    const trainDocs = await decode(train);
    const valDocs = await decode(val);
    expect(valDocs.length).toBe(inline.val.documents);
    expect([...trainDocs, ...valDocs].sort()).toEqual([...documents].sort());

    const corpus = trainDocs.join('<|endoftext|>');
    const sampler = createBatchSampler(train, { batchSize: 4, blockSize: 128, seed: 3 });
    const batch = await sampler.next();
    for (let b = 0; b < 4; b++) {
      const window = rebuilt.decode(batch.inputs.subarray(b * 128, (b + 1) * 128));
      // A window may start or end inside a multi-byte character; compare the clean middle.
      expect(corpus).toContain(window.replace(/^\uFFFD+|\uFFFD+$/g, ''));
    }
    await train.close();
    await val.close();
  });
});
