/**
 * `pnpm bench` (trainer): full fine-tuning against LoRA on gpt2 (124M, random
 * weights at the real shapes), back to back on the backend `auto` picks:
 * step time, tokens/s, peak RSS and trainable parameters. Each run is its own
 * child process (bench/lora-step.ts), so each peak RSS is its own.
 *
 * The target shape is 8 × 512. Where full fine-tuning does not fit there (the
 * wasm backend's 4 GB heap; on the native backend, the memory of a shared
 * machine), the bench steps down to the largest shape that does and says so.
 * `GPT2_LORA_BENCH_SHAPES=8x512,4x256` replaces the ladder (empty: skip this part). A child whose
 * resident size passes `GPT2_LORA_BENCH_MAX_RSS_GIB` (default: 60% of this
 * machine's memory, at most 16 GiB) is stopped by the bench, so that a shape
 * that does not fit never reaches the kernel's OOM killer and the other
 * processes of the machine.
 *
 * Then gpt2-xl (1.56B, random weights made by the child) with LoRA at 1 × 256:
 * one step that full fine-tuning could not take on a 24 GB machine (its AdamW
 * state alone is 25 GB). `GPT2_LORA_BENCH_XL=0` skips it.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

const LADDER = (process.env.GPT2_LORA_BENCH_SHAPES ?? '8x512,4x512,2x512,1x512,2x256,1x256,1x128')
  .split(',')
  .filter((shape) => shape !== '')
  .map((shape) => shape.split('x').map(Number) as [number, number]);
const LORA = { r: 8, alpha: 16, targets: ['c_attn', 'c_proj'] };
const WARMUP = 1;
const STEPS = 2;
const MAX_RSS_BYTES =
  Number(process.env.GPT2_LORA_BENCH_MAX_RSS_GIB ?? (0.8 * totalmem()) / 2 ** 30) * 2 ** 30;

/** The resident size of a process, from /proc (Linux); undefined elsewhere. */
async function residentBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const match = status && /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

interface Run {
  mode: 'full' | 'lora';
  preset: string;
  initSeconds: number;
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

/** One run in its own process: its JSON line, or why it failed. */
async function run(
  mode: 'full' | 'lora',
  batch: number,
  context: number,
  extra: { preset?: string; warmup?: number; steps?: number } = {},
): Promise<Run | string> {
  const child = join(import.meta.dirname, 'lora-step.ts');
  const job = {
    mode,
    batch,
    context,
    warmup: WARMUP,
    steps: STEPS,
    backend: 'auto',
    ...LORA,
    ...extra,
  };
  const worker = spawn(process.execPath, [...process.execArgv, child, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  worker.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  worker.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  let overLimit = 0;
  const watchdog = setInterval(async () => {
    const rss = worker.pid === undefined ? undefined : await residentBytes(worker.pid);
    if (rss !== undefined && rss > MAX_RSS_BYTES && overLimit === 0) {
      overLimit = rss;
      worker.kill('SIGKILL');
    }
  }, 250);
  const code = await new Promise<number | null>((done) => worker.on('close', done));
  clearInterval(watchdog);
  if (overLimit > 0) {
    return `stopped at ${(overLimit / 2 ** 30).toFixed(1)} GiB RSS, over the bench's cap of ${(MAX_RSS_BYTES / 2 ** 30).toFixed(1)} GiB`;
  }
  if (code === 0) return JSON.parse(stdout.trim().split('\n').at(-1)!) as Run;
  const last = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /Error|Aborted|memory/i.test(line) && line.length < 300)
    .at(-1);
  return last ?? `exit code ${code}`;
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
  const full = await run('full', batch, context);
  if (typeof full === 'string') {
    skipped.push(`${batch} × ${context}: full fine-tuning fails (${full})`);
    continue;
  }
  const lora = await run('lora', batch, context);
  if (typeof lora === 'string') {
    skipped.push(`${batch} × ${context}: LoRA fails (${lora})`);
    continue;
  }
  result = { batch, context, full, lora };
  break;
}

if (LADDER.length > 0) {
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
}

if (process.env.GPT2_LORA_BENCH_XL !== '0') {
  const [batch, context] = [1, 256];
  const xl = await run('lora', batch, context, { preset: 'gpt2-xl', warmup: 1, steps: 1 });
  console.log(
    `\ngpt2-xl (1.56B, random weights) with LoRA r=${LORA.r}, alpha ${LORA.alpha}, targets ${LORA.targets.join(',')} at ${batch} × ${context}; 1 warm-up + 1 timed step`,
  );
  if (typeof xl === 'string') {
    console.log(`does not run: ${xl}`);
  } else {
    const share = ((100 * xl.trainableParameters) / xl.totalParameters).toFixed(3);
    const f = xl.footprint!;
    const fullState = (3 * 4 * xl.totalParameters) / 2 ** 30;
    console.log(
      `backend ${xl.backend}; weights made in ${fmt(xl.initSeconds, 1)} s; trainable ${fmt(xl.trainableParameters)} of ${fmt(xl.totalParameters)} (${share}%)`,
    );
    console.log(
      `${fmt(xl.msPerStep)} ms/step, ${fmt(xl.tokensPerSecond, 1)} tokens/s, peak RSS ${fmt(xl.peakRssMiB)} MiB (${fmt(xl.peakRssMiB / 1024, 1)} GiB); losses ${xl.losses.map((l) => l.toFixed(4)).join(', ')}`,
    );
    console.log(
      `weights ${fmt((4 * xl.totalParameters) / 2 ** 30, 2)} GiB; LoRA's adapters + gradients + moments ${fmt((f.adapterBytes + f.trainingStateBytes) / 2 ** 20, 1)} MiB; full fine-tuning's gradients + moments would be ${fmt(fullState, 1)} GiB on top of the weights`,
    );
  }
}
