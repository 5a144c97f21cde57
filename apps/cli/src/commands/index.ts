import type { CommandSpec, ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import {
  benchSpec,
  convertSpec,
  evalSpec,
  infoSpec,
  prepareSpec,
  quickstartSpec,
  sampleSpec,
  tokenizerCountSpec,
  tokenizerDecodeSpec,
  tokenizerEncodeSpec,
  tokenizerTrainSpec,
  trainSpec,
} from './specs.js';

/** What a command does, given its parsed arguments. */
export type CommandRun = (args: ParsedCommand<CommandSpec>, context: CliContext) => Promise<void>;

/** A command: its spec, and a loader for its code (imported only when it runs). */
export interface Command {
  spec: CommandSpec;
  load(): Promise<CommandRun>;
}

function lazy<Spec extends CommandSpec>(
  spec: Spec,
  load: () => Promise<(args: ParsedCommand<Spec>, context: CliContext) => Promise<void>>,
): Command {
  return { spec, load: load as () => Promise<CommandRun> };
}

/** Every command, in the order `gpt2 --help` lists them. */
export const COMMANDS: readonly Command[] = [
  lazy(quickstartSpec, async () => (await import('./quickstart.js')).runQuickstart),
  lazy(tokenizerTrainSpec, async () => (await import('./tokenizer.js')).runTokenizerTrain),
  lazy(tokenizerEncodeSpec, async () => (await import('./tokenizer.js')).runTokenizerEncode),
  lazy(tokenizerDecodeSpec, async () => (await import('./tokenizer.js')).runTokenizerDecode),
  lazy(tokenizerCountSpec, async () => (await import('./tokenizer.js')).runTokenizerCount),
  lazy(prepareSpec, async () => (await import('./prepare.js')).runPrepare),
  lazy(trainSpec, async () => (await import('./train.js')).runTrain),
  lazy(sampleSpec, async () => (await import('./sample.js')).runSample),
  lazy(evalSpec, async () => (await import('./eval.js')).runEval),
  lazy(convertSpec, async () => (await import('./convert.js')).runConvert),
  lazy(benchSpec, async () => (await import('./bench.js')).runBench),
  lazy(infoSpec, async () => (await import('./info.js')).runInfo),
];
