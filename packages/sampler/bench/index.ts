/**
 * Sampler benchmark: tokens/s for new tokens at batch 1, with and without the
 * KV cache, at prompt lengths 16 and 512, on a small model (4 layers, d=128,
 * nanoGPT's size) and a gpt2 (124M)-shaped model with random weights, on the
 * wasm backend. Peers run the same case like with like: PyTorch
 * (tools/reference/bench_generate.py) with its KV cache against our cached
 * path, without one against our uncached path, each at its best thread count.
 * Ratios compare only those pairs.
 *
 * Run: pnpm --filter @gpt2/sampler bench [case-name-prefix] [--fast]
 * (a few minutes; `--fast` skips the slow uncached runs of 124M, ours and the peers').
 */
import { loadavg } from 'node:os';
import { describeBackend, initBackend } from '@gpt2/backends';
import { type GPT2Config, GPT2Model, PRESETS } from '@gpt2/model';
import { describeThreadRuns, runReferenceAtBestThreads } from '@gpt2/reference';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import { generate } from '../src/index.js';

const NEW_TOKENS = 256;
const PROMPT_LENGTHS = [16, 512];

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
  { name: 'gpt2 124M (random)', config: PRESETS.gpt2, uncachedTokens: (p) => (p >= 512 ? 2 : 4) },
];

async function tokensPerSecond(
  model: GPT2Model,
  tokenizer: Awaited<ReturnType<typeof gpt2Tokenizer>>,
  prompt: number[],
  tokens: number,
  useCache: boolean,
): Promise<number> {
  const start = performance.now();
  let count = 0;
  for await (const event of generate(model, tokenizer, prompt, {
    maxNewTokens: tokens,
    greedy: true,
    stopTokenIds: [],
    useCache,
  })) {
    if (event.type === 'token') count++;
  }
  return count / ((performance.now() - start) / 1000);
}

/**
 * A peer implementation, timed on the same case as ours. Each measures what it
 * can: cached and/or uncached generation; a missing one is reported, never
 * compared against the other kind. (PyTorch today; an ONNX Runtime peer plugs
 * in here the same way.)
 */
interface Peer {
  name: string;
  /** Tokens/s of greedy generation, or a one-line reason there is no figure. */
  run(c: Case, promptLength: number, tokens: number, useCache: boolean): PeerResult | string;
}

interface PeerResult {
  tokensPerSecond: number;
  /** How it ran, for the table: `1 thread`, `2 threads`. */
  detail: string;
  /** Every configuration tried, for the notes under the table. */
  tried: string;
  version?: string;
}

const pytorch: Peer = {
  name: 'PyTorch',
  run(c, promptLength, tokens, useCache) {
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
    const { best } = result;
    return {
      tokensPerSecond: best.tokens_per_s,
      detail: `${best.threads} thread${best.threads > 1 ? 's' : ''}`,
      tried: describeThreadRuns(result),
      ...(best.torch ? { version: best.torch } : {}),
    };
  },
};

const PEERS: Peer[] = [pytorch];

const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(1));
const ratio = (ours: number, peer: PeerResult | string | undefined) =>
  peer === undefined || typeof peer === 'string' || Number.isNaN(ours)
    ? 'n/a'
    : `${(ours / peer.tokensPerSecond).toFixed(2)}×`;
const cell = (peer: PeerResult | string | undefined) =>
  peer === undefined
    ? 'not run'
    : typeof peer === 'string'
      ? peer
      : `${fmt(peer.tokensPerSecond)} (${peer.detail})`;

async function main(): Promise<void> {
  const info = await initBackend('wasm');
  const tokenizer = await gpt2Tokenizer();
  const args = process.argv.slice(2);
  const fast = args.includes('--fast');
  const only = args.find((arg) => !arg.startsWith('--'));
  console.log(
    `load average: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}`,
  );
  console.log(
    `ours: ${describeBackend(info)}; greedy, batch 1; tokens/s count new tokens over the whole call, the prompt's prefill included.\n`,
  );
  const header = ['model', 'prompt', 'new tokens', 'ours'];
  for (const peer of PEERS) header.push(peer.name, `ours / ${peer.name}`);
  const cachedRows: string[][] = [];
  const uncachedRows: string[][] = [];
  const speedups: string[] = [];
  const notes = new Set<string>();
  const versions = new Set<string>();
  for (const c of CASES) {
    if (only && !c.name.startsWith(only)) continue;
    const model = GPT2Model.create(c.config, { seed: 1 });
    for (const promptLength of PROMPT_LENGTHS) {
      const prompt = Array.from(
        { length: promptLength },
        (_, i) => (i * 7919) % c.config.vocabSize,
      );
      await tokensPerSecond(model, tokenizer, prompt.slice(0, 4), 4, true); // warm-up: kernels, weight packing
      const uncachedTokens = c.uncachedTokens(promptLength);
      // --fast skips the slow side only: uncached runs of the cases that re-run a big context.
      const skipSlow = fast && uncachedTokens < NEW_TOKENS;
      for (const useCache of [true, false]) {
        const tokens = useCache ? NEW_TOKENS : uncachedTokens;
        if (!useCache && skipSlow) continue;
        const ours = await tokensPerSecond(model, tokenizer, prompt, tokens, useCache);
        const row = [c.name, String(promptLength), String(tokens), fmt(ours)];
        for (const peer of PEERS) {
          const result = peer.run(c, promptLength, tokens, useCache);
          if (result && typeof result !== 'string') {
            notes.add(
              `${peer.name} ${useCache ? 'cached' : 'uncached'}, ${c.name}, prompt ${promptLength}: ${result.tried}`,
            );
            if (result.version) versions.add(`${peer.name} ${result.version}`);
          }
          row.push(cell(result), ratio(ours, result));
        }
        (useCache ? cachedRows : uncachedRows).push(row);
        console.log(`  done: ${useCache ? 'cached' : 'uncached'} | ${row.join(' | ')}`);
      }
      const cached = Number(cachedRows.at(-1)?.[3]);
      const uncached = skipSlow ? Number.NaN : Number(uncachedRows.at(-1)?.[3]);
      if (skipSlow) notes.add(`${c.name}, prompt ${promptLength}: uncached runs skipped (--fast)`);
      if (!Number.isNaN(uncached)) {
        speedups.push(`${c.name}, prompt ${promptLength}: ${(cached / uncached).toFixed(1)}×`);
      }
    }
    model.dispose();
  }
  const table = (title: string, rows: string[][]) => {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
    const line = (cells: string[]) =>
      `| ${cells.map((value, i) => value.padEnd(widths[i] as number)).join(' | ')} |`;
    console.log(`\n${title}`);
    console.log(
      [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join(
        '\n',
      ),
    );
  };
  table('With a KV cache (each side): tokens/s', cachedRows);
  table('Without a KV cache (each side re-runs the context per token): tokens/s', uncachedRows);
  console.log(
    `\nPeers: ${versions.size > 0 ? [...versions].join(', ') : 'none ran'}; each at its best thread count:`,
  );
  for (const note of notes) console.log(`  ${note}`);
  console.log(
    `\nOurs, cached over uncached: ${speedups.join('; ') || 'n/a'} (target: >= 5× at prompt 512).`,
  );
  console.log(
    `load average at end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}`,
  );
}

await main();
