import { DatasetFormatError } from '../errors/dataset-format-error.js';
import { parseJsonl } from '../jsonl.js';
import { scoreContinuations } from '../score-continuations.js';
import {
  type EvalTokenizer,
  encodePlain,
  type ProgressCallback,
  type ScoringModel,
} from '../types.js';

/** One HellaSwag item. */
export interface HellaSwagExample {
  /** The context (the published `ctx`, i.e. ctx_a + ' ' + ctx_b). */
  ctx: string;
  /** Candidate endings (4 in the published files). */
  endings: string[];
  /** Index of the correct ending. */
  label: number;
  /** The published `ind`, when present. */
  ind?: number;
}

/**
 * Parse HellaSwag in its published JSONL form (`hellaswag_val.jsonl`: rows with
 * `ctx`, `endings`, `label`, plus fields this loader ignores). `label` may be a
 * number or a numeric string (both occur in circulated copies).
 *
 * @throws DatasetFormatError naming the line when a field is missing or wrong.
 */
export function parseHellaSwag(jsonl: string): HellaSwagExample[] {
  return parseJsonl('hellaswag', jsonl).map(({ line, value }) => {
    const { ctx, endings, ind } = value;
    if (typeof ctx !== 'string')
      throw new DatasetFormatError('hellaswag', line, 'missing string field "ctx".');
    if (
      !Array.isArray(endings) ||
      endings.length < 2 ||
      endings.some((e) => typeof e !== 'string')
    ) {
      throw new DatasetFormatError(
        'hellaswag',
        line,
        '"endings" must be an array of at least 2 strings.',
      );
    }
    const label = typeof value.label === 'string' ? Number(value.label) : value.label;
    if (
      typeof label !== 'number' ||
      !Number.isInteger(label) ||
      label < 0 ||
      label >= endings.length
    ) {
      throw new DatasetFormatError(
        'hellaswag',
        line,
        `"label" must be an integer index into endings (0..${endings.length - 1}), got ${JSON.stringify(value.label)}.`,
      );
    }
    return {
      ctx,
      endings: endings as string[],
      label,
      ...(typeof ind === 'number' ? { ind } : {}),
    };
  });
}

/** Options for {@link evaluateHellaSwag}. */
export interface HellaSwagOptions {
  /** Rows (endings) per forward pass. Default: 8. */
  batchSize?: number;
  /** Called after each batch of rows. Default: none. */
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** The result of {@link evaluateHellaSwag}; plain JSON. */
export interface HellaSwagReport {
  task: 'hellaswag';
  numExamples: number;
  /** Fraction where the ending with the highest summed logprob is the label. */
  accuracy: number;
  /** Fraction where the ending with the highest mean (per-token) logprob is the label. */
  accuracyNorm: number;
  seconds: number;
}

/**
 * HellaSwag zero-shot, completion style (as in OpenAI's and llm.c's
 * evaluations): each ending, with a leading space, is scored as a continuation
 * of `ctx`; `acc` picks the highest summed logprob, `acc_norm` the highest
 * mean logprob per token.
 */
export async function evaluateHellaSwag(
  model: ScoringModel,
  tokenizer: EvalTokenizer,
  examples: readonly HellaSwagExample[],
  options: HellaSwagOptions = {},
): Promise<HellaSwagReport> {
  const started = performance.now();
  if (examples.length === 0) throw new RangeError('evaluateHellaSwag: no examples.');
  const requests = examples.flatMap((example) => {
    const context = encodePlain(tokenizer, example.ctx);
    return example.endings.map((ending) => ({
      context,
      continuation: encodePlain(tokenizer, ` ${ending}`),
    }));
  });
  const scores = await scoreContinuations(model, requests, {
    batchSize: options.batchSize ?? 8,
    ...(options.signal ? { signal: options.signal } : {}),
    onBatch: (done) =>
      options.onProgress?.({
        task: 'hellaswag',
        done,
        total: requests.length,
        elapsedSeconds: (performance.now() - started) / 1000,
      }),
  });
  let correct = 0;
  let correctNorm = 0;
  let at = 0;
  for (const example of examples) {
    const endingScores = scores.slice(at, at + example.endings.length);
    at += example.endings.length;
    const sums = endingScores.map((s) => s.sum);
    const means = endingScores.map((s) => s.sum / s.logprobs.length);
    if (indexOfMax(sums) === example.label) correct++;
    if (indexOfMax(means) === example.label) correctNorm++;
  }
  return {
    task: 'hellaswag',
    numExamples: examples.length,
    accuracy: correct / examples.length,
    accuracyNorm: correctNorm / examples.length,
    seconds: (performance.now() - started) / 1000,
  };
}

function indexOfMax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}
