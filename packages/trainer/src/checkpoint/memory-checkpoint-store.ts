import { CheckpointWriteError } from '../errors/checkpoint-write-error.js';
import { InvalidCheckpointError } from '../errors/invalid-checkpoint-error.js';
import { assertCheckpointName, type CheckpointStore } from './checkpoint-store.js';

/**
 * A {@link CheckpointStore} in memory: for tests, and for short browser runs
 * that need no persistence. Files are copied in and out, so callers may reuse
 * their buffers.
 */
export function createMemoryCheckpointStore(): CheckpointStore {
  const checkpoints = new Map<string, Map<string, Uint8Array>>();
  return {
    async list() {
      return [...checkpoints.keys()];
    },
    async write(name, files) {
      assertCheckpointName(name);
      try {
        const copy = new Map<string, Uint8Array>();
        for (const [file, bytes] of files) copy.set(file, bytes.slice());
        checkpoints.set(name, copy);
      } catch (cause) {
        throw new CheckpointWriteError({ checkpoint: name, cause });
      }
    },
    async read(name) {
      const files = checkpoints.get(name);
      if (!files)
        throw new InvalidCheckpointError({ checkpoint: name, reason: 'no such checkpoint.' });
      return new Map([...files].map(([file, bytes]) => [file, bytes.slice()]));
    },
    async remove(name) {
      checkpoints.delete(name);
    },
    locate(name) {
      return `memory:${name}`;
    },
  };
}
