import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BigramModel, createArraySource, patternTokens } from '../__fixtures__/fake-model.js';
import { CheckpointMismatchError } from '../errors/checkpoint-mismatch-error.js';
import { CheckpointWriteError } from '../errors/checkpoint-write-error.js';
import { InvalidCheckpointError } from '../errors/invalid-checkpoint-error.js';
import { PARAMETERS_WEIGHTS_CODEC } from '../gpt2-weights.js';
import { createTrainer } from '../trainer.js';
import { createNodeCheckpointStore, NODE_FILE_SYSTEM } from './node-checkpoint-store.js';

let dir: string;
beforeAll(async () => {
  await initBackend('cpu');
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpt2-trainer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const files = (text: string) =>
  new Map([
    ['a.bin', new TextEncoder().encode(text)],
    ['b.json', new TextEncoder().encode(`{"v":"${text}"}`)],
  ]);

describe('createNodeCheckpointStore', () => {
  it('writes a folder per checkpoint atomically and replaces one in place', async () => {
    const store = createNodeCheckpointStore({ dir });
    await store.write('step-1', files('one'));
    await store.write('best', files('first'));
    await store.write('best', files('second'));
    expect((await store.list()).sort()).toEqual(['best', 'step-1']);
    expect((await readdir(dir)).sort()).toEqual(['best', 'step-1']); // no temp or old folders left
    const best = await store.read('best');
    expect(new TextDecoder().decode(best.get('a.bin'))).toBe('second');
    await store.remove('step-1');
    expect(await store.list()).toEqual(['best']);
    expect(store.locate('best')).toBe(join(dir, 'best'));
  });

  it('never lists half-written folders and recovers an interrupted replacement', async () => {
    const store = createNodeCheckpointStore({ dir });
    await mkdir(join(dir, '.tmp-step-5-0123456789ab'), { recursive: true });
    await mkdir(join(dir, '.old-best-0123456789ab'));
    await writeFile(join(dir, '.old-best-0123456789ab', 'a.bin'), 'old');
    expect(await store.list()).toEqual(['best']);
    expect(await readFile(join(dir, 'best', 'a.bin'), 'utf8')).toBe('old');
  });

  it('a failed write (disk full) leaves no trace and keeps the last good checkpoint', async () => {
    let writes = 0;
    const store = createNodeCheckpointStore({
      dir,
      fileSystem: {
        ...NODE_FILE_SYSTEM,
        async writeFile(path, data) {
          writes += 1;
          if (writes > 3) {
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
              code: 'ENOSPC',
            });
          }
          await NODE_FILE_SYSTEM.writeFile(path, data);
        },
      },
    });
    await store.write('best', files('good'));
    const error = await store.write('best', files('bad')).catch((e: unknown) => e);
    expect(CheckpointWriteError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/ENOSPC.*Earlier checkpoints are intact/);
    expect(await readdir(dir)).toEqual(['best']);
    expect(new TextDecoder().decode((await store.read('best')).get('a.bin'))).toBe('good');
  });

  it('reading a missing checkpoint names it', async () => {
    const store = createNodeCheckpointStore({ dir });
    await expect(store.read('nope')).rejects.toThrow(
      /Invalid checkpoint .*nope.*no such checkpoint folder/,
    );
    await expect(store.write('../escape', files('x'))).rejects.toThrow(RangeError);
  });
});

describe('trainer with a folder store', () => {
  const V = 12;
  const tokens = patternTokens(2048, V);
  const make = (model: BigramModel, store = createNodeCheckpointStore({ dir }), extra = {}) =>
    createTrainer({
      model,
      train: createArraySource(tokens, 2, 8),
      store,
      weightsCodec: PARAMETERS_WEIGHTS_CODEC,
      config: { maxSteps: 4, checkpointInterval: 2 },
      ...extra,
    });

  it('rejects foreign, corrupt and mismatching checkpoints with clear errors', async () => {
    const model = new BigramModel(V);
    const trainer = make(model, undefined, {
      tokenizer: { toJSON: () => ({ type: 'char', vocab: 'abc' }) },
    });
    await trainer.run();
    trainer.dispose();
    const folder = join(dir, 'step-00000004');
    expect((await readdir(folder)).sort()).toEqual([
      'model.safetensors',
      'optimizer.safetensors',
      'trainer_state.json',
    ]);

    // Foreign folder: some other program's files.
    await mkdir(join(dir, 'foreign'));
    await writeFile(join(dir, 'foreign', 'pytorch_model.bin'), 'not ours');
    const other = make(new BigramModel(V));
    await expect(other.resume({ name: 'foreign' })).rejects.toThrow(
      /not written by @gpt2\/trainer/,
    );
    // Corrupt state JSON.
    await writeFile(join(folder, 'trainer_state.json'), '{"format": "gpt2-trainer-ch');
    await expect(other.resume({ name: 'step-00000004' })).rejects.toSatisfy(
      (e: unknown) =>
        InvalidCheckpointError.isInstance(e) && /not valid JSON/.test((e as Error).message),
    );
    // Truncated optimizer moments.
    const good = join(dir, 'step-00000002');
    const moments = await readFile(join(good, 'optimizer.safetensors'));
    await writeFile(join(good, 'optimizer.safetensors'), moments.subarray(0, moments.length - 10));
    await expect(other.resume({ name: 'step-00000002' })).rejects.toThrow(
      /optimizer.safetensors is corrupt/,
    );
    other.dispose();

    // A model of another size: the weights do not fit.
    await writeFile(join(good, 'optimizer.safetensors'), moments);
    const bigger = make(new BigramModel(V + 1));
    await expect(bigger.resume({ name: 'step-00000002' })).rejects.toThrow(
      /weights do not load.*shape/,
    );
    bigger.dispose();
    // Another tokenizer.
    const retokenized = make(new BigramModel(V), undefined, {
      tokenizer: { toJSON: () => ({ type: 'char', vocab: 'xyz' }) },
    });
    await expect(retokenized.resume({ name: 'step-00000002' })).rejects.toSatisfy(
      (e: unknown) =>
        CheckpointMismatchError.isInstance(e) &&
        (e as CheckpointMismatchError).field === 'tokenizer',
    );
    retokenized.dispose();
    model.dispose();
  });

  it('a disk-full error while saving stops the run and keeps the last checkpoint loadable', async () => {
    let failing = false;
    const store = createNodeCheckpointStore({
      dir,
      fileSystem: {
        ...NODE_FILE_SYSTEM,
        async writeFile(path, data) {
          if (failing && path.endsWith('optimizer.safetensors')) {
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
              code: 'ENOSPC',
            });
          }
          await NODE_FILE_SYSTEM.writeFile(path, data);
        },
      },
    });
    const model = new BigramModel(V);
    const trainer = make(model, store, {
      onEvent: (e: { type: string; name?: string }) => {
        if (e.type === 'checkpoint' && e.name === 'step-00000002') failing = true;
      },
    });
    await expect(trainer.run()).rejects.toSatisfy(
      (e: unknown) =>
        CheckpointWriteError.isInstance(e) && /step-00000004.*ENOSPC/.test((e as Error).message),
    );
    expect(await readdir(dir)).toEqual(['step-00000002']);
    const restored = make(new BigramModel(V), createNodeCheckpointStore({ dir }));
    expect(await restored.resume()).toBe('step-00000002');
    expect(restored.step).toBe(2);
    restored.dispose();
    trainer.dispose();
    model.dispose();
  });
});
