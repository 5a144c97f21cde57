import type { CommandSpec, OptionSpec } from './command.js';

function optionLabel(name: string, option: OptionSpec): string {
  const short = option.short ? `-${option.short}, ` : '    ';
  if (option.type === 'boolean') return `${short}--${name}`;
  const placeholder =
    option.valueName ??
    (option.choices
      ? option.choices.join('|')
      : option.type === 'strings'
        ? 'VALUE'
        : option.type.toUpperCase());
  return `${short}--${name} ${placeholder}`;
}

function optionText(option: OptionSpec): string {
  let text = option.description;
  if (option.default !== undefined && option.default !== false) {
    text += ` (default: ${option.default})`;
  }
  if (option.type === 'strings') text += ' (repeatable)';
  return text;
}

function columns(rows: Array<[string, string]>, indent = 2): string {
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)) + 2);
  return rows
    .map(([left, right]) =>
      left.length + 2 > width
        ? `${' '.repeat(indent)}${left}\n${' '.repeat(indent + width)}${right}`
        : `${' '.repeat(indent)}${left.padEnd(width)}${right}`,
    )
    .join('\n');
}

/** The usage line, e.g. `gpt2 sample CHECKPOINT [options]`. */
export function usageLine(spec: CommandSpec): string {
  const positionals = spec.positionals.map((p) => {
    const name = p.variadic ? `${p.name}...` : p.name;
    return p.required === false ? `[${name}]` : name;
  });
  const extra = spec.passThroughOptions ? ' [--key value ...]' : '';
  return `gpt2 ${[spec.name, ...positionals].join(' ')} [options]${extra}`;
}

/** Full `--help` text for a command. */
export function formatCommandHelp(spec: CommandSpec): string {
  const parts = [`Usage: ${usageLine(spec)}`, '', spec.summary];
  if (spec.description) parts.push('', spec.description);
  if (spec.positionals.length > 0) {
    parts.push('', 'Arguments:', columns(spec.positionals.map((p) => [p.name, p.description])));
  }
  const rows: Array<[string, string]> = Object.entries(spec.options).map(([name, option]) => [
    optionLabel(name, option),
    optionText(option),
  ]);
  if (spec.passThroughOptions) rows.push(['    --KEY VALUE', spec.passThroughOptions.description]);
  rows.push(['-h, --help', 'show this help']);
  rows.push(['    --verbose', 'print stack traces on errors (also GPT2_DEBUG=1)']);
  parts.push('', 'Options:', columns(rows));
  if (spec.examples && spec.examples.length > 0) {
    parts.push('', 'Examples:', ...spec.examples.map((example) => `  ${example}`));
  }
  return `${parts.join('\n')}\n`;
}

/** `gpt2 --help`: the commands and one line each. */
export function formatMainHelp(specs: readonly CommandSpec[], version: string): string {
  const rows: Array<[string, string]> = specs.map((spec) => [spec.name, spec.summary]);
  return [
    `gpt2 ${version}: GPT-2 in TypeScript. Tokenize, prepare, train, sample and evaluate.`,
    '',
    'Usage: gpt2 <command> [options]',
    '',
    'Commands:',
    columns(rows),
    '',
    "Run `gpt2 <command> --help` for a command's options.",
    'Environment: GPT2_BACKEND overrides --backend; GPT2_KERNEL_OVERRIDES=0, GPT2_NATIVE_BLAS=0',
    'and GPT2_BLAS_THREADS=N tune wasm; GPT2_NATIVE_BLAS=0 also turns the native backend off;',
    "GPT2_BLAS=builtin|openblas|auto picks the native backend's sgemm (builtin: as without",
    'OpenBLAS); GPT2_SWIFTSHADER_PATH points WebGPU at SwiftShader; GPT2_DEBUG=1 prints stack traces.',
    '',
  ].join('\n');
}
