import type { TimeBudgetPlan } from '@gpt2/trainer';
import type { LossPoint } from './plot/loss-curve.js';

/** Loss, perplexity and bits per byte of one model on the evaluation tokens. */
export interface ScoreSummary {
  /** Mean NLL of the scored tokens, nats. */
  meanNll: number;
  /** exp(meanNll): the same measurement. */
  perplexity: number;
  bitsPerByte: number;
}

/** One prompt, continued by the trained model and by the unigram baseline with the same settings. */
export interface SamplePair {
  prompt: string;
  model: string;
  unigram: string;
}

/**
 * `report.json` of `gpt2 quickstart`: everything the README's results section
 * shows, so that section (and the loss-curve picture) can be regenerated
 * from a committed report (`pnpm docs:results`) and checked against it in CI.
 */
export interface QuickstartReport {
  format: 'gpt2-quickstart-report';
  version: 2;
  /** The command line that produced it. */
  command: string;
  /** ISO time the run finished. */
  date: string;
  machine: {
    cpu: string;
    cores: number;
    node: string;
    /** 1-minute load average when the run started and ended. */
    loadAverage: { start: number; end: number };
  };
  /** `describeBackend(...)` of the backend that trained. */
  backend: string;
  /** Wall time of the whole quickstart, s. */
  seconds: number;
  /** Wall time of each stage, s. */
  stages: {
    tokenizer: number;
    shards: number;
    training: number;
    evaluation: number;
    samples: number;
  };
  /** `--time` in ms; 0 when `--steps` fixed the run instead. */
  timeBudgetMs: number;
  /** The time-budget plan, its re-plans in `plan.replans`; null for a run with a fixed step count. */
  plan: TimeBudgetPlan | null;
  steps: number;
  stopReason: string;
  tokenizer: { name: string; vocabSize: number };
  model: { nLayer: number; nHead: number; nEmbd: number; nPositions: number; parameters: number };
  batchSize: number;
  /** The final evaluation: both models scored on the same validation tokens by `evaluatePerplexity`. */
  evaluation: {
    /** Validation tokens read. */
    tokens: number;
    /** Tokens scored (each window's first token has no context inside it). */
    scored: number;
    model: ScoreSummary;
    unigram: ScoreSummary;
  };
  /** Training loss of every step, and the trainer's validation loss (a few batches) at each evaluation. */
  curve: { train: LossPoint[]; val: LossPoint[] };
  samples: { settings: string; pairs: SamplePair[] };
  /** Where the run put its files. */
  files: { checkpoint: string | null; metrics: string; lossCurve: string };
}

/** Check that a parsed JSON value is a {@link QuickstartReport} (the fields the docs read). */
export function assertQuickstartReport(value: unknown, source: string): QuickstartReport {
  const report = value as Partial<QuickstartReport> | null;
  if (
    report?.format !== 'gpt2-quickstart-report' ||
    report.version !== 2 ||
    !report.evaluation ||
    !report.curve ||
    !report.samples
  ) {
    throw new Error(
      `${source} is not a quickstart report (format gpt2-quickstart-report, version 2): run \`pnpm start\` to write one.`,
    );
  }
  return report as QuickstartReport;
}
