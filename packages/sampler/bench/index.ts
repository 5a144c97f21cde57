/**
 * Sampler benchmark: tokens/s for new tokens at batch 1, with and without the
 * KV cache, at prompt lengths 16 and 512, on a small model (4 layers, d=128,
 * nanoGPT's size) and a gpt2 (124M)-shaped model with random weights, on the
 * wasm backend. Prints the PyTorch reference (nanoGPT-style uncached
 * generate, tools/reference/bench_generate.py) beside ours when torch exists.
 *
 * Run: pnpm --filter @gpt2/sampler bench [case-name-prefix] [--fast]
 * (a few minutes; `--fast` skips the slow uncached and torch runs of 124M).
 */
import { loadavg } from 'node:os';
import { initBackend } from '@gpt2/backends';
import { type GPT2Config, GPT2Model, PRESETS } from '@gpt2/model';
import { runReference } from '@gpt2/reference';
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

function torchTokensPerSecond(
  config: GPT2Config,
  promptLength: number,
  tokens: number,
): number | undefined {
  const result = runReference('bench_generate.py', {
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_embd: config.nEmbd,
    block_size: config.nPositions,
    vocab_size: config.vocabSize,
    prompt_length: promptLength,
    new_tokens: tokens,
    batch_size: 1,
  });
  return typeof result === 'string' ? undefined : result.tokens_per_s;
}

const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(1));

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
  console.log(`backend: ${info.name}; greedy, batch 1; tokens/s include the prompt's prefill.\n`);
  const rows: string[][] = [];
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
      const cachedOnly = fast && uncachedTokens < NEW_TOKENS;
      const cached = await tokensPerSecond(model, tokenizer, prompt, NEW_TOKENS, true);
      const uncached = cachedOnly
        ? Number.NaN
        : await tokensPerSecond(model, tokenizer, prompt, uncachedTokens, false);
      const torch = cachedOnly
        ? undefined
        : torchTokensPerSecond(c.config, promptLength, uncachedTokens);
      const row = [
        c.name,
        String(promptLength),
        `${fmt(cached)} (${NEW_TOKENS})`,
        `${fmt(uncached)} (${uncachedTokens})`,
        Number.isNaN(uncached) ? 'n/a' : `${(cached / uncached).toFixed(1)}×`,
        `${fmt(torch)} (${uncachedTokens})`,
        torch === undefined ? 'n/a' : `${(cached / torch).toFixed(2)}×`,
      ];
      rows.push(row);
      console.log(`  done: ${row.join(' | ')}`);
    }
    model.dispose();
  }
  const header = [
    'model',
    'prompt',
    'cached tok/s (new)',
    'uncached tok/s (new)',
    'speed-up',
    'torch uncached tok/s',
    'ours cached / torch',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(
    [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join(
      '\n',
    ),
  );
  console.log(
    `load average at end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}`,
  );
  console.log(
    "\nTarget: cached >= 5× uncached at prompt 512. Uncached = nanoGPT's generate (re-run the context each token).",
  );
}

await main();
