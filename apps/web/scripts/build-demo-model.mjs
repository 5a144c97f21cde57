#!/usr/bin/env node
/**
 * Rebuilds the demo model shipped in public/demo-model/ (model.safetensors,
 * config.json, tokenizer.json) and the Train page's sample text
 * (public/sample-text.txt), both from the Brown corpus, with the `gpt2` CLI:
 * `gpt2 tokenizer train --brown`, `gpt2 prepare --brown`, `gpt2 train`, then
 * the run's best checkpoint is copied.
 *
 *   pnpm --filter @gpt2/web build:demo-model            # ~2 minutes on 2 CPU cores (1500 steps)
 *   pnpm --filter @gpt2/web build:demo-model --steps 50 --out /tmp/demo   # a quick check
 *
 * The model: a byte-level BPE of 2048 tokens, 2 layers, d=128, 4 heads,
 * context 128, trained on the wasm backend. It is small (≈ 2.7 MB) and writes
 * English-looking text; it is a demo, not a language model to rely on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const appDir = join(here, '..');
const repoRoot = join(appDir, '..', '..');
const bin = join(repoRoot, 'apps', 'cli', 'dist', 'bin.js');

/** Run the built CLI, failing loudly. */
function gpt2(args, options = {}) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? appDir,
    stdio: 'inherit',
  });
  if (run.status !== 0) throw new Error(`gpt2 ${args.join(' ')} exited with ${run.status}`);
}

const { values } = parseArgs({
  // pnpm 12 passes a `--` separator through to the script.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    out: { type: 'string', default: join(appDir, 'public', 'demo-model') },
    sample: { type: 'string', default: join(appDir, 'public', 'sample-text.txt') },
    steps: { type: 'string', default: '1500' },
    'max-minutes': { type: 'string', default: '14' },
    'vocab-size': { type: 'string', default: '2048' },
  },
});

/** The demo model's shape: a few MB, fast to sample on every backend. */
const MODEL = { nLayer: 2, nEmbd: 128, nHead: 4, nPositions: 128 };
const TRAINING = { batchSize: 4, learningRate: 3e-3, seed: 1337 };
const SAMPLE_TEXT_CHARS = 120_000;

const { loadBrownCorpus } = await import('@gpt2/corpora');
const documents = await loadBrownCorpus();
const corpus = documents.map((d) => d.text.trim()).join('\n\n');
console.log(
  `Brown corpus: ${documents.length} documents, ${corpus.length.toLocaleString()} characters`,
);

// The Train page's sample: whole documents from the start of the corpus (news, category A).
let sample = '';
for (const document of documents) {
  if (sample.length + document.text.length > SAMPLE_TEXT_CHARS) break;
  sample += `${document.text.trim()}\n\n`;
}
await mkdir(dirname(values.sample), { recursive: true });
await writeFile(values.sample, sample);
console.log(`wrote ${values.sample} (${sample.length.toLocaleString()} characters)`);

await mkdir(values.out, { recursive: true });
await buildWithCli();

async function buildWithCli() {
  const build = spawnSync(
    'npx',
    ['turbo', 'run', 'build', '--filter=@gpt2/cli...', '--output-logs=errors-only'],
    {
      cwd: repoRoot,
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) throw new Error('building the CLI failed');
  const work = await mkdtemp(join(tmpdir(), 'gpt2-demo-'));
  try {
    const vocabSize = Number(values['vocab-size']);
    const steps = Number(values.steps);
    gpt2([
      'tokenizer',
      'train',
      '--brown',
      '--vocab-size',
      String(vocabSize),
      '-o',
      join(work, 'tokenizer.json'),
    ]);
    gpt2([
      'prepare',
      '--brown',
      '--tokenizer',
      join(work, 'tokenizer.json'),
      '--out',
      join(work, 'shards'),
      '--val-fraction',
      '0.05',
    ]);
    const config = {
      model: { preset: 'gpt2', ...MODEL, vocabSize, embdPdrop: 0, attnPdrop: 0, residPdrop: 0 },
      data: { shards: 'shards', batchSize: TRAINING.batchSize, blockSize: MODEL.nPositions },
      training: {
        maxSteps: steps,
        maxTimeMs: Number(values['max-minutes']) * 60_000,
        evalInterval: 50,
        evalBatches: 8,
        schedule: {
          type: 'cosine',
          maxLr: TRAINING.learningRate,
          minLr: TRAINING.learningRate / 10,
          warmupSteps: Math.min(20, Math.floor(steps / 10)),
          decaySteps: steps,
        },
      },
      out: 'run',
      seed: TRAINING.seed,
    };
    await writeFile(join(work, 'train.json'), JSON.stringify(config, null, 2));
    gpt2(['train', '--config', join(work, 'train.json'), '--backend', 'wasm'], { cwd: work });
    const best = join(work, 'run', 'checkpoints', 'best');
    await copyFile(join(best, 'model.safetensors'), join(values.out, 'model.safetensors'));
    await copyFile(join(best, 'config.json'), join(values.out, 'config.json'));
    const tokenizer = existsSync(join(best, 'tokenizer.json'))
      ? join(best, 'tokenizer.json')
      : join(work, 'tokenizer.json');
    await copyFile(tokenizer, join(values.out, 'tokenizer.json'));
    console.log(`wrote ${values.out} from the CLI's best checkpoint`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
