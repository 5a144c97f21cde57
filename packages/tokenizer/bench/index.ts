/**
 * `pnpm bench`: GPT-2 encode throughput on the Brown corpus against the
 * registry's GPT-2 tokenizers (gpt-tokenizer, js-tiktoken, tiktoken wasm), all
 * in this one run, plus cold first-call times and BPE training time.
 */
import { loadBrownCorpus, loadBrownCorpusText } from '@gpt2/corpora';
import { trainBpe } from '../src/index.js';

const text = await loadBrownCorpusText();
const megabytes = new TextEncoder().encode(text).length / 1e6;
const runs = Number(process.env.GPT2_BENCH_RUNS ?? 7);

interface Contender {
  name: string;
  /** Load + first encode of the corpus. */
  setup: () => Promise<(s: string) => ArrayLike<number>>;
}

const contenders: Contender[] = [
  {
    name: '@gpt2/tokenizer',
    setup: async () => {
      const { gpt2Tokenizer } = await import('../src/index.js');
      const tok = await gpt2Tokenizer();
      return (s) => tok.encode(s);
    },
  },
  {
    name: 'gpt-tokenizer',
    setup: async () => {
      const { encode } = await import('gpt-tokenizer/encoding/r50k_base');
      return (s) => encode(s);
    },
  },
  {
    name: 'js-tiktoken',
    setup: async () => {
      const { getEncoding } = await import('js-tiktoken');
      const enc = getEncoding('gpt2');
      return (s) => enc.encode(s);
    },
  },
  {
    name: 'tiktoken (wasm)',
    setup: async () => {
      const { get_encoding } = await import('tiktoken');
      const enc = get_encoding('gpt2');
      return (s) => enc.encode(s);
    },
  },
];

const rows: { name: string; loadMs: number; coldMs: number; warm: number[]; tokens: number }[] = [];
const encoders: ((s: string) => ArrayLike<number>)[] = [];
for (const c of contenders) {
  const t0 = performance.now();
  const enc = await c.setup();
  const t1 = performance.now();
  const tokens = enc(text).length;
  const t2 = performance.now();
  rows.push({ name: c.name, loadMs: t1 - t0, coldMs: t2 - t1, warm: [], tokens });
  encoders.push(enc);
}
// Round-robin so that no contender gets a quieter moment of the shared machine.
for (let r = 0; r < runs; r++) {
  encoders.forEach((enc, k) => {
    const t0 = performance.now();
    enc(text);
    rows[k]!.warm.push(performance.now() - t0);
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours = megabytes / (median(rows[0]!.warm) / 1000);
console.log(
  `\nGPT-2 encode, Brown corpus (${megabytes.toFixed(2)} MB, ${rows[0]!.tokens} tokens), median of ${runs} warm runs`,
);
console.log(
  'load = import + build (ours under tsx includes compiling the data module); cold = first encode',
);
console.log('| tokenizer | load ms | cold first encode ms | warm MB/s | ours ÷ theirs | tokens |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const row of rows) {
  const mbs = megabytes / (median(row.warm) / 1000);
  console.log(
    `| ${row.name} | ${row.loadMs.toFixed(0)} | ${row.coldMs.toFixed(0)} | ${mbs.toFixed(1)} | ${(ours / mbs).toFixed(2)}× | ${row.tokens} |`,
  );
}

// BPE training: Brown → 4,096-token vocabulary.
const documents = await loadBrownCorpus();
async function* corpus() {
  for (const d of documents) yield d.text;
}
const t0 = performance.now();
const trained = await trainBpe(corpus(), { vocabSize: 4096 });
const trainMs = performance.now() - t0;
const trainedTokens = trained.encode(text).length;
console.log(
  `\nBPE training, Brown → ${trained.vocabSize} tokens: ${(trainMs / 1000).toFixed(2)} s`,
);
console.log(
  `  trained tokenizer: ${trainedTokens} tokens on Brown (${((megabytes * 1e6) / trainedTokens).toFixed(2)} bytes/token)`,
);
