import { describe, expect, it } from 'vitest';
import { CURRENT_FILE, createOpfsCheckpointStore } from './opfs-checkpoint-store.js';

/**
 * An in-memory stand-in for OPFS directory handles, with the calls the store
 * uses. `failOn` makes writing that file name throw, to test atomicity.
 */
class FakeDirectory {
  readonly kind = 'directory';
  readonly children = new Map<string, FakeDirectory | FakeFile>();
  constructor(readonly failOn?: string) {}

  async getDirectoryHandle(name: string, options: { create?: boolean } = {}) {
    const child = this.children.get(name);
    if (child instanceof FakeDirectory) return child;
    if (child || !options.create) throw new DOMException(`${name} not found`, 'NotFoundError');
    const created = new FakeDirectory(this.failOn);
    this.children.set(name, created);
    return created;
  }

  async getFileHandle(name: string, options: { create?: boolean } = {}) {
    const child = this.children.get(name);
    if (child instanceof FakeFile) return child;
    if (child || !options.create) throw new DOMException(`${name} not found`, 'NotFoundError');
    const created = new FakeFile(name, name === this.failOn);
    this.children.set(name, created);
    return created;
  }

  async removeEntry(name: string) {
    if (!this.children.delete(name)) throw new DOMException(`${name} not found`, 'NotFoundError');
  }

  async *entries() {
    yield* this.children.entries();
  }
}

class FakeFile {
  readonly kind = 'file';
  bytes = new Uint8Array();
  constructor(
    readonly name: string,
    readonly fail: boolean,
  ) {}

  async getFile() {
    return new Blob([this.bytes]);
  }

  async createWritable() {
    if (this.fail) throw new DOMException('disk full', 'QuotaExceededError');
    let pending = new Uint8Array();
    return {
      write: async (bytes: Uint8Array) => {
        pending = bytes.slice();
      },
      close: async () => {
        this.bytes = pending;
      },
    };
  }
}

function storeOn(root: FakeDirectory) {
  return createOpfsCheckpointStore({
    root: async () => root as unknown as FileSystemDirectoryHandle,
  });
}

const files = (text: string) =>
  new Map([
    ['model.safetensors', new TextEncoder().encode(text)],
    ['config.json', new TextEncoder().encode('{}')],
  ]);

describe('createOpfsCheckpointStore', () => {
  it('writes, lists, reads and replaces checkpoints', async () => {
    const root = new FakeDirectory();
    const store = storeOn(root);
    await store.write('run-1', files('first'));
    await store.write('run-1', files('second'));
    expect(await store.list()).toEqual(['run-1']);
    const read = await store.read('run-1');
    expect(new TextDecoder().decode(read.get('model.safetensors'))).toBe('second');
    expect([...read.keys()].sort()).toEqual(['config.json', 'model.safetensors']);
    // The replaced version is gone: one version folder and the pointer remain.
    const checkpoint = await root
      .getDirectoryHandle('checkpoints')
      .then((d) => d.getDirectoryHandle('run-1'));
    expect(checkpoint.children.size).toBe(2);
    expect(checkpoint.children.has(CURRENT_FILE)).toBe(true);
    expect(store.locate('run-1')).toBe('opfs:/checkpoints/run-1');
  });

  it('keeps the previous checkpoint whole when a write fails, and never lists a half-written one', async () => {
    const root = new FakeDirectory('config.json');
    const store = storeOn(root);
    await expect(store.write('broken', files('x'))).rejects.toThrow(
      /Could not save checkpoint 'broken'.*disk full/,
    );
    expect(await store.list()).toEqual([]);
    await expect(store.read('broken')).rejects.toThrow(RangeError);
  });

  it('rejects unsafe names and removes checkpoints', async () => {
    const store = storeOn(new FakeDirectory());
    await expect(store.write('../escape', files('x'))).rejects.toThrow(RangeError);
    await store.write('keep', files('x'));
    await store.remove('keep');
    await store.remove('never-existed');
    expect(await store.list()).toEqual([]);
  });
});
