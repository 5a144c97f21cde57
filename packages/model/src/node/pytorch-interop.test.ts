/**
 * A folder written by saveModelFolder loads, strictly, into the independent
 * PyTorch reference (tools/reference/check_checkpoint.py): HF names, Conv1D
 * shapes, `format: 'pt'` metadata, no lm_head needed. Needs Debian's
 * /usr/bin/python3 with torch; skipped with a warning where it is absent, except under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@gpt2/backends';
import { systemRequirement } from '@gpt2/backends/testing';
import { REFERENCE_PYTHON, referenceScript } from '@gpt2/reference';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromHF } from '../hf-config.js';
import { GPT2Model } from '../model.js';
import { saveModelFolder } from './model-folder.js';

const PYTHON = REFERENCE_PYTHON;
const SCRIPT = referenceScript('check_checkpoint.py');
const FIXTURES = fileURLToPath(new URL('../__fixtures__/', import.meta.url));

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const ready = systemRequirement(`${PYTHON} with torch`, hasTorch, 'apt-get install python3-torch');

describe.runIf(ready)('PyTorch reads what saveModelFolder writes', () => {
  let work: string;
  beforeAll(async () => {
    await initBackend('cpu');
    work = mkdtempSync(join(tmpdir(), 'gpt2-interop-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('loads strictly and computes the same logits and loss', async () => {
    const config = configFromHF(JSON.parse(readFileSync(join(FIXTURES, 'config.json'), 'utf8')));
    const model = GPT2Model.create(config, { seed: 11 });
    await saveModelFolder(model, work);
    const batch = {
      ids: [
        [3, 1000, 4095, 7, 7],
        [0, 1, 2, 3, 4],
      ],
      targets: [
        [1000, 4095, 7, 7, 2],
        [1, 2, 3, 4, 5],
      ],
    };
    const run = spawnSync(PYTHON, [SCRIPT, work, JSON.stringify(batch)], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const torch = JSON.parse(run.stdout) as { loss: number; logits: number[]; tensors: number };
    expect(torch.tensors).toBe(model.parameters().size);

    const logits = model.forward(batch.ids);
    const ours = await logits.data();
    logits.dispose();
    let diff = 0;
    let scale = 0;
    torch.logits.forEach((value, i) => {
      diff = Math.max(diff, Math.abs(ours[i]! - value));
      scale = Math.max(scale, Math.abs(value));
    });
    expect(diff / scale).toBeLessThan(1e-5);
    const loss = model.loss(batch.ids, batch.targets);
    expect(Math.abs((await loss.data())[0]! - torch.loss) / torch.loss).toBeLessThan(1e-5);
    loss.dispose();
    model.dispose();
  });
});
