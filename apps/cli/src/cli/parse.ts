import { parseArgs } from 'node:util';
import { UsageError } from '../errors/usage-error.js';
import type { CommandSpec, OptionSpec, ParsedCommand } from './command.js';

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** ` Did you mean --backend?` for a near miss, else ''. */
export function suggestion(name: string, known: readonly string[]): string {
  const best = closest(name, known);
  return best ? ` Did you mean --${best}?` : '';
}

/** The known name nearest to `name` by edit distance, if it is near enough to be a typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function convert(spec: CommandSpec, name: string, option: OptionSpec, raw: string): number {
  const value = Number(raw);
  const integer = option.type === 'integer';
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} takes ${integer ? 'an integer' : 'a number'}, got '${raw}'.`, {
      command: spec.name,
    });
  }
  if (option.min !== undefined && value < option.min) {
    throw new UsageError(`--${name} must be at least ${option.min}, got ${raw}.`, {
      command: spec.name,
    });
  }
  if (option.max !== undefined && value > option.max) {
    throw new UsageError(`--${name} must be at most ${option.max}, got ${raw}.`, {
      command: spec.name,
    });
  }
  return value;
}

/**
 * Split out `--key value` / `--key=value` pairs whose key is not an option of
 * the command, for commands that pass them through (config overrides).
 */
function extractPassThrough(
  spec: CommandSpec,
  argv: readonly string[],
): { rest: string[]; extra: Array<[string, string]> } {
  const known = new Set(['help', 'verbose', ...Object.keys(spec.options)]);
  const rest: string[] = [];
  const extra: Array<[string, string]> = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const key = arg.slice(2, equals === -1 ? undefined : equals);
    if (known.has(key)) {
      rest.push(arg);
      const option = spec.options[key];
      if (option && option.type !== 'boolean' && equals === -1 && i + 1 < argv.length) {
        rest.push(argv[++i]!);
      }
      continue;
    }
    if (equals !== -1) {
      extra.push([key, arg.slice(equals + 1)]);
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      extra.push([key, argv[++i]!]);
    } else {
      throw new UsageError(`--${key} needs a value (e.g. --${key} 0.001).`, {
        command: spec.name,
      });
    }
  }
  return { rest, extra };
}

/**
 * Parse a command's arguments with `node:util` parseArgs, then check types,
 * ranges, choices and positional arity. Every problem is a {@link UsageError}
 * whose message names the option and what is valid.
 */
export function parseCommand<Spec extends CommandSpec>(
  spec: Spec,
  argv: readonly string[],
): ParsedCommand<Spec> {
  const { rest, extra } = spec.passThroughOptions
    ? extractPassThrough(spec, argv)
    : { rest: [...argv], extra: [] };
  const parseOptions: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
  > = { help: { type: 'boolean', short: 'h' }, verbose: { type: 'boolean' } };
  for (const [name, option] of Object.entries(spec.options)) {
    parseOptions[name] = {
      type: option.type === 'boolean' ? 'boolean' : 'string',
      ...(option.short ? { short: option.short } : {}),
      ...(option.type === 'strings' ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: parseOptions, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '-{1,2}([^']+)'/.exec(message);
    if (unknown) {
      const names = Object.keys(spec.options);
      throw new UsageError(
        `Unknown option --${unknown[1]} for 'gpt2 ${spec.name}'.${suggestion(unknown[1]!, names)} Valid options: ${['help', 'verbose', ...names].map((n) => `--${n}`).join(', ')}.`,
        { command: spec.name, cause: error },
      );
    }
    throw new UsageError(message.replace(/\. To specify.*$/s, '.'), {
      command: spec.name,
      cause: error,
    });
  }
  const values: Record<string, unknown> = {
    help: parsed.values.help === true,
    verbose: parsed.values.verbose === true,
  };
  for (const [name, option] of Object.entries(spec.options)) {
    const raw = parsed.values[name];
    if (raw === undefined) {
      values[name] =
        option.default ??
        (option.type === 'boolean' ? false : option.type === 'strings' ? [] : undefined);
      continue;
    }
    if (option.type === 'boolean' || option.type === 'strings') {
      values[name] = raw;
    } else if (option.type === 'number' || option.type === 'integer') {
      values[name] = convert(spec, name, option, raw as string);
    } else {
      if (option.choices && !option.choices.includes(raw as string)) {
        throw new UsageError(
          `--${name} must be one of ${option.choices.join(', ')}; got '${raw as string}'.`,
          { command: spec.name },
        );
      }
      values[name] = raw;
    }
  }
  const positionals = [...parsed.positionals];
  if (values.help !== true) {
    const required = spec.positionals.filter((p) => p.required !== false);
    if (positionals.length < required.length) {
      const missing = required[positionals.length]!;
      throw new UsageError(`Missing ${missing.name}: ${missing.description}.`, {
        command: spec.name,
      });
    }
    const variadic = spec.positionals.some((p) => p.variadic);
    if (!variadic && positionals.length > spec.positionals.length) {
      throw new UsageError(
        `Unexpected argument '${positionals[spec.positionals.length]}' for 'gpt2 ${spec.name}'.`,
        { command: spec.name },
      );
    }
  }
  return { values: values as ParsedCommand<Spec>['values'], positionals, extra };
}
