#!/usr/bin/env node
/**
 * Rebuilds the demo model shipped in public/demo-model/ (model.safetensors,
 * config.json, tokenizer.json) and the Train page's sample text
 * (public/sample-text.txt), both from the Brown corpus.
 *
 *   pnpm --filter @gpt2/web build:demo-model            # ~6 minutes on 2 CPU cores (1500 steps)
 *   pnpm --filter @gpt2/web build:demo-model -- --steps 50 --out /tmp/demo   # a quick check
 *
 * `--cli` uses the CLI (from its sources): `gpt2 tokenizer train --brown`,
 * `gpt2 prepare --brown`, `gpt2 train --config <generated file>`, then copies
 * the run's best checkpoint. By default it trains with the packages directly
 * (same tokenizer, model and schedule):
 * a byte-level BPE of 2048 tokens, 2 layers, d=128, 4 heads, context 128, on
 * the wasm backend. The model is small (≈ 2.7 MB) and writes English-looking
 * text; it is a demo, not a language model to rely on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const appDir = join(here, '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(appDir, 'public', 'demo-model') },
    sample: { type: 'string', default: join(appDir, 'public', 'sample-text.txt') },
    steps: { type: 'string', default: '1500' },
    'max-minutes': { type: 'string', default: '14' },
    'vocab-size': { type: 'string', default: '2048' },
    cli: { type: 'boolean', default: false },
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
if (values.cli) await buildWithCli();
else await buildWithPackages();

/** Run the CLI from its sources (no build needed), failing loudly. */
function gpt2(args, options = {}) {
  const bin = join(appDir, '..', 'cli', 'src', 'bin.ts');
  const run = spawnSync('npx', ['tsx', '--conditions=@gpt2/source', bin, ...args], {
    cwd: options.cwd ?? appDir,
    stdio: options.quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
  });
  if (run.status !== 0 && !options.allowFailure)
    throw new Error(`gpt2 ${args.join(' ')} exited with ${run.status}`);
  return run;
}

async function buildWithCli() {
  if (gpt2(['train', '--help'], { quiet: true, allowFailure: true }).status !== 0) {
    throw new Error('The CLI cannot train yet (`gpt2 train --help` failed). Run without --cli.');
  }
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

async function buildWithPackages() {
  const { initBackend, describeBackend } = await import('@gpt2/backends');
  const { trainBpe } = await import('@gpt2/tokenizer');
  const { GPT2Model, resolveConfig, configToHF, saveSafetensors } = await import('@gpt2/model');
  const { createBatchSampler, tokenDatasetFromArray } = await import('@gpt2/data');
  const { createTrainer } = await import('@gpt2/trainer');
  const { generateText } = await import('@gpt2/sampler');

  console.log(describeBackend(await initBackend('wasm')));
  let started = performance.now();
  const tokenizer = await trainBpe([corpus], { vocabSize: Number(values['vocab-size']) });
  const ids = Int32Array.from(tokenizer.encode(corpus, { allowedSpecial: 'all' }));
  console.log(
    `BPE ${tokenizer.vocabSize} tokens trained and applied in ${((performance.now() - started) / 1000).toFixed(1)} s: ${ids.length.toLocaleString()} tokens`,
  );
  const valLength = Math.floor(ids.length * 0.05);
  const train = ids.subarray(0, ids.length - valLength);
  const val = ids.subarray(ids.length - valLength);
  const config = resolveConfig({
    preset: 'gpt2',
    vocabSize: tokenizer.vocabSize,
    ...MODEL,
    embdPdrop: 0,
    attnPdrop: 0,
    residPdrop: 0,
  });
  const model = GPT2Model.create(config, { seed: TRAINING.seed });
  const sampler = (tokens, seed) =>
    createBatchSampler(tokenDatasetFromArray(tokens), {
      batchSize: TRAINING.batchSize,
      blockSize: MODEL.nPositions,
      seed,
    });
  const steps = Number(values.steps);
  started = performance.now();
  const trainer = createTrainer({
    model,
    train: sampler(train, TRAINING.seed),
    val: sampler(val, TRAINING.seed + 1),
    tokenizer,
    config: {
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
    onEvent: (event) => {
      if (event.type === 'step' && (event.step % 10 === 0 || event.step === 1)) {
        console.log(
          `step ${event.step}/${steps}  loss ${event.loss.toFixed(3)}  ${Math.round(event.tokensPerSecond)} tok/s  ${((performance.now() - started) / 1000).toFixed(0)} s`,
        );
      } else if (event.type === 'eval') {
        console.log(`  val loss ${event.valLoss.toFixed(3)} at step ${event.step}`);
      }
    },
  });
  const result = await trainer.run();
  trainer.dispose();
  console.log(
    `stopped (${result.reason}) at step ${result.step}, val loss ${result.valLoss?.toFixed(3)}`,
  );

  const configJson = JSON.stringify(configToHF(config), null, 2);
  const tokenizerJson = JSON.stringify(tokenizer.toJSON());
  const weights = await saveSafetensors(model, {
    metadata: {
      'gpt2.config': configJson,
      'gpt2.tokenizer': tokenizerJson,
      'gpt2.trained-on': `Brown corpus, ${result.step} steps, val loss ${result.valLoss?.toFixed(3)}`,
    },
  });
  await writeFile(join(values.out, 'model.safetensors'), weights);
  await writeFile(join(values.out, 'config.json'), `${configJson}\n`);
  await writeFile(join(values.out, 'tokenizer.json'), `${tokenizerJson}\n`);
  const { text } = await generateText(model, tokenizer, 'The jury said', {
    maxNewTokens: 30,
    seed: 1,
    temperature: 0.8,
  });
  console.log(`sample: The jury said${text}`);
  const sizes = await Promise.all(
    ['model.safetensors', 'config.json', 'tokenizer.json'].map(
      async (f) => `${f} ${((await readFile(join(values.out, f))).byteLength / 1e6).toFixed(2)} MB`,
    ),
  );
  console.log(`wrote ${values.out}: ${sizes.join(', ')}`);
  model.dispose();
}
