/**
 * Sampler benchmark: greedy generation, batch 1, 256 new tokens after prompts
 * of 16 and 512 tokens, end to end (tokens/s count new tokens over the whole
 * call, the prompt's prefill included), on a small model (4 layers, d=128,
 * nanoGPT's size) and a gpt2 (124M)-shaped model, ours against two peers in
 * the same run, like with like:
 *   - ONNX Runtime (onnxruntime-node, CPU provider), the engine under
 *     transformers.js: the project's PyTorch reference exported with a KV cache
 *     (tools/reference/export_onnx.py), run as transformers.js runs a decoder.
 *     Ours loads the very weights of that export, and the bench checks that
 *     both generate the same token ids.
 *   - PyTorch eager (tools/reference/bench_generate.py), with its KV cache
 *     against our cached path and without one against our uncached path.
 * Each side runs at 1 thread and at every core and reports its best (PyTorch
 * with OMP_WAIT_POLICY=PASSIVE on more than one). Ratios compare only those
 * pairs.
 *
 * Run: pnpm --filter @gpt2/sampler bench [case-name-prefix] [--fast] [--backend=wasm]
 * (about ten minutes; 124M needs ~3 GB: run it under `flock /tmp/gpt2-heavy.lock`
 * on a shared machine). `--fast` runs the cached cases only (the targets), skipping
 * every uncached run.
 */
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BackendInfo,
  type BackendRequest,
  describeBackend,
  initBackend,
} from '@gpt2/backends';
import { createNativeBackend } from '@gpt2/backends/native';
import { type GPT2Config, type GPT2Model, PRESETS } from '@gpt2/model';
import { loadModelFolder } from '@gpt2/model/node';
import { describeThreadRuns, runReferenceAtBestThreads } from '@gpt2/reference';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import { generate } from '../src/index.js';
import { exportOnnx, OnnxGenerator } from './onnx-runtime.js';

const NEW_TOKENS = 256;
const PROMPT_LENGTHS = [16, 512];
const THREADS = [...new Set([1, availableParallelism()])];

interface Case {
  name: string;
  config: GPT2Config;
  /** New tokens for the uncached path (fewer for 124M: each step re-runs the whole context). */
  uncachedTokens: (promptLength: number) => number;
}

const CASES: Case[] = [
  {
    name: 'small (4L, d=128, V=512)',
    config: { ...PRESETS['gpt2-tiny'], nLayer: 4, nHead: 4, nEmbd: 128, nPositions: 1024 },
    uncachedTokens: () => NEW_TOKENS,
  },
  { name: 'gpt2 124M', config: PRESETS.gpt2, uncachedTokens: (p) => (p >= 512 ? 2 : 4) },
];

type Tokenizer = Awaited<ReturnType<typeof gpt2Tokenizer>>;

/** Greedy generation, timed end to end; returns tokens/s and the ids. */
async function ours(
  model: GPT2Model,
  tokenizer: Tokenizer,
  prompt: number[],
  tokens: number,
  useCache: boolean,
): Promise<{ tokensPerSecond: number; ids: number[] }> {
  const ids: number[] = [];
  const start = performance.now();
  for await (const event of generate(model, tokenizer, prompt, {
    maxNewTokens: tokens,
    greedy: true,
    stopTokenIds: [],
    useCache,
  })) {
    if (event.type === 'token') ids.push(event.tokenId);
  }
  return { tokensPerSecond: ids.length / ((performance.now() - start) / 1000), ids };
}

/** A figure at the best of several thread counts, and every one tried. */
interface Best {
  tokensPerSecond: number;
  threads: number;
  tried: string;
}

function best(runs: { threads: number; tokensPerSecond: number }[]): Best {
  const top = runs.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
  return {
    tokensPerSecond: top.tokensPerSecond,
    threads: top.threads,
    tried: runs.map((r) => `${plural(r.threads)} ${r.tokensPerSecond.toFixed(1)}`).join(', '),
  };
}

