/**
 * Training speed of candidate quickstart shapes on the slowest CPU path the
 * quickstart meets (wasm + XNNPACK, no OpenBLAS), measured interleaved in one
 * process so machine load hits all alike. Prints ms per step and tokens/s of
 * each, to turn a time budget into a step count per candidate.
 *
 *   (cd apps/cli && pnpm exec tsx --conditions=@gpt2/source experiments/quickstart-candidates.ts SHARDS_512 SHARDS_1024 SHARDS_2048)
 *
 * Each SHARDS_V is a folder from `gpt2 prepare --brown --tokenizer tokV.json`.
 * Environment: ROUNDS (timed steps per candidate, default 12), NATIVE_BLAS=1 to time wasm with
 * OpenBLAS, BLAS=builtin|openblas to time the native backend instead (`builtin`: its own sgemm,
 * what a fresh machine with a C compiler but no OpenBLAS gets).
 */
import { loadavg } from 'node:os';
import { describeBackend, initBackend } from '@gpt2/backends';
import { createNativeBackend } from '@gpt2/backends/native';
import { createWasmBackend } from '@gpt2/backends/wasm';
import { createBatchSampler } from '@gpt2/data';
import { openShards, type ShardDataset } from '@gpt2/data/node';
import { countParameters, type GPT2Config, GPT2Model, resolveConfig } from '@gpt2/model';
import { createTrainer, type StepEvent, type Trainer } from '@gpt2/trainer';

interface Candidate {
  name: string;
  vocab: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  context: number;
  batch: number;
}

const CANDIDATES: Candidate[] = [
  {
    name: 'A 4L d128 ctx128 V1024',
    vocab: 1024,
    nLayer: 4,
    nHead: 4,
    nEmbd: 128,
    context: 128,
    batch: 16,
  },
  {
    name: 'B 4L d128 ctx128 V512',
    vocab: 512,
    nLayer: 4,
    nHead: 4,
    nEmbd: 128,
    context: 128,
    batch: 16,
  },
  {
    name: 'C 4L d128 ctx128 V2048',
    vocab: 2048,
    nLayer: 4,
    nHead: 4,
    nEmbd: 128,
    context: 128,
    batch: 16,
  },
  {
    name: 'D 3L d96 ctx128 V1024',
    vocab: 1024,
    nLayer: 3,
    nHead: 3,
    nEmbd: 96,
    context: 128,
    batch: 16,
  },
  {
    name: 'E 6L d128 ctx128 V1024',
    vocab: 1024,
    nLayer: 6,
    nHead: 4,
    nEmbd: 128,
    context: 128,
    batch: 16,
  },
  {
    name: 'F 2L d192 ctx128 V1024',
    vocab: 1024,
    nLayer: 2,
    nHead: 6,
    nEmbd: 192,
    context: 128,
    batch: 16,
  },
  {
    name: 'H 4L d96 ctx128 V1024',
    vocab: 1024,
    nLayer: 4,
    nHead: 3,
    nEmbd: 96,
    context: 128,
    batch: 16,
  },
  {
    name: 'I 2L d128 ctx128 V1024',
    vocab: 1024,
    nLayer: 2,
    nHead: 4,
    nEmbd: 128,
    context: 128,
    batch: 16,
  },
  {
    name: 'J 3L d64 ctx128 V1024',
    vocab: 1024,
    nLayer: 3,
    nHead: 2,
    nEmbd: 64,
    context: 128,
    batch: 16,
  },
  {
    name: 'K 3L d96 ctx128 V512',
    vocab: 512,
    nLayer: 3,
    nHead: 3,
    nEmbd: 96,
    context: 128,
    batch: 16,
  },
  {
    name: 'L 3L d96 ctx128 V1024 batch 8',
    vocab: 1024,
    nLayer: 3,
    nHead: 3,
    nEmbd: 96,
    context: 128,
    batch: 8,
  },
  {
    name: 'M 3L d64 ctx128 V1024 batch 8',
    vocab: 1024,
    nLayer: 3,
    nHead: 2,
    nEmbd: 64,
    context: 128,
    batch: 8,
  },
  {
    name: 'N 3L d64 ctx128 V1024 batch 4',
    vocab: 1024,
    nLayer: 3,
    nHead: 2,
    nEmbd: 64,
    context: 128,
    batch: 4,
  },
  {
    name: 'O 4L d64 ctx128 V1024 batch 8',
    vocab: 1024,
    nLayer: 4,
    nHead: 2,
    nEmbd: 64,
    context: 128,
    batch: 8,
  },
  {
    name: 'G 4L d128 ctx64 V1024',
    vocab: 1024,
    nLayer: 4,
    nHead: 4,
    nEmbd: 128,
    context: 64,
    batch: 32,
  },
  {
    name: 'P 4L d128 ctx128 V1024 batch 8',
    vocab: 1024,
    nLayer: 4,
    nHead: 4,
    nEmbd: 128,
    context: 128,
    batch: 8,
  },
];

