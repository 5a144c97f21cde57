/**
 * gpt2-xl (1.5B) from an HF-layout folder: load, then 32 new tokens, greedy,
 * with a KV cache, cold (what `gpt2 sample` does), ours against PyTorch eager
 * with its KV cache (tools/reference/bench_generate_folder.py, which reads
 * each tensor straight into its parameter) on the same folder and prompt.
 * Every run is its own process, so each peak RSS is that run's alone; each
 * side at 1 thread and at every core, the better counting.
 *
 *   tsx --conditions=@gpt2/source bench/large-model.ts [DIR] [preset]
 *   tsx --conditions=@gpt2/source bench/large-model.ts --if-heavy   (`pnpm bench`: only with GPT2_BENCH_HEAVY=1)
 *
 * DIR (default $TMPDIR/gpt2-bench-large/<preset>) gets random BF16 weights
 * at the preset's real shapes first if it has no model.safetensors (written
 * by @gpt2/model's bench/large-checkpoint.ts, one tensor at a time). Needs
 * ~7 GiB per run and a few minutes: `pnpm bench` runs it with
 * GPT2_BENCH_HEAVY=1, under `flock /tmp/gpt2-heavy.lock` on a shared machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@gpt2/backends';
import { createNativeBackend } from '@gpt2/backends/native';
import { peakRssBytes } from '@gpt2/backends/testing';
import { loadModelFolder } from '@gpt2/model/node';
import { runReference } from '@gpt2/reference';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import { generate } from '../src/index.js';

const NEW_TOKENS = 32;
const PROMPT = 'The jury said';
const THREADS = [...new Set([1, availableParallelism()])];

interface Run {
  threads: number;
  loadSeconds: number;
  generateSeconds: number;
  tokensPerSecond: number;
  peakRssBytes: number | undefined;
  ids: number[];
}

/** One of our runs, in this (child) process: load the folder, generate, report. */
async function oursChild(dir: string, threads: number): Promise<void> {
  await initBackend(createNativeBackend({ threads }));
  const tokenizer = await gpt2Tokenizer();
  let start = performance.now();
  const model = await loadModelFolder(dir);
  const loadSeconds = (performance.now() - start) / 1000;
  const ids: number[] = [];
  start = performance.now();
  for await (const event of generate(model, tokenizer, tokenizer.encode(PROMPT), {
    maxNewTokens: NEW_TOKENS,
    greedy: true,
    stopTokenIds: [],
    useCache: true,
  })) {
    if (event.type === 'token') ids.push(event.tokenId);
  }
  const generateSeconds = (performance.now() - start) / 1000;
  model.dispose();
  const run: Run = {
    threads,
    loadSeconds,
    generateSeconds,
    tokensPerSecond: ids.length / generateSeconds,
    peakRssBytes: peakRssBytes(),
    ids,
  };
  console.log(JSON.stringify(run));
}

