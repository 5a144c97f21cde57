import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBrownCorpus } from '@gpt2/corpora';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorLines, runCli } from './run-cli.js';

// One pipeline, in order: each test uses what the previous ones wrote.
describe.sequential('gpt2 end to end: tokenizer → prepare → train → sample → eval → resume → convert', () => {
  let dir: string;
  const cli = (args: string[], input?: string) =>
    runCli(args, { cwd: dir, ...(input !== undefined ? { input } : {}) });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gpt2-cli-e2e-'));
    // One file per document: prepare splits train/val by document.
    await mkdir(join(dir, 'docs'));
    for (const document of (await loadBrownCorpus()).slice(0, 30)) {
      await writeFile(join(dir, 'docs', `${document.id}.txt`), document.text);
    }
    await writeFile(
      join(dir, 'tiny.json'),
      JSON.stringify({
        model: { preset: 'gpt2-tiny', nPositions: 32 },
        data: { shards: 'shards', batchSize: 4 },
        training: { maxSteps: 4, evalInterval: 2, evalBatches: 2 },
        out: 'run',
      }),
    );
  });

  it('trains a tokenizer and round-trips text through encode and decode', async () => {
    const trained = await cli([
      'tokenizer',
      'train',
      'docs',
      '--vocab-size',
      '400',
      '-o',
      'tok.json',
    ]);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/bpe-400, 400 tokens/);
    const text = 'The jury said it did find that many of the problems.';
    const encoded = await cli(['tokenizer', 'encode', '--tokenizer', 'tok.json'], text);
    expect(encoded.code).toBe(0);
    const ids = encoded.stdout.trim().split(' ').map(Number);
    expect(ids.every((id) => Number.isInteger(id) && id < 400)).toBe(true);
    const decoded = await cli(['tokenizer', 'decode', '--tokenizer', 'tok.json'], encoded.stdout);
    expect(decoded.stdout).toBe(text);
    const counted = await cli(['tokenizer', 'count', '--tokenizer', 'tok.json', '--json'], text);
    expect(JSON.parse(counted.stdout)).toMatchObject({ tokens: ids.length, bytes: text.length });
  });

  it('prepares shards with a train/val split', async () => {
    const result = await cli([
      'prepare',
      'docs',
      '--tokenizer',
      'tok.json',
      '--out',
      'shards',
      '--val-fraction',
      '0.2',
      '--workers',
      '0',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/prepare \[#+\] 100%/);
    const manifest = JSON.parse(await readFile(join(dir, 'shards', 'manifest.json'), 'utf8'));
    expect(manifest.train.tokens).toBeGreaterThan(10_000);
    expect(manifest.val.tokens).toBeGreaterThan(100);
  });

  it('trains a few steps with a progress line, a JSONL log and a loss curve', async () => {
    const result = await cli(['train', '--config', 'tiny.json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^backend: \S+ .* — /m);
    expect(result.stderr).toMatch(/eval step 4: val loss \d/);
    expect(result.stdout).toMatch(/checkpoint: .*step-00000004/);
    const events = (await readFile(join(dir, 'run', 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.filter((e) => e.type === 'step')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'eval').map((e) => e.step)).toEqual([0, 2, 4]);
    const svg = await readFile(join(dir, 'run', 'loss-curve.svg'), 'utf8');
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(await readdir(join(dir, 'run', 'checkpoints'))).toEqual(
      expect.arrayContaining(['best', 'step-00000004']),
    );
  });

  it('--max-time times the first steps, plans how many fit and ends the schedule there', async () => {
    const result = await cli([
      'train',
      '--config',
      'tiny.json',
      '--out',
      'timed',
      '--maxSteps',
      '0',
      '--evalInterval',
      '0',
      '--schedule.type',
      'cosine',
      '--schedule.maxLr',
      '0.002',
      '--schedule.decaySteps',
      '100',
      '--max-time',
      '3s',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/plan: ~[\d.]+k? tok\/s measured → \d+ steps fit in 3s/);
    const events = (await readFile(join(dir, 'timed', 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const [plan] = events.filter((e) => e.type === 'plan');
    const replans = events.filter((e) => e.type === 'replan');
    const steps = events.filter((e) => e.type === 'step');
    expect(plan.plan.schedule).toMatchObject({ type: 'wsd', maxLr: 0.002, minLr: 0.0002 });
    // Re-plans (every 10% of the budget) fit the step count to the speed on the way.
    for (const { replan } of replans) {
      expect(result.stderr).toContain(`re-plan at step ${replan.plannedAtStep}: ~`);
    }
    expect(steps).toHaveLength(replans.at(-1)?.replan.totalSteps ?? plan.plan.totalSteps);
    expect(steps.at(-1).lr).toBeLessThan(0.0003);
    expect(events.at(-1)).toMatchObject({ type: 'stop', reason: 'max-steps' });
    const config = JSON.parse(await readFile(join(dir, 'timed', 'train-config.json'), 'utf8'));
    expect(config.training.schedule).toBeUndefined();
    expect(config.training.timeBudget).toEqual({ ms: 3000, maxLr: 0.002, warmupSteps: 0 });
    const bad = await cli(['train', '--config', 'tiny.json', '--max-time', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-time: 'soon' is not a duration/);
  });

  it('samples deterministically with a seed, from --prompt and from stdin', async () => {
    const first = await cli(['sample', 'run', '--prompt', 'The jury', '-n', '8', '--seed', '7']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.length).toBeGreaterThan(0);
    const second = await cli(['sample', 'run', '-n', '8', '--seed', '7'], 'The jury');
    expect(second.stdout).toBe(first.stdout);
  });

  it('evaluates perplexity on the validation shards, as a table and as JSON', async () => {
    const table = await cli(['eval', 'run', '--shards', 'shards', '--max-tokens', '600']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/perplexity/);
    expect(table.stdout).toMatch(/bits per byte/);
    const json = await cli(['eval', 'run', '--shards', 'shards', '--max-tokens', '600', '--json']);
    const [report] = JSON.parse(json.stdout);
    expect(report.task).toBe('perplexity');
    expect(report.meanNll).toBeGreaterThan(0);
    expect(report.meanNll).toBeLessThan(Math.log(400) + 0.5);
  });

  it('estimates memory with info --memory, and refuses a training run wasm cannot hold', async () => {
    const table = await cli([
      'info',
      '--memory',
      'gpt2',
      '--batch',
      '8',
      '--context',
      '512',
      '--backend',
      'wasm',
    ]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^AdamW moments +949 MiB/m);
    expect(table.stdout).toMatch(/^limit +4\.00 GiB +the wasm32 heap \(wasm\): .* short$/m);
    const json = await cli([
      'info',
      '--memory',
      'gpt2',
      '--batch',
      '1',
      '--context',
      '128',
      '--recompute',
      '--json',
    ]);
    const { memory } = JSON.parse(json.stdout);
    expect(memory.training.options).toMatchObject({
      batchSize: 1,
      contextLength: 128,
      recompute: true,
    });
    expect(memory.sampling.totalBytes).toBeLessThan(memory.training.totalBytes);
    // A training run checks the same estimate before its first step.
    // The tiny model (width 32, 2 layers) at batch 16384 × 32: ~15 GB of activations.
    const big = await cli([
      'train',
      '--config',
      'tiny.json',
      '--out',
      'too-big',
      '--data.batchSize',
      '16384',
      '--backend',
      'wasm',
    ]);
    expect(big.code, big.stderr.slice(-2000)).toBe(1);
    expect(big.stderr).toMatch(
      /Out of memory on wasm: training a 39K-parameter model .* needs about [\d.]+ GiB/,
    );
    expect(big.stderr).toMatch(/--recompute true/);
  });

  it('resumes a run and refuses to start over in the same folder', async () => {
    const again = await cli(['train', '--config', 'tiny.json']);
    expect(again.code).toBe(1);
    expect(errorLines(again)).toEqual([
      expect.stringMatching(/already holds a run: continue it with --resume/),
    ]);
    const resumed = await cli(['train', '--resume', 'run', '--maxSteps', '6']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from .*step-00000004 at step 4/);
    expect(resumed.stdout).toMatch(/step-00000006/);
  });

  it('stops cleanly on Ctrl-C, saving a checkpoint that --resume continues', async () => {
    const result = await runCli(
      ['train', '--config', 'tiny.json', '--out', 'interrupted', '--maxSteps', '1000'],
      {
        cwd: dir,
        interruptWhen: /eval step 0/,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stopping cleanly/);
    expect(result.stdout).toMatch(/continue: {3}gpt2 train --resume .*interrupted/);
    const checkpoints = await readdir(join(dir, 'interrupted', 'checkpoints'));
    expect(checkpoints.some((name) => name.startsWith('step-'))).toBe(true);
  });

  it('rejects a checkpoint from another config in one line', async () => {
    const resumed = await cli([
      'train',
      '--resume',
      'run',
      '--maxSteps',
      '8',
      '--model.nLayer',
      '3',
    ]);
    expect(resumed.code).toBe(1);
    const lines = errorLines(resumed);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/nLayer/);
    const init = await cli([
      'train',
      '--config',
      'tiny.json',
      '--out',
      'run2',
      '--init-from',
      'run',
      '--model.nLayer',
      '3',
    ]);
    expect(init.code).toBe(1);
    expect(errorLines(init)).toEqual([
      expect.stringMatching(/checkpoint from another config: model.nLayer is 2 there, 3 here/),
    ]);
  });

  it('converts to a Hugging Face folder and back without changing the model', async () => {
    const toHf = await cli(['convert', 'run', '--out', 'hf']);
    expect(toHf.code, toHf.stderr).toBe(0);
    expect((await readdir(join(dir, 'hf'))).sort()).toEqual(['config.json', 'model.safetensors']);
    const hfConfig = JSON.parse(await readFile(join(dir, 'hf', 'config.json'), 'utf8'));
    expect(hfConfig).toMatchObject({ n_layer: 2, n_embd: 32, vocab_size: 400 });
    const back = await cli([
      'convert',
      'hf',
      '--to',
      'ours',
      '--tokenizer',
      'tok.json',
      '--out',
      'ours',
    ]);
    expect(back.code, back.stderr).toBe(0);
    const evaluate = async (model: string) =>
      JSON.parse(
        (await cli(['eval', model, '--shards', 'shards', '--max-tokens', '300', '--json'])).stdout,
      )[0].meanNll;
    expect(await evaluate('ours')).toBeCloseTo(await evaluate('run'), 5);
  });
});
