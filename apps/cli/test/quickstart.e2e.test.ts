import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentTimeBudgetFit } from '@gpt2/trainer';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('gpt2 quickstart (smoke: the main job with its time cut down)', () => {
  it('trains a tokenizer, prepares shards, trains, evaluates, samples and reports where things are', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gpt2-quickstart-'));
    const args = [
      'quickstart',
      '--time',
      '40s',
      '--tokenizer-vocab',
      '300',
      '--eval-tokens',
      '1000',
      '--out',
      'qs',
    ];
    const result = await runCli(args, { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    for (const stage of [
      '[1/5] tokenizer',
      '[2/5] shards',
      '[3/5] training',
      '[4/5] evaluation',
      '[5/5] samples',
    ]) {
      expect(result.stderr).toContain(stage);
    }
    expect(result.stderr).toMatch(/^backend: \S+ .* — /m);
    expect(result.stdout).toMatch(/bits per byte\s+\d\.\d{3}\s+\d\.\d{3}/);
    expect(result.stdout).toMatch(/> The jury said\n {2}model: .+\n {2}unigram: .+/);
    // The plan line: measured speed → steps that fit the time left.
    expect(result.stderr).toMatch(/plan: ~[\d.]+k? tok\/s measured → \d+ steps fit in \d+s/);
    const report = JSON.parse(await readFile(join(dir, 'qs', 'report.json'), 'utf8'));
    expect(report).toMatchObject({ format: 'gpt2-quickstart-report', version: 2 });
    expect(report.tokenizer).toEqual({ name: 'bpe-300', vocabSize: 300 });
    // The run ended where its plan said, the schedule decayed to the end.
    expect(report.stopReason).toBe('max-steps');
    // The plan in effect at the end: the last re-plan's, or the first plan when none changed it.
    expect(report.steps).toBe(currentTimeBudgetFit(report.plan).totalSteps);
    expect(report.curve.train).toHaveLength(report.steps);
    // One measurement: the perplexity is e^loss, for the model and the baseline alike.
    for (const side of [report.evaluation.model, report.evaluation.unigram]) {
      expect(side.perplexity).toBeCloseTo(Math.exp(side.meanNll), 6);
      expect(side.bitsPerByte).toBeGreaterThan(0);
    }
    // However few steps a loaded machine fits in, they move the model below a uniform guess.
    expect(report.evaluation.model.meanNll).toBeLessThan(Math.log(300));
    expect(report.curve.val.at(-1).loss).toBeLessThan(report.curve.val[0].loss);
    expect(report.samples.pairs).toHaveLength(3);
    for (const path of [report.files.checkpoint, report.files.metrics, report.files.lossCurve]) {
      expect((await stat(path)).isFile() || (await stat(path)).isDirectory()).toBe(true);
    }
    expect(result.stdout).toContain(`loss curve: ${join(dir, 'qs', 'loss-curve.svg')}`);

    // A second run into the same folder needs --force.
    const again = await runCli(args, { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a quickstart run: add --force/);
    const both = await runCli(['quickstart', '--time', '1m', '--steps', '5'], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--steps and --time exclude each other/);
  });
});
