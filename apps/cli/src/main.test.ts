import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './cli/context.js';
import { COMMANDS } from './commands/index.js';
import { main } from './main.js';

function fakeContext(): CliContext & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    stdin: new PassThrough(),
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
    catchInterrupts: () => {},
    verbose: false,
    out: () => out,
    err: () => err,
  };
}

describe('main', () => {
  it.each(COMMANDS.map((c) => c.spec.name))(
    '`gpt2 %s --help` prints usage and every option',
    async (name) => {
      const context = fakeContext();
      const code = await main([...name.split(' '), '--help'], context);
      expect(code).toBe(0);
      expect(context.out()).toMatch(new RegExp(`^Usage: gpt2 ${name}`));
      const spec = COMMANDS.find((c) => c.spec.name === name)!.spec;
      for (const option of Object.keys(spec.options))
        expect(context.out()).toContain(`--${option}`);
      expect(context.out()).toContain('--backend');
      expect(context.err()).toBe('');
    },
  );

  it('lists every command in the main help and groups subcommands', async () => {
    const context = fakeContext();
    expect(await main([], context)).toBe(0);
    for (const command of COMMANDS) expect(context.out()).toContain(command.spec.name);
    const group = fakeContext();
    expect(await main(['tokenizer'], group)).toBe(0);
    expect(group.out()).toMatch(/Usage: gpt2 tokenizer <train\|encode\|decode\|count>/);
    const bad = fakeContext();
    expect(await main(['tokenizer', 'frob'], bad)).toBe(2);
    expect(bad.err()).toMatch(
      /Unknown command 'gpt2 tokenizer frob'. Valid: train, encode, decode, count/,
    );
  });

  it('points usage errors at the command help', async () => {
    const context = fakeContext();
    expect(await main(['sample'], context)).toBe(2);
    expect(context.err()).toBe(
      "gpt2: Missing CHECKPOINT: a checkpoint folder, a run folder (its best checkpoint) or an HF GPT-2 folder. See 'gpt2 sample --help'.\n",
    );
  });
});