const plural = (threads: number) => `${threads} thread${threads === 1 ? '' : 's'}`;
const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(1));
const cell = (x: Best | string | undefined) =>
  x === undefined
    ? 'not run'
    : typeof x === 'string'
      ? x
      : `${fmt(x.tokensPerSecond)} (${x.threads}t)`;
const ratio = (a: Best | undefined, b: Best | string | undefined) =>
  a === undefined || b === undefined || typeof b === 'string'
    ? 'n/a'
    : `${(a.tokensPerSecond / b.tokensPerSecond).toFixed(2)}×`;

async function activate(backend: BackendRequest, threads: number): Promise<BackendInfo> {
  return initBackend(backend === 'native' ? createNativeBackend({ threads }) : backend);
}

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    `| ${cells.map((value, i) => value.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log(
    [
      line(header),
      `|${widths.map((w) => `${'-'.repeat(w + 1)}:`).join('|')}|`,
      ...rows.map(line),
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fast = args.includes('--fast');
  const backend = (args.find((arg) => arg.startsWith('--backend='))?.slice(10) ??
    'native') as BackendRequest;
  const only = args.find((arg) => !arg.startsWith('--'));
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(', ');
  console.log(`load average: ${load()}`);
  const info = await activate(backend, THREADS.at(-1)!);
  console.log(
    `ours: ${describeBackend(info)}\ngreedy, batch 1, ${NEW_TOKENS} new tokens; tokens/s count new tokens over the whole call, the prompt's prefill included; each side's best of ${THREADS.map(plural).join(' and ')}.\n`,
  );
  const tokenizer = await gpt2Tokenizer();
  const cachedRows: string[][] = [];
  const uncachedRows: string[][] = [];
  const notes: string[] = [];
  const versions = new Set<string>();
  for (const c of CASES) {
    if (only && !c.name.startsWith(only)) continue;
    const dir = join(
      tmpdir(),
      'gpt2-bench-onnx',
      `${c.config.nLayer}x${c.config.nEmbd}h${c.config.nHead}v${c.config.vocabSize}p${c.config.nPositions}`,
    );
    const exported = exportOnnx(c.config, dir);
    if (typeof exported === 'string') {
      console.log(`  ${c.name}: no ONNX export (${exported}); skipped`);
      continue;
    }
    // Ours runs the weights of the export, so both must pick the same tokens.
    const model = await loadModelFolder(exported.dir);
    for (const promptLength of PROMPT_LENGTHS) {
      const prompt = Array.from(
        { length: promptLength },
        (_, i) => (i * 7919) % c.config.vocabSize,
      );
      const where = `${c.name}, prompt ${promptLength}`;
      // Cached: ours, ONNX Runtime and PyTorch, each at its best thread count.
      const oursRuns: { threads: number; tokensPerSecond: number }[] = [];
      let ourIds: number[] = [];
      for (const threads of THREADS) {
        await activate(backend, threads);
        await ours(model, tokenizer, prompt.slice(0, 4), 4, true); // warm-up
        const run = await ours(model, tokenizer, prompt, NEW_TOKENS, true);
        oursRuns.push({ threads, tokensPerSecond: run.tokensPerSecond });
        ourIds = run.ids;
      }
      const oursCached = best(oursRuns);
      const ortRuns: { threads: number; tokensPerSecond: number }[] = [];
      let agreement = '';
      for (const threads of THREADS) {
        const ort = await OnnxGenerator.load(exported.dir, c.config.nLayer, threads);
        await ort.generate(prompt.slice(0, 4), 4); // warm-up
        const run = await ort.generate(prompt, NEW_TOKENS);
        await ort.dispose();
        ortRuns.push({ threads, tokensPerSecond: run.tokensPerSecond });
        const first = run.tokens.findIndex((id, i) => id !== ourIds[i]);
        agreement =
          first < 0
            ? `all ${NEW_TOKENS} ids agree`
            : `ids differ from position ${first} (ours ${ourIds[first]}, ONNX Runtime ${run.tokens[first]})`;
      }
      const ort = best(ortRuns);
      const torchCached = pytorch(c, promptLength, NEW_TOKENS, true);
      if (typeof torchCached !== 'string') versions.add(`PyTorch ${torchCached.version}`);
      cachedRows.push([
        c.name,
        String(promptLength),
        cell(oursCached),
        cell(ort),
        ratio(oursCached, ort),
        cell(torchCached),
        ratio(oursCached, torchCached),
      ]);
      notes.push(
        `${where}, cached: ours ${oursCached.tried}; ONNX Runtime ${ort.tried} (${agreement}); PyTorch ${typeof torchCached === 'string' ? torchCached : torchCached.tried}`,
      );
      console.log(`  done: ${cachedRows.at(-1)!.join(' | ')}`);

      // Uncached: ours against PyTorch (ONNX Runtime runs its graphs with their cache).
      const uncachedTokens = c.uncachedTokens(promptLength);
      if (fast) {
        notes.push(`${where}, uncached: skipped (--fast)`);
        continue;
      }
      const uncachedRuns: { threads: number; tokensPerSecond: number }[] = [];
      for (const threads of THREADS) {
        await activate(backend, threads);
        const run = await ours(model, tokenizer, prompt, uncachedTokens, false);
        uncachedRuns.push({ threads, tokensPerSecond: run.tokensPerSecond });
      }
      const oursUncached = best(uncachedRuns);
      const torchUncached = pytorch(c, promptLength, uncachedTokens, false);
      uncachedRows.push([
        c.name,
        String(promptLength),
        String(uncachedTokens),
        cell(oursUncached),
        cell(torchUncached),
        ratio(oursUncached, torchUncached),
        `${(oursCached.tokensPerSecond / oursUncached.tokensPerSecond).toFixed(1)}×`,
      ]);
      notes.push(
        `${where}, uncached: ours ${oursUncached.tried}; PyTorch ${typeof torchUncached === 'string' ? torchUncached : torchUncached.tried}`,
      );
      console.log(`  done: ${uncachedRows.at(-1)!.join(' | ')}`);
    }
    model.dispose();
  }
  table(
    `With a KV cache: tokens/s (${NEW_TOKENS} new tokens)`,
    ['model', 'prompt', 'ours', 'ONNX Runtime', 'ours / ORT', 'PyTorch', 'ours / PyTorch'],
    cachedRows,
  );
  if (uncachedRows.length > 0) {
    table(
      'Without a KV cache (each side re-runs the context per token): tokens/s',
      [
        'model',
        'prompt',
        'new tokens',
        'ours',
        'PyTorch',
        'ours / PyTorch',
        'ours cached / uncached',
      ],
      uncachedRows,
    );
  }
  console.log(
    `\nPeers: onnxruntime-node ${(await import('onnxruntime-node')).env.versions.node} (CPU provider), ${[...versions].join(', ') || 'PyTorch did not run'}. Best of each, tokens/s:`,
  );
  for (const note of notes) console.log(`  ${note}`);
  console.log(`load average at end: ${load()}`);
}

/** PyTorch eager, with or without its KV cache, at its best thread count. */
function pytorch(
  c: Case,
  promptLength: number,
  tokens: number,
  useCache: boolean,
): (Best & { version: string }) | string {
  const result = runReferenceAtBestThreads('bench_generate.py', {
    n_layer: c.config.nLayer,
    n_head: c.config.nHead,
    n_embd: c.config.nEmbd,
    block_size: c.config.nPositions,
    vocab_size: c.config.vocabSize,
    prompt_length: promptLength,
    new_tokens: tokens,
    batch_size: 1,
    kv_cache: useCache,
  });
  if (typeof result === 'string') return result;
  return {
    tokensPerSecond: result.best.tokens_per_s,
    threads: result.best.threads,
    tried: describeThreadRuns(result),
    version: String(result.best.torch ?? ''),
  };
}

await main();