const ROUNDS = Number(process.env.ROUNDS ?? 12);
const shardFolders = new Map<number, string>();
for (const folder of process.argv.slice(2)) {
  const match = /(\d+)\/?$/.exec(folder);
  if (match) shardFolders.set(Number(match[1]), folder);
}
const only = process.env.ONLY?.split(',');

const blas = process.env.BLAS;
const info = await initBackend(
  blas === 'builtin' || blas === 'openblas'
    ? createNativeBackend({ blas })
    : createWasmBackend({ nativeBlas: process.env.NATIVE_BLAS === '1' }),
);
console.log(`backend: ${describeBackend(info)}`);
console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

interface Run {
  candidate: Candidate;
  config: GPT2Config;
  model: GPT2Model;
  trainer: Trainer;
  events: StepEvent[];
  train: ShardDataset;
  controller: { limit: number };
  setStop: () => void;
}
const runs: Run[] = [];
for (const candidate of CANDIDATES) {
  if (only && !only.includes(candidate.name[0]!)) continue;
  const folder = shardFolders.get(candidate.vocab);
  if (!folder) {
    console.log(`${candidate.name}: no shards for vocabulary ${candidate.vocab}, skipped`);
    continue;
  }
  const train = await openShards(folder, { split: 'train' });
  const config = resolveConfig({
    preset: 'gpt2-tiny',
    vocabSize: candidate.vocab,
    nLayer: candidate.nLayer,
    nHead: candidate.nHead,
    nEmbd: candidate.nEmbd,
    nPositions: candidate.context,
    embdPdrop: 0,
    attnPdrop: 0,
    residPdrop: 0,
  });
  const model = GPT2Model.create(config, { seed: 1 });
  const events: StepEvent[] = [];
  let stop = 0;
  const controller = { limit: 0 };
  const trainer = createTrainer({
    model,
    train: createBatchSampler(train, {
      batchSize: candidate.batch,
      blockSize: candidate.context,
      seed: 1,
    }),
    config: { maxSteps: 1_000_000, schedule: { type: 'constant', lr: 1e-3 }, evalAtStart: false },
    onEvent: (e) => {
      if (e.type === 'step') events.push(e);
    },
    signal: {
      get aborted() {
        return events.length - stop >= controller.limit;
      },
    } as AbortSignal,
  });
  runs.push({
    candidate,
    config,
    model,
    trainer,
    events,
    train,
    controller,
    setStop: () => (stop = events.length),
  });
}

async function steps(run: Run, count: number) {
  run.setStop();
  run.controller.limit = count;
  await run.trainer.run();
}

for (const run of runs) await steps(run, 3); // warm-up: kernel set-up, weight packing
const timed = new Map(runs.map((run) => [run, [] as number[]]));
for (let round = 0; round < ROUNDS; round++) {
  for (const run of runs) {
    const before = run.events.length;
    await steps(run, 1);
    const event = run.events[before]!;
    timed.get(run)!.push((event.tokens * 1000) / event.tokensPerSecond);
  }
}
console.log(
  `load average at end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log('| candidate | parameters | ms/step (median) | tokens/s |');
console.log('|---|---:|---:|---:|');
for (const run of runs) {
  const ms = [...timed.get(run)!].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
  const tokens = run.candidate.batch * run.candidate.context;
  console.log(
    `| ${run.candidate.name} | ${countParameters(run.config).toLocaleString('en-US')} | ${ms.toFixed(0)} | ${((tokens * 1000) / ms).toFixed(0)} |`,
  );
  run.trainer.dispose();
  run.model.dispose();
  await run.train.close();
}
