import { readFile } from 'node:fs/promises';
import { type GenerateOptions, generate } from '@gpt2/sampler';
import { selectBackend } from '../backend.js';
import { loadModel } from '../checkpoint.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { UserError } from '../errors/user-error.js';
import { readStdin, requireFile, resolvePath } from '../io/files.js';
import { checkRunMemory } from '../memory.js';
import type { sampleSpec } from './specs.js';

type SampleValues = ParsedCommand<typeof sampleSpec>['values'];

async function readPrompt(values: SampleValues, context: CliContext): Promise<string> {
  if (values.prompt !== undefined && values['prompt-file'] !== undefined) {
    throw new UserError('Give --prompt or --prompt-file, not both.');
  }
  if (values.prompt !== undefined) return values.prompt;
  if (values['prompt-file'] !== undefined) {
    const path = resolvePath(context, values['prompt-file']);
    await requireFile(path, 'Prompt file');
    return readFile(path, 'utf8');
  }
  // Piped stdin is the prompt; an interactive terminal means "no prompt".
  return context.stdin.isTTY ? '' : readStdin(context);
}

/** Sampler options from the flags; unset flags keep @gpt2/sampler's defaults. */
export function generateOptionsFrom(values: SampleValues): GenerateOptions {
  const options: GenerateOptions = {
    maxNewTokens: values['max-new-tokens'],
    numReturnSequences: values['num-samples'],
  };
  const set = <K extends keyof GenerateOptions>(key: K, value: GenerateOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('temperature', values.temperature);
  set('topK', values['top-k']);
  set('topP', values['top-p']);
  set('minP', values['min-p']);
  set('repetitionPenalty', values['repetition-penalty']);
  set('presencePenalty', values['presence-penalty']);
  set('frequencyPenalty', values['frequency-penalty']);
  set('noRepeatNgramSize', values['no-repeat-ngram']);
  set('seed', values.seed);
  set('numBeams', values['num-beams']);
  if (values.stop.length > 0) options.stop = values.stop;
  return options;
}

/** `gpt2 sample`: see its spec in specs.ts. */
export async function runSample(
  { values, positionals }: ParsedCommand<typeof sampleSpec>,
  context: CliContext,
): Promise<void> {
  const prompt = await readPrompt(values, context);
  const options = generateOptionsFrom(values);
  const backend = await selectBackend(values.backend, context);
  const loaded = await loadModel(context, positionals[0]!, {
    tokenizer: values.tokenizer,
    adapter: values.adapter,
  });
  const { model, tokenizer } = loaded;
  try {
    // The whole context at once: generation may run up to it (and past it, sliding).
    checkRunMemory(
      model.config,
      {
        batchSize: (options.numReturnSequences ?? 1) * (options.numBeams ?? 1),
        contextLength: model.config.nPositions,
        inference: 'generate',
      },
      backend,
    );
  } catch (error) {
    model.dispose();
    throw error;
  }
  // One sequence streams token by token; several are printed as each finishes.
  const streaming = !values.json && (options.numReturnSequences ?? 1) === 1 && !options.numBeams;
  context.catchInterrupts();
  try {
    if (values.echo && !values.json) context.stdout.write(prompt);
    for await (const event of generate(model, tokenizer, prompt, {
      ...options,
      signal: context.signal,
    })) {
      if (event.type === 'token' && streaming) {
        context.stdout.write(event.text);
      } else if (event.type === 'warning') {
        context.stderr.write(`note: ${event.message}\n`);
      } else if (event.type === 'finish') {
        if (values.json) {
          context.stdout.write(
            `${JSON.stringify({ sample: event.sequence, prompt, text: event.text, finishReason: event.reason, tokens: event.tokenIds.length })}\n`,
          );
        } else if (streaming) {
          context.stdout.write(`${event.flushedText}\n`);
        } else {
          context.stdout.write(
            `${event.sequence > 0 ? '\n' : ''}--- sample ${event.sequence + 1} ---\n${values.echo ? prompt : ''}${event.text}\n`,
          );
        }
      }
    }
  } catch (error) {
    if (!context.signal.aborted) throw error;
    context.stdout.write('\n');
  } finally {
    loaded.dispose();
  }
}
