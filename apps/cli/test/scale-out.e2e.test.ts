/**
 * docs/scale-out.md, run at tiny sizes: the guide's settings block and the
 * sizes in its train.json are replaced by tiny ones, every `scale-out:run`
 * block runs in order through bash (gpt2 = this CLI from source, python3 and
 * torchrun = Debian's PyTorch), and the llm.c and multi-node blocks, which
 * need GPUs and several machines, are checked against the files the other
 * blocks wrote. Then:
 * - the DDP run (torchrun, 2 processes, gloo) has the losses of the
 *   single-process run with the same global batch (≤ 1e-5 relative);
 * - `gpt2 eval` on its checkpoint gives the NLL of the recipe's own
 *   evaluation (≤ 1e-5);
 * - the llm.c round trip gives back the exported weights, bfloat16-rounded.
 * Needs /usr/bin/python3 with torch (skipped with a warning where absent, except under CI=true).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemRequirement } from '@gpt2/backends/testing';
import { loadBrownCorpus } from '@gpt2/corpora';
import {
  bfloat16ToFloat32,
  decodeLlmcTokenizer,
  float32ToBfloat16,
  PRESETS,
  parseLlmcHeader,
  readSafetensors,
} from '@gpt2/model';
import { DEFAULT_TRAINING_CONFIG, type LearningRateSchedule, learningRateAt } from '@gpt2/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './run-cli.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const GUIDE = join(REPO, 'docs', 'scale-out.md');
const PYTHON = '/usr/bin/python3';
const TSX = createRequire(import.meta.url).resolve('tsx/esm');

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const ready = systemRequirement(
  `${PYTHON} with torch and numpy`,
  hasTorch,
  'apt-get install python3-torch python3-numpy',
);

/** The guide's settings at CI size (the names must be exactly the guide's). */
const TINY_SETTINGS: Record<string, string> = {
  GPUS: '2',
  MICRO_BATCH: '2',
  TOKENIZER: 'tokenizer.json',
  LAPTOP_STEPS: '2',
  EVAL_TOKENS: '2000',
  VAL_FRACTION: '0.2',
};

/** The only train.json keys the test changes: sizes. Everything else is the guide's. */
const TINY_TRAIN_SIZES = {
  model: { preset: 'gpt2-tiny', nPositions: 32 },
  data: { batchSize: 4, blockSize: 32 },
  training: {
    maxSteps: 6,
    gradientAccumulationSteps: 2,
    schedule: { warmupSteps: 2, decaySteps: 6 },
    evalInterval: 3,
    evalBatches: 2,
    checkpointInterval: 3,
  },
};

interface Block {
  kind: string;
  argument: string | undefined;
  code: string;
}

/** Fenced blocks announced by `<!-- scale-out:KIND [ARGUMENT] -->`, in document order. */
function guideBlocks(markdown: string): Block[] {
  const pattern = /<!-- scale-out:([a-z]+)(?: ([^ ]+))? -->\n```[a-z]*\n([\s\S]*?)```/g;
  return [...markdown.matchAll(pattern)].map((m) => ({ kind: m[1]!, argument: m[2], code: m[3]! }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `base` with `sizes`' leaves. Outside `model` (whose fields a preset fills in)
 * every key must exist in `base`, so the guide cannot drop one unnoticed.
 */
function overlay(
  base: Record<string, unknown>,
  sizes: Record<string, unknown>,
  path = '',
): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(sizes)) {
    if (!(key in base) && !path.startsWith('model.')) {
      throw new Error(`the guide's train.json has no ${path}${key}`);
    }
    out[key] = isObject(value)
      ? overlay(base[key] as Record<string, unknown>, value, `${path}${key}.`)
      : value;
  }
  return out;
}

/** Shell words of a command line (quotes removed; variables left as written), continuation lines joined. */
function words(line: string): string[] {
  return [...line.matchAll(/(?:"[^"]*"|'[^']*'|[^\s"'])+/g)].map((m) =>
    m[0].replace(/"([^"]*)"|'([^']*)'/g, '$1$2'),
  );
}

/** Commands of a block: lines joined across `\`, comments and blanks dropped. */
function commands(code: string): string[][] {
  return code
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(words);
}

/** A shell glob (only `*`) as a regex over file names. */
function globRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
}

function stepLosses(jsonl: string): number[] {
  return jsonl
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; loss?: number })
    .filter((event) => event.type === 'step')
    .map((event) => event.loss!);
}

/** llm.c `train_gpt2cu`'s flags (its argument parser), each taking one value. */
const LLMC_FLAGS = new Set(
  'i j e o n y b t d l u q c x v m s g a f w z r h k ge pi pf ps pn pr pg sl sg nk nm'.split(' '),
);

