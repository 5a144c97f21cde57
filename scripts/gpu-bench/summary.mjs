/**
 * The GPU bench's table: reads the `RESULT {json}` lines of the webgpu and
 * PyTorch runs (scripts/gpu-bench/run.sh) and prints tokens/s side by side,
 * with the ratios, and checks that both trained (finite, falling losses that
 * start where a random model's should: about ln V).
 *
 *   node scripts/gpu-bench/summary.mjs webgpu.log pytorch.log
 */
import { readFileSync } from 'node:fs';

const results = process.argv
  .slice(2)
  .flatMap((file) => readFileSync(file, 'utf8').split('\n'))
  .filter((line) => line.startsWith('RESULT '))
  .map((line) => JSON.parse(line.slice('RESULT '.length)));
const torch = results.find((r) => r.side === 'pytorch');
const webgpu = results.filter((r) => r.side === 'webgpu');
if (!torch || webgpu.length === 0) {
  console.error('summary: a side has no result (see the logs above).');
  process.exit(1);
}

const problems = [];
for (const r of [...webgpu, torch]) {
  const name = r.side === 'webgpu' ? `webgpu ${r.variant}` : 'pytorch';
  const [first, last] = [r.losses[0], r.losses.at(-1)];
  if (!r.losses.every(Number.isFinite)) problems.push(`${name}: a non-finite loss`);
  else if (!(last < first)) problems.push(`${name}: the loss did not fall (${first} → ${last})`);
  if (Math.abs(first - torch.losses[0]) > 0.1 * torch.losses[0]) {
    problems.push(`${name}: first loss ${first} is far from PyTorch's ${torch.losses[0]}`);
  }
  if (r.skippedSteps) problems.push(`${name}: ${r.skippedSteps} skipped steps`);
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));
const rows = [
  ['train tokens/s', 'trainTokensPerSecond'],
  ['  ms per step', 'msPerStep'],
  ['generate tokens/s', 'generateTokensPerSecond'],
  ['  ms per token', 'msPerToken'],
];
console.log(
  `\nGPU bench, ${torch.size}: GPT-2 ${(torch.parameters / 1e6).toFixed(1)}M, training at ${torch.batch} × ${torch.context} for ${torch.steps} steps (${torch.timedSteps} timed), then ${torch.newTokens} greedy tokens with a KV cache`,
);
for (const r of webgpu) {
  const micro =
    r.microBatches > 1 ? ` (as ${r.microBatches} micro-batches: the logits exceed a binding)` : '';
  console.log(`  webgpu ${r.variant}: ${r.backend}${micro}`);
}
console.log(
  `  pytorch: torch ${torch.torch} eager on ${torch.device}, float32${torch.sdpa ? ', SDPA attention' : ''}`,
);
const header = [
  '',
  ...webgpu.map((r) => `webgpu ${r.variant}`),
  'pytorch',
  ...webgpu.map((r) => `${r.variant}/pytorch`),
];
const table = rows.map(([label, key]) => [
  label,
  ...webgpu.map((r) => fmt(r[key])),
  fmt(torch[key]),
  ...webgpu.map((r) => (key.includes('PerSecond') ? `${(r[key] / torch[key]).toFixed(2)}×` : '')),
]);
const widths = header.map((_, i) =>
  Math.max(...[header, ...table].map((row) => String(row[i]).length)),
);
for (const row of [header, ...table]) {
  console.log(
    row
      .map((cell, i) =>
        i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]),
      )
      .join('  '),
  );
}
for (const r of [...webgpu, torch]) {
  console.log(
    `  losses ${r.side === 'webgpu' ? `webgpu ${r.variant}` : 'pytorch'}: ${r.losses.map((l) => l.toFixed(4)).join(' ')}`,
  );
}
if (problems.length > 0) {
  console.log(`\nCHECK FAILED:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('\nchecks: every loss finite and falling, first losses agree within 10%.');