function oursRun(dir: string, threads: number): Run | string {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child', dir, String(threads)],
    { encoding: 'utf8', timeout: 1_800_000 },
  );
  if (child.status !== 0)
    return `failed (${child.status ?? child.signal}): ${child.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Run;
}

async function pytorchRun(dir: string, threads: number): Promise<Run | string> {
  const tokenizer = await gpt2Tokenizer();
  const result = runReference(
    'bench_generate_folder.py',
    { folder: dir, prompt: tokenizer.encode(PROMPT), new_tokens: NEW_TOKENS, threads },
    1_800_000,
  );
  if (typeof result === 'string') return result;
  return {
    threads,
    loadSeconds: Number(result.load_s),
    generateSeconds: Number(result.generate_s),
    tokensPerSecond: result.tokens_per_s,
    peakRssBytes: Number(result.peak_rss_bytes),
    ids: result.ids as number[],
  };
}

const plural = (threads: number) => `${threads} thread${threads === 1 ? '' : 's'}`;
const gib = (bytes: number | undefined) =>
  bytes === undefined ? 'n/a' : `${(bytes / 1024 ** 3).toFixed(2)}`;
/** The run with the highest `score`, among those that finished. */
const best = (runs: (Run | string)[], score: (run: Run) => number) =>
  runs
    .filter((r): r is Run => typeof r !== 'string')
    .reduce<Run | undefined>((a, b) => (!a || score(b) > score(a) ? b : a), undefined);

async function main(): Promise<void> {
  const [dirArg, preset = 'gpt2-xl'] = process.argv.slice(2).filter((arg) => arg !== '--if-heavy');
  const dir = dirArg ?? join(tmpdir(), 'gpt2-bench-large', preset);
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(', ');
  const loadBefore = load();
  if (!existsSync(join(dir, 'model.safetensors'))) {
    const writer = fileURLToPath(new URL('../../model/bench/large-checkpoint.ts', import.meta.url));
    const written = spawnSync(
      process.execPath,
      [...process.execArgv, writer, 'write', dir, preset, 'BF16'],
      { stdio: 'inherit' },
    );
    if (written.status !== 0) throw new Error(`writing ${dir} failed`);
  }
  const ours: (Run | string)[] = [];
  const pytorch: (Run | string)[] = [];
  for (const threads of THREADS) {
    ours.push(oursRun(dir, threads));
    pytorch.push(await pytorchRun(dir, threads));
  }
  console.log(
    `\n${preset} from ${dir} (random weights, HF layout): load, then ${NEW_TOKENS} new tokens, greedy, KV cache, cold, prompt "${PROMPT}"; each run its own process; load average ${loadBefore} before, ${load()} after`,
  );
  console.log('| implementation | threads | load s | generate s | tokens/s | peak RSS GiB |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const row = (label: string, run: Run | string, threads: number) =>
    typeof run === 'string'
      ? `| ${label} | ${threads} | ${run} | | | |`
      : `| ${label} | ${run.threads} | ${run.loadSeconds.toFixed(1)} | ${run.generateSeconds.toFixed(1)} | ${run.tokensPerSecond.toFixed(2)} | ${gib(run.peakRssBytes)} |`;
  THREADS.forEach((threads, i) => {
    console.log(row('@gpt2/sampler (native)', ours[i]!, threads));
    console.log(row('PyTorch eager (KV cache)', pytorch[i]!, threads));
  });
  const a = best(ours, (run) => run.tokensPerSecond);
  const b = best(pytorch, (run) => run.tokensPerSecond);
  const total = (run: Run) => run.loadSeconds + run.generateSeconds;
  const c = best(ours, (run) => -total(run));
  const d = best(pytorch, (run) => -total(run));
  if (a && b && c && d) {
    const first = a.ids.findIndex((id, i) => id !== b.ids[i]);
    console.log(
      `\ngeneration: ours at its best (${plural(a.threads)}) / PyTorch at its best (${plural(b.threads)}): **${(a.tokensPerSecond / b.tokensPerSecond).toFixed(2)}×** the tokens/s; load + ${NEW_TOKENS} tokens, each at its best: ours ${total(c).toFixed(1)} s (${plural(c.threads)}), PyTorch ${total(d).toFixed(1)} s (${plural(d.threads)}): ${(total(d) / total(c)).toFixed(2)}×; peak RSS ${gib(a.peakRssBytes)} against ${gib(b.peakRssBytes)} GiB; ${first < 0 ? `all ${NEW_TOKENS} ids agree` : `ids differ from position ${first}`}`,
    );
  }
}

const [flag, childDir, childThreads] = process.argv.slice(2);
if (flag === '--child') await oursChild(childDir!, Number(childThreads));
else if (flag === '--if-heavy' && process.env.GPT2_BENCH_HEAVY !== '1') {
  console.log(
    '\n(GPT2_BENCH_HEAVY=1 adds gpt2-xl: load + 32 tokens against PyTorch eager, ~7 GiB a run)',
  );
} else await main();