describe.runIf(ready)('docs/scale-out.md at tiny sizes', () => {
  let dir: string;
  let blocks: Block[];
  const outputs: string[] = [];

  beforeAll(async () => {
    blocks = guideBlocks(await readFile(GUIDE, 'utf8'));
    dir = await mkdtemp(join(tmpdir(), 'gpt2-scale-out-'));
    await mkdir(join(dir, 'corpus'));
    for (const document of (await loadBrownCorpus()).slice(0, 30)) {
      await writeFile(join(dir, 'corpus', `${document.id}.txt`), document.text);
    }
    // The guide runs from a clone of the repository: tools/ is where it says.
    await symlink(join(REPO, 'tools'), join(dir, 'tools'));
    const bin = join(dir, '.bin');
    await mkdir(bin);
    const shims: Record<string, string> = {
      gpt2: `exec "${process.execPath}" --conditions=@gpt2/source --import "${TSX}" "${BIN}" "$@"`,
      python3: `exec ${PYTHON} "$@"`,
      // Debian 12's torchrun cannot parse its default redirect flags under Python 3.11 (see the guide).
      torchrun: `exec ${PYTHON} -m torch.distributed.run --redirects 2 --tee 2 "$@"`,
    };
    for (const [name, body] of Object.entries(shims)) {
      await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
      await chmod(join(bin, name), 0o755);
    }
    // The guide's TOKENIZER at tiny size: our own byte-level BPE (export must handle any).
    const trained = spawnSync(
      join(bin, 'gpt2'),
      ['tokenizer', 'train', 'corpus', '--vocab-size', '512', '-o', 'tokenizer.json'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(trained.status, trained.stderr).toBe(0);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function bash(code: string) {
    const settings = Object.entries(TINY_SETTINGS)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n');
    // --norc: a `bash -c` whose stdin is a socket and whose SHLVL is unset (as under turbo's
    // strict env) runs ~/.bashrc, which may put another python3 (pyenv) before the shims.
    return spawnSync('bash', ['--norc', '-c', `set -euo pipefail\n${settings}\n${code}`], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${join(dir, '.bin')}:${process.env.PATH}`,
        GPT2_BACKEND: '',
        GPT2_DEBUG: '',
      },
      maxBuffer: 1 << 26,
    });
  }

  it('has the settings the test replaces, and a train.json whose sizes it replaces', async () => {
    const settings = blocks.filter((b) => b.kind === 'settings');
    expect(settings).toHaveLength(1);
    const names = [...settings[0]!.code.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect(names).toEqual(Object.keys(TINY_SETTINGS));
    const files = blocks.filter((b) => b.kind === 'file');
    expect(files.map((b) => b.argument)).toEqual(['train.json']);
    const config = overlay(JSON.parse(files[0]!.code), TINY_TRAIN_SIZES);
    await writeFile(join(dir, 'train.json'), JSON.stringify(config, null, 2));
  });

  it("runs every block of the guide, in order (llm.c's run simulated by its export)", async () => {
    const llmcRun = commands(blocks.find((b) => b.kind === 'llmc')!.code)
      .map((command) => command.indexOf('-o'))
      .find((index) => index >= 0);
    for (const block of blocks.filter((b) => b.kind === 'run')) {
      // Where llm.c would have written its run folder, put the exported model as a finished checkpoint.
      if (block.code.includes('--from llmc')) await simulateLlmcRun();
      const started = performance.now();
      const result = bash(block.code);
      expect(result.status, `${block.code}\n${result.stderr}`).toBe(0);
      outputs.push(result.stdout);
      console.log(
        `scale-out block (${((performance.now() - started) / 1000).toFixed(1)} s): ${block.code.split('\n')[0]}`,
      );
    }
    expect(llmcRun).toBeDefined();
  }, 300_000);

  /** llm.c's commands, parsed; the model, tokenizer and shards they name exist and are what llm.c reads. */
  function llmcCommands() {
    return blocks
      .filter((b) => b.kind === 'llmc')
      .flatMap((b) => commands(b.code))
      .map((command) => {
        if (command[0] === 'cp') return { kind: 'cp' as const, command };
        const at = command.indexOf('./train_gpt2cu');
        expect(at, command.join(' ')).toBeGreaterThanOrEqual(0);
        const processes = command[0] === 'mpirun' ? Number(command[command.indexOf('-np') + 1]) : 1;
        const flags = new Map<string, string>();
        const rest = command.slice(at + 1);
        for (let i = 0; i < rest.length; i += 2) {
          const flag = rest[i]!;
          expect(flag.startsWith('-') && LLMC_FLAGS.has(flag.slice(1)), `llm.c flag ${flag}`).toBe(
            true,
          );
          flags.set(flag.slice(1), rest[i + 1]!);
        }
        return { kind: 'train' as const, processes, flags };
      });
  }

  async function simulateLlmcRun() {
    for (const command of llmcCommands()) {
      if (command.kind !== 'train') continue;
      const run = join(dir, command.flags.get('o')!);
      await mkdir(run, { recursive: true });
      await copyFile(join(dir, command.flags.get('e')!), join(run, 'model_00000005.bin'));
      await writeFile(join(run, 'DONE_00000005'), '');
    }
  }

  it("names files llm.c can read, with flags llm.c's parser accepts and a batch it can split", async () => {
    const shards = await readdir(join(dir, 'shards'));
    for (const command of llmcCommands()) {
      if (command.kind === 'cp') {
        const [, from, to] = command.command;
        expect(to).toBe('gpt2_tokenizer.bin'); // the name train_gpt2cu opens
        const table = decodeLlmcTokenizer(new Uint8Array(await readFile(join(dir, from!))));
        expect(table.tokens).toHaveLength(512);
        continue;
      }
      const { flags, processes } = command;
      const model = new Uint8Array(await readFile(join(dir, flags.get('e')!)));
      const header = parseLlmcHeader(model, { byteLength: model.byteLength });
      expect(header).toMatchObject({ version: 5, V: 512, Vp: 512 }); // the default (bfloat16) build's version
      for (const flag of ['i', 'j']) {
        const pattern = flags.get(flag)!;
        expect(pattern.startsWith('shards/')).toBe(true);
        const matched = shards.filter((name) =>
          globRegex(pattern.slice('shards/'.length)).test(name),
        );
        expect(matched.length, pattern).toBeGreaterThan(0);
        for (const name of matched) {
          const head = new DataView((await readFile(join(dir, 'shards', name))).buffer);
          expect([head.getInt32(0, true), head.getInt32(4, true)]).toEqual([20240520, 1]);
        }
      }
      // llm.c asserts total_batch_size % (B * T * processes) == 0.
      const tokensPerPass = Number(flags.get('b')) * Number(flags.get('t')) * processes;
      expect(Number(flags.get('d')) % tokensPerPass).toBe(0);
      expect(flags.get('o')).toBe('llmc-run');
    }
  });

  it('gets back from llm.c exactly the exported weights (bfloat16-rounded)', async () => {
    const laptop = join(dir, 'runs', 'laptop', 'checkpoints');
    const folder = existsSync(join(laptop, 'best'))
      ? join(laptop, 'best')
      : join(
          laptop,
          (await readdir(laptop))
            .filter((n) => n.startsWith('step-'))
            .sort()
            .at(-1)!,
        );
    const before = readSafetensors(await readFile(join(folder, 'model.safetensors'))).tensors;
    const after = readSafetensors(
      await readFile(join(dir, 'runs', 'from-llmc', 'model.safetensors')),
    ).tensors;
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, tensor] of before) {
      const rounded = (tensor.data as Float32Array).map((v) =>
        bfloat16ToFloat32(float32ToBfloat16(v)),
      );
      expect(after.get(name)!.data, name).toEqual(rounded);
    }
  });

  it('trains with torchrun (2 processes) to the losses of one process with the same global batch', async () => {
    const singleLog = await readFile(join(dir, 'runs', 'ddp-1', 'metrics.jsonl'), 'utf8');
    const ddpLog = await readFile(join(dir, 'runs', 'ddp', 'metrics.jsonl'), 'utf8');
    // The same global batch of 8 rows: 1 process x 4 micro-batches of 2, and 2 processes x 2 x 2.
    const start = (log: string) => JSON.parse(log.split('\n')[0]!);
    expect(start(singleLog)).toMatchObject({
      type: 'start',
      processes: 1,
      accumulation: 4,
      rowsPerStep: 8,
    });
    expect(start(ddpLog)).toMatchObject({
      type: 'start',
      processes: 2,
      accumulation: 2,
      rowsPerStep: 8,
    });
    const single = stepLosses(singleLog);
    const ddp = stepLosses(ddpLog);
    expect(single).toHaveLength(TINY_TRAIN_SIZES.training.maxSteps);
    expect(ddp).toHaveLength(single.length);
    const worst = Math.max(...single.map((loss, i) => Math.abs(ddp[i]! - loss) / loss));
    console.log(
      `DDP (2 processes) vs 1 process, ${single.length} steps: max relative loss difference ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-5);
    // The loss went down: the steps trained.
    expect(single.at(-1)!).toBeLessThan(single[0]!);
  });

  it("loads the DDP checkpoint in the CLI: gpt2 eval's NLL is the recipe's own", async () => {
    const recipe = JSON.parse(await readFile(join(dir, 'runs', 'ddp', 'eval.json'), 'utf8'));
    const [ours] = JSON.parse(await readFile(join(dir, 'runs', 'ddp', 'eval-node.json'), 'utf8'));
    expect(ours.numScored).toBe(recipe.numScored);
    expect(ours.numTokens).toBe(Number(TINY_SETTINGS.EVAL_TOKENS));
    const difference = Math.abs(ours.meanNll - recipe.meanNll) / recipe.meanNll;
    console.log(
      `gpt2 eval vs train_ddp.py eval: mean NLL ${ours.meanNll} vs ${recipe.meanNll}, relative difference ${difference.toExponential(2)}`,
    );
    expect(difference).toBeLessThan(1e-5);
    // gpt2 sample printed text, and gpt2 train --init-from continued from the DDP checkpoint.
    expect(outputs.at(-1)!.length).toBeGreaterThan(0);
    expect(await readdir(join(dir, 'runs', 'finetune', 'checkpoints'))).toEqual(
      expect.arrayContaining(['best']),
    );
  });

  it('launches many nodes with the same recipe arguments as one node', () => {
    const script = (command: string[]) =>
      command.slice(command.indexOf('tools/scale-out/train_ddp.py'));
    const single = commands(
      blocks.find((b) => b.kind === 'run' && b.code.startsWith('torchrun'))!.code,
    )[0]!;
    const multi = commands(blocks.find((b) => b.kind === 'multinode')!.code)[0]!;
    expect(script(multi)).toEqual(script(single));
    for (const flag of [
      '--nnodes=2',
      '--node_rank=$NODE_RANK',
      '--rdzv_backend=c10d',
      '--rdzv_endpoint=$NODE0:29500',
    ]) {
      expect(multi).toContain(flag);
    }
  });
});

describe.runIf(ready)('tools/scale-out mirrors @gpt2/model and @gpt2/trainer', () => {
  const python = (code: string) => {
    const run = spawnSync(PYTHON, ['-c', code], {
      cwd: join(REPO, 'tools', 'scale-out'),
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as unknown;
  };

  it('has the same presets and training defaults', () => {
    expect(
      python(
        'import json, sys; sys.dont_write_bytecode = True; from model import PRESETS; print(json.dumps(PRESETS))',
      ),
    ).toEqual(PRESETS);
    expect(
      python(
        'import json, sys; sys.dont_write_bytecode = True; from train_ddp import DEFAULT_TRAINING; print(json.dumps(DEFAULT_TRAINING))',
      ),
    ).toEqual(DEFAULT_TRAINING_CONFIG);
  });

  it('computes the learning rate of every schedule type exactly as learningRateAt', () => {
    const schedules: LearningRateSchedule[] = [
      { type: 'constant', lr: 1e-3, warmupSteps: 3 },
      { type: 'cosine', maxLr: 6e-4, warmupSteps: 5, decaySteps: 40 },
      { type: 'cosine', maxLr: 6e-4, minLr: 1e-5, decaySteps: 40 },
      { type: 'linear', maxLr: 1e-3, warmupSteps: 2, decaySteps: 30 },
      {
        type: 'wsd',
        maxLr: 1e-3,
        minLr: 1e-4,
        warmupSteps: 2,
        stableSteps: 10,
        decaySteps: 20,
        decayShape: 'sqrt',
      },
      {
        type: 'wsd',
        maxLr: 1e-3,
        warmupSteps: 2,
        stableSteps: 10,
        decaySteps: 20,
        decayShape: 'cosine',
      },
    ];
    const steps = [...Array(50).keys()];
    const ours = schedules.map((s) => steps.map((step) => learningRateAt(s, step)));
    const theirs = python(
      `import json, sys; sys.dont_write_bytecode = True; from schedule import learning_rate_at; s = json.loads(${JSON.stringify(JSON.stringify(schedules))}); print(json.dumps([[learning_rate_at(x, k) for k in range(50)] for x in s]))`,
    ) as number[][];
    // The same arithmetic; only libm's cos may differ in the last bit.
    const worst = Math.max(
      ...theirs.flatMap((row, i) =>
        row.map(
          (value, step) => Math.abs(value - ours[i]![step]!) / Math.max(ours[i]![step]!, 1e-9),
        ),
      ),
    );
    expect(worst).toBeLessThan(1e-12);
  });
});
