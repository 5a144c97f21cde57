// The README's API example. scripts/pack-smoke.mjs runs this file against the packed
// tarballs in a fresh project, so the README example is known to run as written.
import { describeBackend, initBackend } from '@gpt2/backends';
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { evaluatePerplexity } from '@gpt2/eval';
import { GPT2Model, resolveConfig } from '@gpt2/model';
import { generate } from '@gpt2/sampler';
import { gpt2Tokenizer } from '@gpt2/tokenizer';
import { createTrainer } from '@gpt2/trainer';

const backend = await initBackend('auto');
console.log(describeBackend(backend));

const tokenizer = await gpt2Tokenizer();
const tokens = tokenizer.encode('The quick brown fox jumps over the lazy dog. '.repeat(200));

const config = resolveConfig({
  preset: 'gpt2-tiny',
  vocabSize: tokenizer.vocabSize,
  nPositions: 64,
});
const model = GPT2Model.create(config, { seed: 1 });
const train = createBatchSampler(tokenDatasetFromArray(tokens), {
  batchSize: 8,
  blockSize: 32,
  mode: 'random',
  seed: 1,
});
const trainer = createTrainer({
  model,
  train,
  config: { maxSteps: 30, schedule: { type: 'constant', lr: 3e-3 } },
});
await trainer.run();

const report = await evaluatePerplexity(model, { tokens: tokens.slice(0, 256) }, { stride: 32 });
console.log(`perplexity ${report.perplexity.toFixed(2)}`);
for await (const event of generate(model, tokenizer, 'The quick', { maxNewTokens: 12, seed: 7 })) {
  if (event.type === 'token') process.stdout.write(event.text);
}
