import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLlmcHeader } from '@gpt2/model';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, errorLines, runCli } from './run-cli.js';

function expectOneLineError(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code).toBe(code);
  const lines = errorLines(result);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^gpt2: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('user errors: one line, non-zero exit, no stack trace', () => {
  let dir: string;
  const cli = (args: string[], env?: Record<string, string>) =>
    runCli(args, { cwd: dir, ...(env ? { env } : {}) });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gpt2-cli-errors-'));
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ training: { maxStep: 5 } }));
    await writeFile(join(dir, 'a-file'), 'not a folder');
    // An llm.c model.bin cut inside wpe: V 8 (padded to 128) x C 4 of wte, then 10 bytes.
    const header = encodeLlmcHeader({
      version: 3,
      dtype: 'float32',
      maxT: 4,
      V: 8,
      L: 1,
      NH: 1,
      C: 4,
      Vp: 128,
    });
    const cut = new Uint8Array(header.byteLength + 128 * 4 * 4 + 10);
    cut.set(header);
    await writeFile(join(dir, 'cut.bin'), cut);
    await writeFile(join(dir, 'text.bin'), 'not a model at all, but long enough to hold a header');
    await mkdir(join(dir, 'empty-run'));
  });

  it('a damaged or foreign llm.c file, naming the field', async () => {
    expectOneLineError(
      await cli(['convert', 'cut.bin', '--out', 'out']),
      1,
      /Invalid llm.c file .*cut.bin \(wpe\): the file has 3082 bytes but the header \(float32, V 8, Vp 128, L 1, C 4, maxT 4\) implies \d+ bytes: truncated inside tensor wpe/,
    );
    expectOneLineError(
      await cli(['convert', 'text.bin', '--out', 'out']),
      1,
      /Invalid llm.c file .*text.bin \(magic\): magic number \d+, expected 20240326/,
    );
    expectOneLineError(
      await cli(['convert', 'empty-run', '--from', 'llmc', '--out', 'out']),
      1,
      /holds no model.bin and no complete llm.c run checkpoint/,
    );
    expectOneLineError(
      await cli(['convert', 'cut.bin', '--to', 'llmc', '--out', 'out']),
      1,
      /is already llm.c's format/,
    );
  });

  it('a missing file', async () => {
    expectOneLineError(
      await cli(['tokenizer', 'count', 'missing.txt']),
      1,
      /Input file '.*missing.txt' does not exist/,
    );
    expectOneLineError(
      await cli(['sample', 'no-such-run', '-p', 'x']),
      1,
      /Checkpoint 'no-such-run' does not exist/,
    );
  });

  it('a bad config key, listing the valid ones', async () => {
    expectOneLineError(
      await cli(['train', '--config', 'bad.json']),
      1,
      /unknown config key 'training.maxStep'. Did you mean 'training.maxSteps'\? Valid keys in 'training': maxSteps, epochs/,
    );
    expectOneLineError(
      await cli(['train', '--bogus', '3']),
      1,
      /Unknown config key 'bogus'.*Valid keys: model, data/,
    );
  });

  it('an unknown backend or option', async () => {
    expectOneLineError(
      await cli(['info', '--backend', 'tpu']),
      2,
      /Unknown backend 'tpu' \(from --backend\). Valid: auto, node-gpu, node, native, wasm, cpu, webgpu/,
    );
    expectOneLineError(await cli(['info'], { GPT2_BACKEND: 'tpu' }), 2, /from GPT2_BACKEND/);
    expectOneLineError(
      await cli(['sample', 'x', '--temprature', '1']),
      2,
      /Did you mean --temperature\?/,
    );
    expectOneLineError(await cli(['frobnicate']), 2, /Unknown command 'frobnicate'/);
  });

  it('an unwritable output folder', async () => {
    expectOneLineError(
      await cli(['prepare', 'a-file', '--out', 'a-file/shards']),
      1,
      /Output folder '.*a-file\/shards' is not writable/,
    );
  });

  it('prints the stack only with --verbose or GPT2_DEBUG=1', async () => {
    const verbose = await cli(['tokenizer', 'count', 'missing.txt', '--verbose']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/\n\s+at /);
    const debug = await cli(['tokenizer', 'count', 'missing.txt'], { GPT2_DEBUG: '1' });
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('runs the real binary for --help and --version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: gpt2 <command>/);
    const version = await cli(['--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
