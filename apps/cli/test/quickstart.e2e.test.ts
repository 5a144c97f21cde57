import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('gpt2 quickstart (smoke: the main job with its step count cut down)', () => {
  it('trains a tokenizer, prepares shards, trains, evaluates, samples and reports where things are', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gpt2-quickstart-'));
    const args = [
      'quickstart',
      '--steps',
      '3',
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
    expect(result.stdout).toMatch(/> The jury said/);
    const report = JSON.parse(await readFile(join(dir, 'qs', 'report.json'), 'utf8'));
    expect(report.steps).toBe(3);
    expect(report.tokenizer).toEqual({ name: 'bpe-300', vocabSize: 300 });
    // Three steps already move the loss well below a uniform guess over 300 tokens.
    expect(report.valLossEnd).toBeLessThan(report.valLossStart);
    expect(report.valLossStart).toBeCloseTo(Math.log(300), 0);
    expect(report.unigram.bitsPerByte).toBeGreaterThan(0);
    expect(report.bitsPerByte).toBeGreaterThan(0);
    for (const path of [report.checkpoint, report.metrics, report.lossCurve]) {
      expect((await stat(path)).isFile() || (await stat(path)).isDirectory()).toBe(true);
    }
    expect(result.stdout).toContain(`loss curve: ${join(dir, 'qs', 'loss-curve.svg')}`);

    // A second run into the same folder needs --force.
    const again = await runCli(args, { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a quickstart run: add --force/);
  });
});
