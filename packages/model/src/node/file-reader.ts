import { open } from 'node:fs/promises';
import type { SafetensorsReader } from '../weights/readers.js';

/**
 * A {@link SafetensorsReader} over a file: each read is one positioned
 * `handle.read` of one tensor's bytes, so a 6 GB checkpoint (gpt2-xl) loads
 * without a 6 GB buffer. Close it (the loader does) to release the handle.
 */
export async function fileReader(path: string): Promise<SafetensorsReader> {
  const handle = await open(path, 'r');
  let byteLength: number;
  try {
    byteLength = (await handle.stat()).size;
  } catch (error) {
    await handle.close();
    throw error;
  }
  return {
    name: path,
    byteLength,
    async read(offset, length) {
      const size = Math.max(0, Math.min(length, byteLength - offset));
      const buffer = new Uint8Array(size);
      let filled = 0;
      while (filled < size) {
        const { bytesRead } = await handle.read(buffer, filled, size - filled, offset + filled);
        if (bytesRead === 0) break; // the file shrank while we read it
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
    close: () => handle.close(),
  };
}

/**
 * A {@link fileReader} that opens its handle on the first read, not before:
 * for sources handed out before anyone decides to read them (a model bundle's
 * weights). `byteLength` is the file's size, from a `stat` the caller did.
 */
export function lazyFileReader(path: string, byteLength: number): SafetensorsReader {
  let opened: Promise<SafetensorsReader> | undefined;
  return {
    name: path,
    byteLength,
    async read(offset, length) {
      opened ??= fileReader(path);
      return (await opened).read(offset, length);
    },
    async close() {
      if (opened) await (await opened).close?.();
      opened = undefined;
    },
  };
}
