import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/usage-error.js';
import type { CommandSpec } from './command.js';
import { formatCommandHelp } from './help.js';
import { parseCommand, suggestion } from './parse.js';

const spec = {
  name: 'demo',
  summary: 'a demo command',
  positionals: [{ name: 'FILE', description: 'the input file' }],
  options: {
    steps: { type: 'integer', description: 'steps to run', default: 10, min: 1 },
    lr: { type: 'number', description: 'learning rate' },
    mode: { type: 'string', description: 'mode', choices: ['fast', 'slow'], default: 'fast' },
    out: { type: 'string', short: 'o', description: 'output folder', valueName: 'DIR' },
    quiet: { type: 'boolean', description: 'say less' },
    file: { type: 'strings', description: 'extra files' },
  },
} as const satisfies CommandSpec;

function usageErrorOf(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    if (UsageError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseCommand', () => {
  it('converts types and fills defaults', () => {
    const parsed = parseCommand(spec, [
      'in.txt',
      '--lr',
      '0.5',
      '-o',
      'x',
      '--file',
      'a',
      '--file=b',
    ]);
    expect(parsed.positionals).toEqual(['in.txt']);
    expect(parsed.values).toMatchObject({
      steps: 10,
      lr: 0.5,
      mode: 'fast',
      out: 'x',
      quiet: false,
    });
    expect(parsed.values.file).toEqual(['a', 'b']);
  });

  it('rejects bad numbers, ranges and choices with the option name', () => {
    expect(usageErrorOf(() => parseCommand(spec, ['f', '--steps', '2.5'])).message).toMatch(
      /--steps takes an integer, got '2.5'/,
    );
    expect(usageErrorOf(() => parseCommand(spec, ['f', '--steps', '0'])).message).toMatch(
      /at least 1/,
    );
    expect(usageErrorOf(() => parseCommand(spec, ['f', '--mode', 'warp'])).message).toMatch(
      /one of fast, slow/,
    );
  });

  it('lists valid options and suggests a near miss for an unknown one', () => {
    const error = usageErrorOf(() => parseCommand(spec, ['f', '--stpes', '3']));
    expect(error.message).toMatch(/Unknown option --stpes/);
    expect(error.message).toMatch(/Did you mean --steps\?/);
    expect(error.message).toMatch(/--lr/);
    expect(error.exitCode).toBe(2);
    expect(suggestion('zzzzzz', ['steps'])).toBe('');
  });

  it('checks positional arity', () => {
    expect(usageErrorOf(() => parseCommand(spec, [])).message).toMatch(/Missing FILE/);
    expect(usageErrorOf(() => parseCommand(spec, ['a', 'b'])).message).toMatch(
      /Unexpected argument 'b'/,
    );
    expect(parseCommand(spec, ['--help']).values.help).toBe(true);
  });

  it('passes unknown --key value pairs through when asked', () => {
    const passing = { ...spec, passThroughOptions: { description: 'override' } };
    const parsed = parseCommand(passing, ['f', '--lr', '1', '--model.nLayer', '4', '--maxSteps=7']);
    expect(parsed.values.lr).toBe(1);
    expect(parsed.extra).toEqual([
      ['model.nLayer', '4'],
      ['maxSteps', '7'],
    ]);
    expect(usageErrorOf(() => parseCommand(passing, ['f', '--dangling'])).message).toMatch(
      /--dangling needs a value/,
    );
  });
});

describe('formatCommandHelp', () => {
  it('shows usage, every option with its default, and the common flags', () => {
    const help = formatCommandHelp(spec);
    expect(help).toMatch(/^Usage: gpt2 demo FILE \[options\]/);
    for (const name of [
      '--steps',
      '--lr',
      '--mode fast\\|slow',
      '-o, --out DIR',
      '--help',
      '--verbose',
    ]) {
      expect(help).toMatch(new RegExp(name));
    }
    expect(help).toMatch(/\(default: 10\)/);
  });
});
