/**
 * `pnpm bench` (trainer): full fine-tuning against LoRA on gpt2 (124M, random
 * weights at the real shapes), back to back on the backend `auto` picks:
 * step time, tokens/s, peak RSS and trainable parameters. Each run is its own
 * child process (bench/lora-step.ts), so each peak RSS is its own.
 *
 * The target shape is 8 × 512. Where full fine-tuning does not fit there (the
 * wasm backend's 4 GB heap), the bench steps down to the largest shape that
 * does and says so. `GPT2_LORA_BENCH_SHAPES=8x512,4x256` replaces the ladder.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const LADDER = (process.env.GPT2_LORA_BENCH_SHAPES ?? '8x512,4x512,2x512,1x512,2x256,1x256,1x128')
  .split(',')
  .map((shape) => shape.split('x').map(Number) as [number, number]);
const LORA = { r: 8, alpha: 16, targets: ['c_attn', 'c_proj'] };
const WARMUP = 1;
const STEPS = 2;

interface Run {
  mode: 'full' | 'lora';
  backend: string;
  trainableParameters: number;
  totalParameters: number;
  msPerStep: number;
  tokensPerSecond: number;
  peakRssMiB: number;
  losses: number[];
  footprint: {
    adapterBytes: number;
    trainingStateBytes: number;
    activationBytesPerToken: number;
  } | null;
}

function run(mode: 'full' | 'lora', batch: number, context: number): Run | string {
  const child = join(import.meta.dirname, 'lora-step.ts');
  const job = { mode, batch, context, warmup: WARMUP, steps: STEPS, backend: 'auto', ...LORA };
  try {
    const output = execFileSync(
      process.execPath,
      [...process.execArgv, child, JSON.stringify(job)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 1 << 26,
      },
    );
    return JSON.parse(output.trim().split('\n').at(-1)!) as Run;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    const last = stderr
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /Error|Aborted|memory/i.test(line) && line.length < 300)
      .at(-1);
    return last ?? 'failed';
  }
}

const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadBefore = load();
const skipped: string[] = [];
let result: { batch: number; context: number; full: Run; lora: Run } | undefined;
for (const [batch, context] of LADDER) {
  const full = run('full', batch, context);
  if (typeof full === 'string') {
    skipped.push(`${batch} × ${context}: full fine-tuning fails (${full})`);
    continue;
  }
  const lora = run('lora', batch, context);
  if (typeof lora === 'string') {
    skipped.push(`${batch} × ${context}: LoRA fails (${lora})`);
    continue;
  }
  result = { batch, context, full, lora };
  break;
}

console.log(
  `\nFine-tuning gpt2 (124M, random weights): full vs LoRA r=${LORA.r}, alpha ${LORA.alpha}, targets ${LORA.targets.join(',')} (PEFT matching: c_attn, attn.c_proj, mlp.c_proj)`,
);
for (const line of skipped) console.log(`- ${line}`);
if (!result) {
  console.log('No shape of the ladder ran.');
} else {
  const { batch, context, full, lora } = result;
  console.log(
    `shape ${batch} × ${context}${skipped.length > 0 ? ' (the largest of the ladder that fits full fine-tuning)' : ''}; ${WARMUP} warm-up + ${STEPS} timed steps each; backend ${full.backend}`,
  );
  console.log(`load average before ${loadBefore}, after ${load()}`);
  console.log('| run | trainable parameters | ms/step | tokens/s | peak RSS MiB |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [label, r] of [
    ['full fine-tuning', full],
    [`LoRA r=${LORA.r}`, lora],
  ] as const) {
    const share = ((100 * r.trainableParameters) / r.totalParameters).toFixed(2);
    console.log(
      `| ${label} | ${fmt(r.trainableParameters)} (${share}%) | ${fmt(r.msPerStep)} | ${fmt(r.tokensPerSecond, 1)} | ${fmt(r.peakRssMiB)} |`,
    );
  }
  console.log(
    `LoRA / full: step time ${(lora.msPerStep / full.msPerStep).toFixed(3)}×, tokens/s ${(lora.tokensPerSecond / full.tokensPerSecond).toFixed(3)}×, peak RSS ${(lora.peakRssMiB / full.peakRssMiB).toFixed(3)}× (${fmt(full.peakRssMiB - lora.peakRssMiB)} MiB less)`,
  );
  const f = lora.footprint!;
  console.log(
    `loraFootprint at this shape: adapters ${fmt(f.adapterBytes / 2 ** 20, 1)} MiB, their gradients + AdamW moments ${fmt(f.trainingStateBytes / 2 ** 20, 1)} MiB, extra activations ${fmt((f.activationBytesPerToken * batch * context) / 2 ** 20, 1)} MiB; full fine-tuning's gradients + moments: ${fmt((3 * 4 * full.trainableParameters) / 2 ** 20)} MiB`,
  );
  console.log(
    `losses (first step): full ${full.losses[0]!.toFixed(4)}, LoRA ${lora.losses[0]!.toFixed(4)} (same weights and batch; LoRA starts as the base model)`,
  );
}
