import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@gpt2/backends';
import { loadBrownCorpus } from '@gpt2/corpora';
import { addLora, GPT2Model, resolveConfig } from '@gpt2/model';
import { saveLoraAdapterFolder, saveModelFolder } from '@gpt2/model/node';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, runCli } from './run-cli.js';

/**
 * LoRA from the command line on a small GPT-2-vocabulary model: train
 * adapters (and resume), sample and eval with --adapter, convert --adapter
 * --merge, and clear one-line errors.
 */
describe.sequential('gpt2 with LoRA adapters', () => {
  let dir: string;
  // cpu for bit-stable comparisons between commands; training steps use wasm (--backend).
  const cli = (args: string[]) =>
    runCli(args, { cwd: dir, env: { GPT2_BACKEND: args.includes('--backend') ? '' : 'cpu' } });
  const text = 'The jury said it did find that many of the problems were caused by the city.';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gpt2-cli-lora-'));
    await initBackend('cpu');
    const config = resolveConfig({ preset: 'gpt2-tiny', vocabSize: 50257, nPositions: 64 });
    const model = GPT2Model.create(config, { seed: 5 });
    await saveModelFolder(model, join(dir, 'base'));
    const lora = addLora(model, { r: 4, alpha: 8, targets: ['c_attn', 'c_proj'] });
    let seed = 1;
    for (const variable of lora.parameters().values()) {
      tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.3, 'float32', seed++)));
    }
    await saveLoraAdapterFolder(lora, join(dir, 'adapter'), { baseModelNameOrPath: 'base' });
    lora.dispose();
    const wide = GPT2Model.create({ ...config, nEmbd: 64 }, { seed: 5 });
    const wideLora = addLora(wide, { r: 4, targets: ['c_attn'] });
    await saveLoraAdapterFolder(wideLora, join(dir, 'wide-adapter'));
    wideLora.dispose();
    wide.dispose();
    model.dispose();
    await writeFile(join(dir, 'text.txt'), text);
    await mkdir(join(dir, 'docs'));
    for (const document of (await loadBrownCorpus()).slice(0, 12)) {
      await writeFile(join(dir, 'docs', `${document.id}.txt`), document.text);
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const greedy = ['--prompt', 'The jury', '-n', '12', '--temperature', '0'];
  const meanNll = async (args: string[]) => {
    const result = await cli(['eval', ...args, '--text', 'text.txt', '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout)[0].meanNll as number;
  };

  it('samples and evaluates with --adapter, and says which adapter it applied', async () => {
    const plain = await cli(['sample', 'base', ...greedy]);
    const adapted = await cli(['sample', 'base', '--adapter', 'adapter', ...greedy]);
    expect(adapted.code, adapted.stderr).toBe(0);
    expect(adapted.stderr).toMatch(
      /adapter: .*adapter \(LoRA r=4, alpha 8, 6 layers \(c_attn, c_proj\), 2,816 parameters\)/,
    );
    expect(adapted.stdout).not.toBe(plain.stdout);
    expect(await meanNll(['base', '--adapter', 'adapter'])).not.toBeCloseTo(
      await meanNll(['base']),
      3,
    );
  });

  it('trains adapters on a frozen --init-from model, resumes, and the run is an adapter', async () => {
    const prepared = await cli([
      'prepare',
      'docs',
      '--tokenizer',
      'gpt2',
      '--out',
      'shards',
      '--val-fraction',
      '0.25',
      '--workers',
      '0',
    ]);
    expect(prepared.code, prepared.stderr).toBe(0);
    const flags = [
      '--data.shards',
      'shards',
      '--batchSize',
      '2',
      '--blockSize',
      '32',
      '--evalBatches',
      '1',
      '--peak-flops',
      '1e9',
      '--backend',
      'wasm',
    ];
    const noBase = await cli(['train', ...flags, '--lora.r', '4', '--maxSteps', '2', '--out', 'x']);
    expect(errorLines(noBase)).toEqual([
      expect.stringMatching(/LoRA fine-tunes a trained model: give --init-from MODEL/),
    ]);
    const trained = await cli([
      'train',
      '--init-from',
      'base',
      ...flags,
      '--lora.r',
      '4',
      '--lora.alpha',
      '8',
      '--lora.targets',
      'c_attn,c_proj',
      '--maxSteps',
      '4',
      '--evalInterval',
      '2',
      '--checkpointInterval',
      '2',
      '--out',
      'lora-run',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(
      /training LoRA r=4, alpha 8, 6 layers \(c_attn, c_proj\), 2,816 parameters \(0\.\d+% of the model\); base frozen: .*base/,
    );
    expect(trained.stdout).toMatch(/checkpoint: .*step-00000004 \(a PEFT LoRA adapter folder\)/);
    expect(trained.stdout).toMatch(/use it: {5}gpt2 sample .*base --adapter .*lora-run/);
    expect((await readdir(join(dir, 'lora-run', 'checkpoints', 'step-00000004'))).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'optimizer.safetensors',
      'trainer_state.json',
    ]);
    const resumed = await cli([
      'train',
      '--resume',
      'lora-run',
      '--maxSteps',
      '6',
      '--backend',
      'wasm',
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from .*step-00000004 at step 4/);
    expect(resumed.stdout).toMatch(/step-00000006/);
    const sampled = await cli(['sample', 'base', '--adapter', 'lora-run', ...greedy]);
    expect(sampled.code, sampled.stderr).toBe(0);
    expect(sampled.stderr).toMatch(/adapter: .*lora-run.*(best|step-00000006)/);
  }, 120_000);

  it('convert --adapter --merge writes a plain GPT-2 folder with the adapted outputs', async () => {
    const merged = await cli([
      'convert',
      'base',
      '--adapter',
      'adapter',
      '--merge',
      '--to',
      'hf',
      '--out',
      'merged',
    ]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/with the LoRA adapter merged/);
    expect((await readdir(join(dir, 'merged'))).sort()).toEqual([
      'config.json',
      'model.safetensors',
    ]);
    const fromMerged = await cli(['sample', 'merged', ...greedy]);
    const fromAdapter = await cli(['sample', 'base', '--adapter', 'adapter', ...greedy]);
    expect(fromMerged.stdout).toBe(fromAdapter.stdout);
    expect(await meanNll(['merged'])).toBeCloseTo(
      await meanNll(['base', '--adapter', 'adapter']),
      4,
    );
  });

  it('rejects bad adapters and flags in one line', async () => {
    const wide = await cli(['sample', 'base', '--adapter', 'wide-adapter', ...greedy]);
    expect(wide.code).toBe(1);
    expect(errorLines(wide)).toEqual([
      expect.stringMatching(
        /lora_A\.weight has shape \[4, 64\].*needs \[4, 32\].*made for another base model/,
      ),
    ]);
    const none = await cli(['eval', 'base', '--adapter', 'base', '--text', 'text.txt']);
    expect(none.code).toBe(1);
    expect(errorLines(none)).toEqual([expect.stringMatching(/'base' holds no LoRA adapter/)]);
    const noAdapter = await cli(['convert', 'base', '--merge', '--out', 'x']);
    expect(errorLines(noAdapter)).toEqual([expect.stringMatching(/--merge needs --adapter DIR/)]);
    const noMerge = await cli(['convert', 'base', '--adapter', 'adapter', '--out', 'x']);
    expect(errorLines(noMerge)).toEqual([expect.stringMatching(/add --merge/)]);
  });
});
