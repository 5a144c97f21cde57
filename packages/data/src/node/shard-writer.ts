import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeShardHeader,
  encodeTokensInto,
  SHARD_HEADER_BYTES,
  type ShardVersion,
} from '../shard-format.js';
import type { TokenSink } from '../tokenize-pipeline.js';

/** One finished shard, as recorded in the manifest. */
export interface ShardInfo {
  /** File name, relative to the manifest's folder. */
  file: string;
  tokens: number;
  bytes: number;
  /** SHA-256 of the whole file (header included), hex; `sha256sum` gives the same. */
  sha256: string;
}

/** Tokens buffered before a write to disk. */
const FLUSH_TOKENS = 1 << 20;

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Uint8Array);
  }
  return hash.digest('hex');
}

/** Shard file name, llm.c style: `train_000000.bin`. */
export function shardFileName(split: string, index: number): string {
  return `${split}_${String(index).padStart(6, '0')}.bin`;
}

/**
 * Writes one split's tokens as llm.c shards of at most `shardTokens` tokens each.
 *
 * Crash safety: a shard is written to `<name>.tmp` with an all-zero header (no magic, so it can
 * never pass for a shard) and renamed into place only after the real header is written.
 */
export class ShardWriter implements TokenSink {
  readonly shards: ShardInfo[] = [];
  private pending: Uint32Array[] = [];
  private pendingTokens = 0;
  private handle: FileHandle | undefined;
  private tempPath = '';
  private shardTokensWritten = 0;
  /** Encoded bytes of one flush, reused (the write is awaited before the next flush). */
  private bytes = new Uint8Array(0);

  constructor(
    private readonly outDir: string,
    private readonly split: string,
    private readonly shardTokens: number,
    private readonly version: ShardVersion,
  ) {}

  async write(tokens: Uint32Array): Promise<void> {
    let rest = tokens;
    while (rest.length > 0) {
      const room = this.shardTokens - this.shardTokensWritten - this.pendingTokens;
      const take = rest.subarray(0, room);
      this.pending.push(take);
      this.pendingTokens += take.length;
      rest = rest.subarray(take.length);
      if (this.shardTokensWritten + this.pendingTokens === this.shardTokens) {
        await this.flush();
        await this.closeShard();
      } else if (this.pendingTokens >= FLUSH_TOKENS) {
        await this.flush();
      }
    }
  }

  /** Write the last, partial shard. */
  async finish(): Promise<ShardInfo[]> {
    await this.flush();
    await this.closeShard();
    return this.shards;
  }

  /** Close and delete the shard in progress (after an error). Finished shards stay. */
  async abort(): Promise<void> {
    this.pending = [];
    this.pendingTokens = 0;
    if (this.handle !== undefined) {
      await this.handle.close().catch(() => {});
      this.handle = undefined;
      await rm(this.tempPath, { force: true });
    }
  }

  private async flush(): Promise<void> {
    if (this.pendingTokens === 0) return;
    if (this.handle === undefined) {
      const name = shardFileName(this.split, this.shards.length);
      this.tempPath = join(this.outDir, `${name}.tmp`);
      this.handle = await open(this.tempPath, 'w');
      await this.handle.write(new Uint8Array(SHARD_HEADER_BYTES), 0, SHARD_HEADER_BYTES, 0);
    }
    // Encode straight from the pending pieces into one reused buffer: no joined copy, and no
    // fresh megabytes per flush for the garbage collector (this thread also feeds the workers).
    const width = this.version === 1 ? 2 : 4;
    const length = this.pendingTokens * width;
    if (this.bytes.length < length)
      this.bytes = new Uint8Array(Math.max(length, FLUSH_TOKENS * width));
    let at = 0;
    for (const chunk of this.pending) {
      encodeTokensInto(chunk, this.version, this.tempPath, this.bytes, at);
      at += chunk.length * width;
    }
    const position = SHARD_HEADER_BYTES + this.shardTokensWritten * width;
    await this.handle.write(this.bytes, 0, length, position);
    this.shardTokensWritten += this.pendingTokens;
    this.pending = [];
    this.pendingTokens = 0;
  }

  private async closeShard(): Promise<void> {
    if (this.handle === undefined) return;
    const header = encodeShardHeader(this.shardTokensWritten, this.version);
    await this.handle.write(header, 0, header.length, 0);
    await this.handle.sync();
    await this.handle.close();
    this.handle = undefined;
    const file = shardFileName(this.split, this.shards.length);
    const path = join(this.outDir, file);
    await rename(this.tempPath, path);
    this.shards.push({
      file,
      tokens: this.shardTokensWritten,
      bytes: SHARD_HEADER_BYTES + this.shardTokensWritten * (this.version === 1 ? 2 : 4),
      sha256: await sha256File(path),
    });
    this.shardTokensWritten = 0;
  }
}
