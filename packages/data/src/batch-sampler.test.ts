import { describe, expect, it } from 'vitest';
import { type Batch, createBatchSampler } from './batch-sampler.js';
import { type TokenDataset, tokenDatasetFromArray } from './token-dataset.js';

const tokens = Uint16Array.from({ length: 1000 }, (_, i) => i);

async function take(sampler: { next(): Promise<Batch> }, count: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let i = 0; i < count; i++) out.push(await sampler.next());
  return out;
}

describe('createBatchSampler', () => {
  it('yields [B, T] inputs with targets shifted by one', async () => {
    const sampler = createBatchSampler(tokenDatasetFromArray(tokens), {
      batchSize: 4,
      blockSize: 8,
    });
    const batch = await sampler.next();
    expect(batch.inputs.length).toBe(32);
    expect(batch.targets.length).toBe(32);
    for (let b = 0; b < 4; b++) {
      const start = batch.inputs[b * 8]!;
      expect(start).toBeLessThanOrEqual(1000 - 9);
      for (let t = 0; t < 8; t++) {
        expect(batch.inputs[b * 8 + t]).toBe(start + t);
        expect(batch.targets[b * 8 + t]).toBe(start + t + 1);
      }
    }
  });

  it('reproduces the pinned window starts of seed 1337 in both modes', async () => {
    const starts = async (mode: 'random' | 'epoch') => {
      const sampler = createBatchSampler(tokenDatasetFromArray(tokens), {
        batchSize: 4,
        blockSize: 8,
        seed: 1337,
        mode,
      });
      return (await take(sampler, 2)).map((batch) => [0, 1, 2, 3].map((b) => batch.inputs[b * 8]));
    };
    expect(await starts('random')).toEqual([
      [777, 875, 623, 946],
      [473, 960, 683, 872],
    ]);
    expect(await starts('epoch')).toEqual([
      [512, 600, 336, 504],
      [968, 864, 704, 40],
    ]);
  });

  for (const mode of ['random', 'epoch'] as const) {
    it(`${mode}: the same seed gives the same batches, another seed others`, async () => {
      const make = (seed: number) =>
        createBatchSampler(tokenDatasetFromArray(tokens), {
          batchSize: 3,
          blockSize: 16,
          mode,
          seed,
        });
      const a = await take(make(1), 5);
      const b = await take(make(1), 5);
      const c = await take(make(2), 5);
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    });

    it(`${mode}: a state saved mid-run (with prefetch) restores the identical sequence`, async () => {
      const options = { batchSize: 5, blockSize: 16, mode, seed: 9 };
      const reference = await take(createBatchSampler(tokenDatasetFromArray(tokens), options), 30);
      const first = createBatchSampler(tokenDatasetFromArray(tokens), options);
      await take(first, 17); // 85 windows: past the first epoch of 62 windows
      const saved = JSON.parse(JSON.stringify(first.getState()));
      expect(saved.step).toBe(17);
      const resumed = createBatchSampler(tokenDatasetFromArray(tokens), options);
      resumed.setState(saved);
      expect(await take(resumed, 13)).toEqual(reference.slice(17));
      // The original, whose prefetch already ran ahead, continues identically too.
      expect(await take(first, 13)).toEqual(reference.slice(17));
    });
  }

  it('epoch: every window once per epoch, in a new shuffled order each epoch', async () => {
    const blockSize = 16;
    const sampler = createBatchSampler(tokenDatasetFromArray(tokens), {
      batchSize: 2,
      blockSize,
      mode: 'epoch',
      seed: 3,
    });
    const perEpoch = sampler.windowsPerEpoch;
    expect(perEpoch).toBe(Math.floor(999 / 16));
    const starts: number[] = [];
    for (const batch of await take(sampler, perEpoch)) {
      for (let b = 0; b < 2; b++) starts.push(batch.inputs[b * blockSize]!);
    }
    const epoch0 = starts.slice(0, perEpoch);
    const epoch1 = starts.slice(perEpoch, 2 * perEpoch);
    const all = Array.from({ length: perEpoch }, (_, w) => w * blockSize);
    expect([...epoch0].sort((x, y) => x - y)).toEqual(all);
    expect([...epoch1].sort((x, y) => x - y)).toEqual(all);
    expect(epoch1).not.toEqual(epoch0);
    expect(epoch0).not.toEqual(all);
    expect(sampler.getState()).toMatchObject({ epoch: 2, position: 0 });
  });

  it('reports its sizes as properties (the state is a checkpoint format, not the API)', () => {
    const sampler = createBatchSampler(tokenDatasetFromArray(tokens), {
      batchSize: 4,
      blockSize: 16,
      mode: 'epoch',
    });
    expect(sampler.batchSize).toBe(4);
    expect(sampler.blockSize).toBe(16);
    expect(sampler.windowsPerEpoch).toBe(Math.floor(999 / 16));
    expect(sampler.batchesPerEpoch).toBe(Math.floor(Math.floor(999 / 16) / 4));
  });

  it('getState describes the next batch to return, not the prefetched one', async () => {
    const reads: number[] = [];
    const inner = tokenDatasetFromArray(tokens);
    const counting: TokenDataset = {
      ...inner,
      read: (start, target) => {
        reads.push(start);
        return inner.read(start, target);
      },
    };
    const sampler = createBatchSampler(counting, { batchSize: 1, blockSize: 4, seed: 1 });
    const before = sampler.getState();
    await sampler.next();
    await new Promise((r) => setTimeout(r, 0));
    expect(reads.length).toBe(2); // the returned batch and the prefetched one
    expect(sampler.getState().step).toBe(before.step + 1);
  });

  it('refuses a context longer than the data, and a state from another sampler', () => {
    const small = tokenDatasetFromArray(new Uint16Array(10), { name: 'tiny' });
    expect(() => createBatchSampler(small, { batchSize: 1, blockSize: 10 })).toThrow(
      /tiny: context length 10 needs at least 11 tokens, but the dataset has only 10/,
    );
    expect(() => createBatchSampler(small, { batchSize: 0, blockSize: 4 })).toThrow(
      /batchSize must be an integer ≥ 1/,
    );
    const a = createBatchSampler(tokenDatasetFromArray(tokens), { batchSize: 2, blockSize: 8 });
    const b = createBatchSampler(tokenDatasetFromArray(tokens), { batchSize: 2, blockSize: 16 });
    expect(() => b.setState(a.getState())).toThrow(/blockSize 8 ≠ 16/);
    expect(() => b.setState({ foo: 1 })).toThrow(/not a batch sampler state/);
  });
});
