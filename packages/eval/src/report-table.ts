import type { PerplexityReport } from './perplexity.js';
import type { GenerationQualityReport } from './tasks/generation-quality.js';
import type { HellaSwagReport } from './tasks/hellaswag.js';
import type { LambadaReport } from './tasks/lambada.js';

/** Any report this package produces (each is plain JSON: `JSON.stringify` it for the JSON form). */
export type EvalReport =
  | PerplexityReport
  | LambadaReport
  | HellaSwagReport
  | GenerationQualityReport;

function formatNumber(value: number | undefined, digits = 4): string {
  if (value === undefined) return '–';
  if (Number.isInteger(value)) return String(value);
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

function percent(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}

/** Rows of [metric, value] for a report. */
export function reportRows(report: EvalReport): [string, string][] {
  switch (report.task) {
    case 'perplexity':
      return [
        ['tokens (scored)', `${report.numTokens} (${report.numScored})`],
        [
          'windows (context / stride)',
          `${report.numWindows} (${report.contextLength} / ${report.stride})`,
        ],
        ['mean NLL (nats)', formatNumber(report.meanNll)],
        ['perplexity', formatNumber(report.perplexity, 2)],
        ['bits per token', formatNumber(report.bitsPerToken)],
        ['bits per byte', formatNumber(report.bitsPerByte)],
        ['seconds', formatNumber(report.seconds, 1)],
      ];
    case 'lambada':
      return [
        ['examples', String(report.numExamples)],
        ['accuracy', percent(report.accuracy)],
        ['last-word perplexity', formatNumber(report.perplexity, 2)],
        ['mean tokens per word', formatNumber(report.meanTargetTokens, 2)],
        ['contexts truncated', String(report.truncated)],
        ['seconds', formatNumber(report.seconds, 1)],
      ];
    case 'hellaswag':
      return [
        ['examples', String(report.numExamples)],
        ['acc', percent(report.accuracy)],
        ['acc_norm', percent(report.accuracyNorm)],
        ['seconds', formatNumber(report.seconds, 1)],
      ];
    case 'generation':
      return [
        ['prompts × samples', `${report.numPrompts} × ${report.numSamples / report.numPrompts}`],
        ['tokens', String(report.numTokens)],
        [
          'distinct-1 / 2 / 3',
          [report.distinct1, report.distinct2, report.distinct3]
            .map((v) => formatNumber(v, 3))
            .join(' / '),
        ],
        [`repetition rate (seq-rep-${report.repetitionN})`, formatNumber(report.repetitionRate, 3)],
        ['mean logprob per token', formatNumber(report.meanLogprob)],
        ['seconds', formatNumber(report.seconds, 1)],
      ];
  }
}

/** A readable, aligned text table of one or more reports. */
export function formatReportTable(reports: EvalReport | readonly EvalReport[]): string {
  const list = Array.isArray(reports) ? reports : [reports as EvalReport];
  const rows: [string, string, string][] = list.flatMap((report) =>
    reportRows(report).map(([metric, value]): [string, string, string] => [
      report.task,
      metric,
      value,
    ]),
  );
  const header: [string, string, string] = ['task', 'metric', 'value'];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}
