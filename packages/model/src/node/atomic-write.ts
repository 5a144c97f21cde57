import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where bytes of a file being written go. The default wraps a `node:fs` file handle. */
export interface FileSink {
  /** Appends all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes to the disk (fsync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Opens a new file for writing (it must not exist yet). */
export type OpenFileSink = (path: string) => Promise<FileSink>;

/** The default {@link OpenFileSink}: `fs.open(path, 'wx')`. */
export const openFileSink: OpenFileSink = async (path) => {
  const handle = await open(path, 'wx');
  return {
    async write(bytes) {
      let written = 0;
      while (written < bytes.byteLength) {
        const result = await handle.write(bytes, written, bytes.byteLength - written);
        written += result.bytesWritten;
      }
    },
    sync: () => handle.sync(),
    close: () => handle.close(),
  };
};

/** A file written to a temporary name next to its target, ready to be renamed into place. */
export interface TempFile {
  /** The temporary path (same folder as the target, so the rename is atomic). */
  path: string;
  target: string;
}

/**
 * Writes a file's content to a temporary file beside `target` and fsyncs it,
 * but does not rename it yet: callers commit several files together with
 * {@link commitTempFiles}. On any failure the temporary file is removed and
 * the error rethrown; `target` is never touched.
 */
export async function writeTempFile(
  target: string,
  write: (sink: FileSink) => Promise<void>,
  openSink: OpenFileSink = openFileSink,
): Promise<TempFile> {
  const path = join(
    dirname(target),
    `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  let sink: FileSink | undefined;
  try {
    sink = await openSink(path);
    await write(sink);
    await sink.sync();
    const closing = sink;
    sink = undefined;
    await closing.close();
    return { path, target };
  } catch (error) {
    await sink?.close().catch(() => undefined);
    await removeQuietly(path);
    throw error;
  }
}

/** Renames each temporary file over its target (atomic per file on POSIX), then fsyncs the folder. */
export async function commitTempFiles(files: TempFile[]): Promise<void> {
  try {
    for (const file of files) await rename(file.path, file.target);
  } catch (error) {
    await Promise.all(files.map((file) => removeQuietly(file.path)));
    throw error;
  }
  // Make the renames durable. Opening a folder fails on Windows: best effort.
  for (const folder of new Set(files.map((file) => dirname(file.target)))) {
    const handle = await open(folder, 'r').catch(() => undefined);
    await handle?.sync().catch(() => undefined);
    await handle?.close().catch(() => undefined);
  }
}

/** Removes temporary files that were written but will not be committed. */
export async function discardTempFiles(files: TempFile[]): Promise<void> {
  await Promise.all(files.map((file) => removeQuietly(file.path)));
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
