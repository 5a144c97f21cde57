import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteTokenizer } from '../__fixtures__/byte-tokenizer.js';
import { createBatchSampler } from '../batch-sampler.js';
import { DataSourceError } from '../errors/data-source-error.js';
import { ShardFormatError } from '../errors/shard-format-error.js';
import { openShards, openTokenFiles } from './open-shards.js';
import { prepare } from './prepare.js';

const tokenizerModule = new URL('../__fixtures__/byte-tokenizer.ts', import.meta.url).href;
const tokenizer = byteTokenizer();
let root: string;
let corpusDir: string;
const documents: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gpt2-data-'));
  corpusDir = join(root, 'corpus');
  await import('node:fs/promises').then((fs) =>
    fs.mkdir(join(corpusDir, 'sub'), { recursive: true }),
  );
  for (let i = 0; i < 24; i++) {
    const text = `Document ${i}: ${'The quick brown fox — jumps. '.repeat(20 + i)}\n\nEnd of ${i}.`;
    documents.push(text);
    await writeFile(
      join(corpusDir, i < 12 ? '' : 'sub', `doc${String(i).padStart(2, '0')}.txt`),
      text,
    );
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const readAll = async (ds: { length: number; read(s: number, t: Int32Array): Promise<void> }) => {
  const all = new Int32Array(ds.length);
  await ds.read(0, all);
  return all;
};

describe('prepare + openShards', () => {
  it('round-trips text → shards → batches → decode, with disjoint train and val', async () => {
    const outDir = join(root, 'out-rt');
    const manifest = await prepare(corpusDir, tokenizer, {
      outDir,
      shardTokens: 4000,
      valFraction: 0.25,
      seed: 5,
      workers: 0,
    });
    expect(manifest.train.shards.length).toBeGreaterThan(1);
    expect(manifest.train.documents + manifest.val.documents).toBe(24);
    expect(manifest.val.documents).toBeGreaterThan(0);
    expect(manifest.tokenizer).toEqual({ type: 'test-bytes' });
    expect(await readdir(outDir)).not.toContainEqual(expect.stringMatching(/\.tmp$/));

    const train = await openShards(outDir, { split: 'train', verify: true });
    const val = await openShards(manifest, { split: 'val' });
    expect(train.length).toBe(manifest.train.tokens);
    const trainDocs = tokenizer
      .decode(await readAll(train))
      .split('<|endoftext|>')
      .slice(1);
    const valDocs = tokenizer
      .decode(await readAll(val))
      .split('<|endoftext|>')
      .slice(1);
    expect(trainDocs.filter((d) => valDocs.includes(d))).toEqual([]);
    expect([...trainDocs, ...valDocs].sort()).toEqual([...documents].sort());

    // Windows that cross shard boundaries decode to text of the original corpus.
    const corpus = trainDocs.join('<|endoftext|>');
    const sampler = createBatchSampler(train, {
      batchSize: 8,
      blockSize: 64,
      mode: 'epoch',
      seed: 2,
    });
    for (let step = 0; step < 10; step++) {
      const batch = await sampler.next();
      for (let b = 0; b < 8; b++) {
        const text = tokenizer.decode(batch.inputs.subarray(b * 64, (b + 1) * 64));
        expect(corpus.includes(text.replace(/\uFFFD/g, '')) || text.includes('\uFFFD')).toBe(true);
      }
    }
    await train.close();
    await val.close();
  });

  it('writes byte-identical shards with 0, 1 and 2 workers', async () => {
    const contents: string[] = [];
    for (const workers of [0, 1, 2]) {
      const outDir = join(root, `out-w${workers}`);
      const manifest = await prepare(join(corpusDir, '**/*.txt'), tokenizer, {
        outDir,
        shardTokens: 5000,
        valDocuments: 3,
        seed: 7,
        workers,
        tokenizerModule,
      });
      const files = [...manifest.train.shards, ...manifest.val.shards].map((s) => s.file);
      const bytes = await Promise.all(files.map((f) => readFile(join(outDir, f))));
      contents.push(
        JSON.stringify({
          m: { ...manifest, dir: undefined },
          b: bytes.map((b) => b.toString('base64')),
        }),
      );
      expect(manifest.val.documents).toBe(3);
    }
    expect(contents[1]).toBe(contents[0]);
    expect(contents[2]).toBe(contents[0]);
  });

  it('splits JSONL by record and reports bad lines with their number', async () => {
    const path = join(root, 'data.jsonl');
    await writeFile(
      path,
      '{"text":"first record"}\n{"text":"second"}\n{oops}\n{"title":"no text"}\n',
    );
    await expect(
      prepare(path, tokenizer, { outDir: join(root, 'out-jl'), workers: 0 }),
    ).rejects.toThrow(/data\.jsonl:3: not valid JSON/);
    const manifest = await prepare(path, tokenizer, {
      outDir: join(root, 'out-jl'),
      workers: 0,
      invalidLines: 'skip',
      valFraction: 0,
    });
    expect(manifest.skippedLines).toBe(2);
    expect(manifest.train.documents).toBe(2);
    expect(manifest.val.shards).toEqual([]);
  });

  it('names the file for a missing file, an empty corpus and invalid UTF-8', async () => {
    const outDir = join(root, 'out-err');
    const missing = join(root, 'nope.txt');
    await expect(prepare(missing, tokenizer, { outDir, workers: 0 })).rejects.toThrow(
      `${missing}: no such file or folder`,
    );
    await expect(
      prepare(join(root, '*.nothing'), tokenizer, { outDir, workers: 0 }),
    ).rejects.toThrow(/no files match/);
    const empty = join(root, 'empty.txt');
    await writeFile(empty, '');
    const error = await prepare(empty, tokenizer, { outDir, workers: 0 }).catch((e) => e);
    expect(DataSourceError.isInstance(error) && error.reason).toBe('empty');
    expect(error.message).toMatch(/empty\.txt: empty corpus/);
    const bad = join(root, 'bad.txt');
    await writeFile(bad, Buffer.from([0x61, 0x0a, 0xc3, 0x28]));
    await expect(prepare(bad, tokenizer, { outDir, workers: 0 })).rejects.toThrow(
      /bad\.txt \(byte 2\): invalid UTF-8 at byte 2 \(line 2\)/,
    );
    const replaced = await prepare(bad, tokenizer, {
      outDir,
      workers: 0,
      invalidUtf8: 'replace',
      valFraction: 0,
    });
    expect(replaced.train.documents).toBe(1);
    expect(await readdir(outDir)).not.toContainEqual(expect.stringMatching(/\.tmp$/));
  });

  it('rejects corrupt shards (bad magic, truncated body) naming the file', async () => {
    const outDir = join(root, 'out-corrupt');
    const manifest = await prepare(corpusDir, tokenizer, { outDir, workers: 0, valFraction: 0 });
    const shard = join(outDir, manifest.train.shards[0]!.file);
    const original = await readFile(shard);
    const badMagic = Buffer.from(original);
    badMagic.writeInt32LE(777, 0);
    await writeFile(shard, badMagic);
    const error = await openShards(outDir).catch((e) => e);
    expect(ShardFormatError.isInstance(error) && error.reason).toBe('bad-magic');
    expect(error.message).toContain(shard);
    await writeFile(shard, original.subarray(0, original.length - 10));
    await expect(openShards(outDir)).rejects.toThrow(/truncated: header says \d+ tokens/);
    await writeFile(shard, original);
    const flipped = Buffer.from(original);
    flipped[2000] = (flipped[2000]! + 1) % 256;
    await writeFile(shard, flipped);
    await expect(openShards(outDir, { verify: true })).rejects.toThrow(/SHA-256/);
  });

  it('a failure mid-prepare leaves only complete shards and no manifest', async () => {
    const outDir = join(root, 'out-crash');
    async function* failing() {
      for (let i = 0; i < 400; i++) yield `document ${i} `.repeat(200);
      throw new Error('disk on fire');
    }
    await expect(
      prepare(failing(), tokenizer, { outDir, workers: 1, tokenizerModule, shardTokens: 10_000 }),
    ).rejects.toThrow(/disk on fire/);
    const names = await readdir(outDir);
    expect(names).not.toContain('manifest.json');
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const shards = names.filter((n) => n.endsWith('.bin'));
    expect(shards.length).toBeGreaterThan(0);
    for (const name of shards) {
      const ds = await openTokenFiles([join(outDir, name)], { format: 'llmc' });
      expect(ds.length).toBe(10_000);
      await ds.close();
    }
  });

  it("reads nanoGPT's raw uint16 .bin, and llm.c folders without a manifest", async () => {
    const dir = join(root, 'nano');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    const tokens = Uint16Array.from({ length: 500 }, (_, i) => (i * 37) % 50257);
    await writeFile(join(dir, 'train.bin'), new Uint8Array(tokens.buffer));
    const ds = await openShards(dir);
    expect(Array.from(await readAll(ds))).toEqual(Array.from(tokens));
    await ds.close();
    await expect(openTokenFiles([join(dir, 'train.bin')], { format: 'llmc' })).rejects.toThrow(
      /bad magic number/,
    );
    // An llm.c folder (fineweb naming, no manifest) is read in file-name order.
    const llmc = join(root, 'llmc');
    await import('node:fs/promises').then((fs) => fs.mkdir(llmc, { recursive: true }));
    const manifest = await prepare(corpusDir, tokenizer, {
      outDir: join(root, 'out-llmc'),
      workers: 0,
      shardTokens: 3000,
      valFraction: 0,
    });
    for (const [i, shard] of manifest.train.shards.entries()) {
      await writeFile(
        join(llmc, `fineweb_train_${String(i).padStart(6, '0')}.bin`),
        await readFile(join(manifest.dir!, shard.file)),
      );
    }
    const fromManifest = await openShards(manifest);
    const fromFolder = await openShards(llmc);
    expect(fromFolder.files.length).toBe(manifest.train.shards.length);
    expect(await readAll(fromFolder)).toEqual(await readAll(fromManifest));
    await fromFolder.close();
    await fromManifest.close();
    const small = await openTokenFiles([join(dir, 'train.bin')]);
    expect(() => createBatchSampler(small, { batchSize: 2, blockSize: 600 })).toThrow(
      /context length 600 needs at least 601 tokens, but the dataset has only 500/,
    );
    await small.close();
  });
});
