import type { CliContext } from './cli/context.js';
import { formatCommandHelp, formatMainHelp } from './cli/help.js';
import { parseCommand } from './cli/parse.js';
import { COMMANDS, type Command } from './commands/index.js';
import { exitCodeFor, formatError } from './errors/format-error.js';
import { UsageError } from './errors/usage-error.js';
import { cliVersion } from './version.js';

/** Whether stack traces were asked for: `--verbose` anywhere, or `GPT2_DEBUG=1`. */
export function wantsVerbose(argv: readonly string[], env: CliContext['env']): boolean {
  return (
    argv.includes('--verbose') ||
    (env.GPT2_DEBUG !== undefined && env.GPT2_DEBUG !== '0' && env.GPT2_DEBUG !== '')
  );
}

function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.spec.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.spec.name.startsWith(`${group} `));
  const width = Math.max(...members.map((c) => c.spec.name.length)) + 2;
  return [
    `Usage: gpt2 ${group} <${members.map((c) => c.spec.name.split(' ')[1]).join('|')}> [options]`,
    '',
    ...members.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    `Run \`gpt2 ${group} <command> --help\` for a command's options.`,
    '',
  ].join('\n');
}

async function dispatch(argv: readonly string[], context: CliContext): Promise<void> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h') {
    context.stdout.write(
      formatMainHelp(
        COMMANDS.map((c) => c.spec),
        cliVersion(),
      ),
    );
    return;
  }
  if (first === '--version' || first === '-v') {
    context.stdout.write(`${cliVersion()}\n`);
    return;
  }
  if (first === 'help') {
    const found = findCommand(argv.slice(1));
    if (found) context.stdout.write(formatCommandHelp(found.command.spec));
    else if (argv[1] && COMMANDS.some((c) => c.spec.name.startsWith(`${argv[1]} `))) {
      context.stdout.write(groupHelp(argv[1]));
    } else
      context.stdout.write(
        formatMainHelp(
          COMMANDS.map((c) => c.spec),
          cliVersion(),
        ),
      );
    return;
  }
  const found = findCommand(argv);
  if (!found) {
    if (COMMANDS.some((c) => c.spec.name.startsWith(`${first} `))) {
      const second = argv[1];
      if (second === undefined || second === '--help' || second === '-h') {
        context.stdout.write(groupHelp(first));
        return;
      }
      const subcommands = COMMANDS.filter((c) => c.spec.name.startsWith(`${first} `))
        .map((c) => c.spec.name.split(' ')[1])
        .join(', ');
      throw new UsageError(`Unknown command 'gpt2 ${first} ${second}'. Valid: ${subcommands}.`);
    }
    const names = [...new Set(COMMANDS.map((c) => c.spec.name.split(' ')[0]))];
    throw new UsageError(`Unknown command '${first}'. Commands: ${names.join(', ')}.`);
  }
  const { command, rest } = found;
  try {
    const parsed = parseCommand(command.spec, rest);
    if ((parsed.values as { help?: boolean }).help) {
      context.stdout.write(formatCommandHelp(command.spec));
      return;
    }
    const run = await command.load();
    await run(parsed, context);
  } catch (error) {
    // Point usage errors raised inside a command at that command's help.
    if (UsageError.isInstance(error) && error.command === undefined) {
      throw new UsageError(error.message, { command: command.spec.name, cause: error.cause });
    }
    throw error;
  }
}

/**
 * Run the `gpt2` command line and return the exit code. Errors never escape:
 * they are printed to `context.stderr` as one line (with the stack only when
 * `context.verbose`).
 */
export async function main(argv: readonly string[], context: CliContext): Promise<number> {
  try {
    await dispatch(argv, context);
    return 0;
  } catch (error) {
    let text = formatError(error, { verbose: context.verbose });
    if (UsageError.isInstance(error)) {
      text += error.command ? ` See 'gpt2 ${error.command} --help'.` : " See 'gpt2 --help'.";
    }
    context.stderr.write(`${text}\n`);
    return exitCodeFor(error);
  }
}
