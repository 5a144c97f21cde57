import { DatasetFormatError } from '../errors/dataset-format-error.js';
import { parseJsonl } from '../jsonl.js';
import { scoreContinuations } from '../score-continuations.js';
import {
  type EvalTokenizer,
  encodePlain,
  type ProgressCallback,
  type ScoringModel,
} from '../types.js';

/** One LAMBADA passage. */
export interface LambadaExample {
  /** The full passage; its last word is the target. */
  text: string;
}

/**
 * Parse LAMBADA in its published JSONL form (one `{"text": …}` per line, as
 * in OpenAI's `lambada_test.jsonl` and EleutherAI's `lambada_openai`).
 *
 * @throws DatasetFormatError naming the line when a row has no string `text` or no last word.
 */
export function parseLambada(jsonl: string): LambadaExample[] {
  return parseJsonl('lambada', jsonl).map(({ line, value }) => {
    const text = value.text;
    if (typeof text !== 'string')
      throw new DatasetFormatError('lambada', line, 'missing string field "text".');
    if (text.trim().lastIndexOf(' ') <= 0) {
      throw new DatasetFormatError(
        'lambada',
        line,
        'the text needs a context and a last word separated by a space.',
      );
    }
    return { text };
  });
}

/** Split a passage into its context and ' ' + last word (lm-evaluation-harness's `lambada_openai` split). */
export function splitLastWord(text: string): { context: string; target: string } {
  const trimmed = text.trimEnd();
  const at = trimmed.lastIndexOf(' ');
  return { context: trimmed.slice(0, at), target: trimmed.slice(at) };
}

/** Options for {@link evaluateLambada}. */
export interface LambadaOptions {
  /** Passages per forward pass. Default: 8. */
  batchSize?: number;
  /** Called after each batch. Default: none. */
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** The result of {@link evaluateLambada}; plain JSON. */
export interface LambadaReport {
  task: 'lambada';
  numExamples: number;
  /** Fraction of passages whose last word greedy decoding reproduces exactly (every token the argmax). */
  accuracy: number;
  /** exp(mean over passages of the last word's summed NLL), as lm-evaluation-harness reports it. */
  perplexity: number;
  /** Mean over passages of the last word's summed NLL (nats). */
  meanNll: number;
  /** Mean tokens per last word. */
  meanTargetTokens: number;
  /** Passages whose context was cut to fit the model. */
  truncated: number;
  seconds: number;
}

/**
 * LAMBADA zero-shot: last-word accuracy and last-word perplexity. The context
 * and the target (' ' + last word) are tokenized separately, as in
 * lm-evaluation-harness; the accuracy is teacher-forced greedy matching, which
 * equals greedy decoding of the target's tokens.
 */
export async function evaluateLambada(
  model: ScoringModel,
  tokenizer: EvalTokenizer,
  examples: readonly LambadaExample[],
  options: LambadaOptions = {},
): Promise<LambadaReport> {
  const started = performance.now();
  if (examples.length === 0) throw new RangeError('evaluateLambada: no examples.');
  const requests = examples.map(({ text }) => {
    const { context, target } = splitLastWord(text);
    return {
      context: encodePlain(tokenizer, context),
      continuation: encodePlain(tokenizer, target),
    };
  });
  const scores = await scoreContinuations(model, requests, {
    batchSize: options.batchSize ?? 8,
    ...(options.signal ? { signal: options.signal } : {}),
    onBatch: (done) =>
      options.onProgress?.({
        task: 'lambada',
        done,
        total: requests.length,
        elapsedSeconds: (performance.now() - started) / 1000,
      }),
  });
  const n = scores.length;
  const meanNll = -scores.reduce((sum, s) => sum + s.sum, 0) / n;
  return {
    task: 'lambada',
    numExamples: n,
    accuracy: scores.filter((s) => s.greedy).length / n,
    perplexity: Math.exp(meanNll),
    meanNll,
    meanTargetTokens: requests.reduce((sum, r) => sum + r.continuation.length, 0) / n,
    truncated: scores.filter((s) => s.truncated > 0).length,
    seconds: (performance.now() - started) / 1000,
  };
}
