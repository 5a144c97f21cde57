/**
 * The float32 master weights in a run's optimizer state files
 * (`state_<step>_<rank>.bin`, llm.c `train_gpt2.cu` `save_state`):
 *
 *   header  256 int32: [0] magic 20240527, [1] version 1, [2] processes,
 *           [3] rank, [4] master weights kept (1) or not, [5] loader shuffles,
 *           [10] step, [20..21] rng state, [30..33] loader position
 *   body    AdamW m, AdamW v, then the master weights (if kept): float32 each,
 *           `shard` elements; then, if the loader shuffles, its permutation
 *           (u64 n, int32[n], u64 m, int32[m], a 2,520-byte mt19937 state)
 *
 * Without ZeRO every rank holds all parameters (`shard` = N) in the model
 * file's order. With ZeRO-1 each of P ranks holds 1/P of every tensor slice
 * (`shard` = N/P): slice l of tensor i, rank r, is at element
 * `offset_i / P + l * size_i / P` of that rank's region. The state header
 * does not record the ZeRO stage; the file size tells.
 *
 * A bfloat16 run's model file holds its weights rounded to bfloat16 (and
 * stochastically rounded at that); the master weights are the float32 values
 * the run itself would resume from.
 */
import { decodeFloat } from '../weights/dtypes.js';
import type { SafetensorsReader } from '../weights/readers.js';
import { LLMC_HEADER_BYTES, LLMC_STATE_MAGIC, type LlmcLayout } from './llmc-format.js';
import { LlmcFormatError } from './llmc-format-error.js';

/** The only state file version llm.c writes. */
export const LLMC_STATE_VERSION = 1;
/** `sizeof(mt19937_state)` in llm.c's `rand.h`: u64 seed, int left, uint next, uint[624], uint[2]. */
const MT19937_STATE_BYTES = 8 + 4 + 4 + 624 * 4 + 2 * 4;

/** The header of a state file. */
export interface LlmcStateHeader {
  processes: number;
  rank: number;
  /** Whether the file holds float32 master weights. */
  masterWeights: boolean;
  shuffle: boolean;
  step: number;
}

/** Reads and checks a state file's header. */
export function parseLlmcStateHeader(bytes: Uint8Array, source: string): LlmcStateHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < LLMC_HEADER_BYTES) {
    throw new LlmcFormatError({
      source,
      field: 'header',
      problem: 'truncated',
      message: `the file ends after ${bytes.byteLength} bytes, inside the ${LLMC_HEADER_BYTES}-byte header.`,
    });
  }
  const int = (i: number) => view.getInt32(i * 4, true);
  if (int(0) !== LLMC_STATE_MAGIC) {
    throw new LlmcFormatError({
      source,
      field: 'magic',
      problem: 'bad-magic',
      message: `magic number ${int(0)}, expected ${LLMC_STATE_MAGIC} (an llm.c run state file).`,
      expected: LLMC_STATE_MAGIC,
      actual: int(0),
    });
  }
  if (int(1) !== LLMC_STATE_VERSION) {
    throw new LlmcFormatError({
      source,
      field: 'version',
      problem: 'unknown-version',
      message: `state version ${int(1)}; known: ${LLMC_STATE_VERSION}.`,
      actual: int(1),
    });
  }
  const header = {
    processes: int(2),
    rank: int(3),
    masterWeights: int(4) === 1,
    shuffle: int(5) === 1,
    step: int(10),
  };
  if (header.processes < 1 || header.rank < 0 || header.rank >= header.processes) {
    throw new LlmcFormatError({
      source,
      field: 'rank',
      problem: 'bad-field',
      message: `rank ${header.rank} of ${header.processes} processes.`,
    });
  }
  return header;
}

/** One opened state file. */
export interface LlmcStateFile {
  reader: SafetensorsReader;
  header: LlmcStateHeader;
}

/** Where the master weights are in each rank's file. */
export interface MasterWeightsPlan {
  /** ZeRO-1 (sharded optimizer state) or not. */
  sharded: boolean;
  /** State files by rank (only rank 0's is needed without sharding). */
  files: LlmcStateFile[];
  /** Elements each file holds per AdamW buffer. */
  shard: number;
}

function u64(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
}

/** Whether a file of this size holds `shard` elements per buffer (m, v, master, then the loader's tail). */
async function fitsShard(file: LlmcStateFile, shard: number): Promise<boolean> {
  const size = file.reader.byteLength!;
  const tail = LLMC_HEADER_BYTES + 3 * shard * 4;
  if (!file.header.shuffle) return size === tail;
  if (size < tail + 8) return false;
  const shards = u64(await file.reader.read(tail, 8));
  const samplesAt = tail + 8 + 4 * shards;
  if (!(samplesAt + 8 <= size)) return false;
  const samples = u64(await file.reader.read(samplesAt, 8));
  return size === samplesAt + 8 + 4 * samples + MT19937_STATE_BYTES;
}

