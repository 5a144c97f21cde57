import { readFile, rename, writeFile } from 'node:fs/promises';
import type { TokenizerJSON } from '@gpt2/tokenizer';
import { ShardFormatError } from '../errors/shard-format-error.js';
import type { ShardVersion } from '../shard-format.js';
import type { ShardInfo } from './shard-writer.js';

/** File name of the manifest inside a shard folder. */
export const MANIFEST_FILE = 'manifest.json';

/** One split's shards. */
export interface SplitManifest {
  documents: number;
  tokens: number;
  shards: ShardInfo[];
}

/** What `prepare` wrote: the JSON in `manifest.json`. */
export interface ShardManifest {
  kind: 'gpt2-data.shards';
  version: 1;
  /** llm.c header version of every shard: 1 = uint16 tokens, 2 = uint32 tokens. */
  shardVersion: ShardVersion;
  /** `tokenizer.toJSON()`: `tokenizerFromJSON(manifest.tokenizer)` rebuilds it. */
  tokenizer: TokenizerJSON;
  tokenizerName: string;
  vocabSize: number;
  /** Tokens put before every document (the EOT token, usually). */
  separator: number[];
  seed: number;
  split: { valFraction?: number; valDocuments?: number };
  shardTokens: number;
  /** UTF-16 code units of text read. */
  characters: number;
  /** JSONL lines skipped under `invalidLines: 'skip'`. */
  skippedLines: number;
  train: SplitManifest;
  val: SplitManifest;
  /**
   * Absolute folder of the shards. Set on the object `prepare` returns (so it can be passed to
   * `openShards`), never written to the file (the folder can be moved).
   */
  dir?: string;
}

/** Write `manifest.json` atomically (temp file, then rename). */
export async function writeManifest(path: string, manifest: ShardManifest): Promise<void> {
  const { dir: _dir, ...stored } = manifest;
  await writeFile(`${path}.tmp`, `${JSON.stringify(stored, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** Read and check a manifest. */
export async function readManifest(path: string): Promise<ShardManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ShardFormatError({
      file: path,
      reason: 'bad-manifest',
      message: 'cannot read manifest',
      cause,
    });
  }
  let manifest: ShardManifest;
  try {
    manifest = JSON.parse(text) as ShardManifest;
  } catch (cause) {
    throw new ShardFormatError({
      file: path,
      reason: 'bad-manifest',
      message: 'manifest is not JSON',
      cause,
    });
  }
  const splitOk = (s: SplitManifest | undefined) =>
    s !== undefined &&
    Array.isArray(s.shards) &&
    s.shards.every((x) => typeof x.file === 'string' && Number.isInteger(x.tokens));
  if (
    manifest?.kind !== 'gpt2-data.shards' ||
    manifest.version !== 1 ||
    !splitOk(manifest.train) ||
    !splitOk(manifest.val)
  ) {
    throw new ShardFormatError({
      file: path,
      reason: 'bad-manifest',
      message:
        "not a @gpt2/data manifest (expected kind 'gpt2-data.shards', version 1, train/val shard lists)",
    });
  }
  return manifest;
}