/**
 * Checks a run's state files against the model layout and works out where the
 * master weights are. Returns undefined (with the reason) when the run kept
 * no master weights.
 * @throws LlmcFormatError for files that disagree with each other or with the model.
 */
export async function planMasterWeights(
  layout: LlmcLayout,
  readers: SafetensorsReader[],
): Promise<MasterWeightsPlan | { unavailable: string }> {
  const files: LlmcStateFile[] = [];
  for (const reader of readers) {
    if (reader.byteLength === undefined) {
      throw new RangeError(
        `loadLlmcCheckpoint: state file ${reader.name} needs a known size (a file, Blob or buffer).`,
      );
    }
    files.push({
      reader,
      header: parseLlmcStateHeader(await reader.read(0, LLMC_HEADER_BYTES), reader.name),
    });
  }
  const first = files[0];
  if (!first) return { unavailable: 'no state files' };
  if (!first.header.masterWeights)
    return { unavailable: `${first.reader.name} keeps no master weights (the run used -w 0)` };
  const processes = first.header.processes;
  const byRank: LlmcStateFile[] = [];
  for (const file of files) {
    if (file.header.processes !== processes || file.header.step !== first.header.step) {
      throw new LlmcFormatError({
        source: file.reader.name,
        field: file.header.processes !== processes ? 'processes' : 'step',
        problem: 'bad-field',
        message: `state files of different runs or steps: ${first.reader.name} has ${processes} processes at step ${first.header.step}, this one ${file.header.processes} at step ${file.header.step}.`,
      });
    }
    byRank[file.header.rank] = file;
  }
  const N = layout.numParameters;
  // Without ZeRO every rank holds all master weights: any one file will do.
  for (const file of files) {
    if (await fitsShard(file, N)) return { sharded: false, files: [file], shard: N };
  }
  if (processes > 1 && N % processes === 0) {
    const shard = N / processes;
    const any = files[0]!;
    if (await fitsShard(any, shard)) {
      const missing = [...Array(processes).keys()].filter((rank) => !byRank[rank]);
      if (missing.length > 0) {
        throw new LlmcFormatError({
          source: any.reader.name,
          field: 'rank',
          problem: 'bad-field',
          message: `the run sharded its optimizer state (ZeRO-1) over ${processes} processes; the state files of rank(s) ${missing.join(', ')} are missing.`,
        });
      }
      for (const file of byRank) {
        if (!(await fitsShard(file, shard))) {
          throw new LlmcFormatError({
            source: file.reader.name,
            field: 'size',
            problem: 'size-mismatch',
            message: `${file.reader.byteLength} bytes fit neither the full nor the 1/${processes} state layout of this model (${N} parameters).`,
          });
        }
      }
      return { sharded: true, files: byRank, shard };
    }
  }
  throw new LlmcFormatError({
    source: first.reader.name,
    field: 'size',
    problem: 'size-mismatch',
    message: `${first.reader.byteLength} bytes fit no state layout of this model (${N} parameters${processes > 1 ? `, ${processes} processes` : ''}): a state file of another model?`,
  });
}

/** Reads the float32 master weights of one tensor slice (file order, so offsets only grow). */
export async function readMasterSlice(
  plan: MasterWeightsPlan,
  layout: LlmcLayout,
  tensorIndex: number,
  slice: number,
): Promise<Float32Array> {
  const tensor = layout.tensors[tensorIndex]!;
  // Element offset of the tensor in the full parameter vector.
  const tensorStart = (tensor.byteOffset - LLMC_HEADER_BYTES) / layout.elementBytes;
  const masterStart = LLMC_HEADER_BYTES + 2 * plan.shard * 4; // after m and v
  const out = new Float32Array(tensor.sliceElements);
  const pieces = plan.sharded ? plan.files.length : 1;
  const piece = tensor.sliceElements / pieces;
  for (let rank = 0; rank < pieces; rank++) {
    const element = plan.sharded
      ? tensorStart / pieces + slice * piece
      : tensorStart + slice * tensor.sliceElements;
    const file = plan.files[rank]!;
    const bytes = await file.reader.read(masterStart + element * 4, piece * 4);
    if (bytes.byteLength < piece * 4) {
      throw new LlmcFormatError({
        source: file.reader.name,
        field: tensor.name,
        problem: 'truncated',
        message: 'the master weights end early.',
      });
    }
    out.set(decodeFloat('F32', bytes, piece), rank * piece);
  }
  return out;
}
