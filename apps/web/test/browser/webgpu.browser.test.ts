/**
 * WebGPU in Chromium (SwiftShader): the full training step against the
 * PyTorch fixtures of @gpt2/model with the tolerances of the Node tests, a
 * forced validation error that surfaces, one training step of gpt2-tiny in
 * the app, and GPT-2 124M: refused in one line on WebGPU's default limits,
 * and (a long check, `pnpm test:long`) random weights at its real shapes,
 * written here, that load and generate on the adapter's limits. Built pages: `pnpm test:browser` builds dist/ and the parity
 * page (vite.parity.config.ts) first.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { longTests } from '@gpt2/backends/testing';
import { configToHF, resolveConfig, writeSafetensors } from '@gpt2/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailability,
  launchBrowser,
  openWatchedPage,
  type StaticServer,
  startStaticServer,
  type TestBrowser,
  type WatchedPage,
  waitForBackend,
} from './harness.js';
import type { WebGpuParityReport } from './webgpu-parity/main.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const distDir = join(appDir, 'dist');
const paritySite = join(appDir, 'test-results', 'webgpu-parity-site');
const fixturesDir = join(appDir, '..', '..', 'packages', 'model', 'src', '__fixtures__');
const resultsDir = join(appDir, 'test-results');
const availability = browserAvailability();
/** About 40 s on SwiftShader (write 250 MB, load, 3 tokens): a long check (`pnpm test:long`). */
const generate124M = availability.ok && longTests('GPT-2 124M generating on webgpu in Chromium');

/** The tolerances of packages/model/src/parity.test.ts, trainer's gpt2.test.ts and eval's perplexity.test.ts. */
const TOLERANCE = {
  logits: 1e-4,
  loss: 1e-5,
  gradient: 1e-3,
  adamwLoss: 1e-4,
  gradNorm: 1e-3,
  perplexity: 1e-5,
};

const MIB = 1024 * 1024;
/** GPT-2 124M: wte is 50257 × 768 float32 = 147 MiB, over WebGPU's default 128 MiB binding. */
const GPT2_124M = resolveConfig({ preset: 'gpt2' });

/**
 * Random weights with the HF names and shapes of GPT-2 124M, stored as F16
 * (half the file; the loader widens to float32). Values are small and
 * seeded; LayerNorm gains are 1.
 */
function randomGpt2Checkpoint(): Uint8Array {
  const { vocabSize: V, nPositions: P, nEmbd: C, nLayer: L } = GPT2_124M;
  let seed = 12345;
  const random = (shape: number[], fill?: number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (fill !== undefined) data.fill(fill);
    else {
      for (let i = 0; i < data.length; i++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        data[i] = (seed / 2 ** 32 - 0.5) * 0.04;
      }
    }
    return { dtype: 'F16' as const, shape, data };
  };
  const tensors: [string, ReturnType<typeof random>][] = [
    ['wte.weight', random([V, C])],
    ['wpe.weight', random([P, C])],
  ];
  for (let i = 0; i < L; i++) {
    tensors.push(
      [`h.${i}.ln_1.weight`, random([C], 1)],
      [`h.${i}.ln_1.bias`, random([C], 0)],
      [`h.${i}.attn.c_attn.weight`, random([C, 3 * C])],
      [`h.${i}.attn.c_attn.bias`, random([3 * C], 0)],
      [`h.${i}.attn.c_proj.weight`, random([C, C])],
      [`h.${i}.attn.c_proj.bias`, random([C], 0)],
      [`h.${i}.ln_2.weight`, random([C], 1)],
      [`h.${i}.ln_2.bias`, random([C], 0)],
      [`h.${i}.mlp.c_fc.weight`, random([C, 4 * C])],
      [`h.${i}.mlp.c_fc.bias`, random([4 * C], 0)],
      [`h.${i}.mlp.c_proj.weight`, random([4 * C, C])],
      [`h.${i}.mlp.c_proj.bias`, random([C], 0)],
    );
  }
  tensors.push(['ln_f.weight', random([C], 1)], ['ln_f.bias', random([C], 0)]);
  return writeSafetensors(tensors, { metadata: { format: 'pt' } });
}

let server: StaticServer;
let browser: TestBrowser;
let checkpointDir: string;
const measured: string[] = [];

function openPage(path: string): Promise<WatchedPage> {
  return openWatchedPage(browser.context, new URL(path, server.url).href);
}

describe.skipIf(!availability.ok)('webgpu in Chromium (SwiftShader)', () => {
  beforeAll(async () => {
    for (const [what, file, build] of [
      ['site', join(distDir, 'index.html'), 'pnpm --filter @gpt2/web build'],
      [
        'WebGPU parity page',
        join(paritySite, 'index.html'),
        'pnpm --filter @gpt2/web exec vite build --config vite.parity.config.ts',
      ],
    ] as const) {
      if (!existsSync(file))
        throw new Error(`No ${what} at ${file}: run \`${build}\` (test:browser does).`);
    }
    await mkdir(resultsDir, { recursive: true });
    // To be refused, the config and the weights' header are enough (the bundle reader
    // reads the header's metadata, the refusal comes before any tensor is fetched);
    // the real weights (250 MB) only for the long check.
    checkpointDir = await mkdtemp(join(tmpdir(), 'gpt2-web-124m-'));
    await writeFile(join(checkpointDir, 'config.json'), JSON.stringify(configToHF(GPT2_124M)));
    if (generate124M) {
      const started = performance.now();
      await writeFile(join(checkpointDir, 'model.safetensors'), randomGpt2Checkpoint());
      measured.push(
        `124M checkpoint written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    } else {
      await writeFile(
        join(checkpointDir, 'model.safetensors'),
        writeSafetensors([], { metadata: { format: 'pt' } }),
      );
    }
    server = await startStaticServer(distDir, {
      'parity/': paritySite,
      'fixtures/': fixturesDir,
      'gpt2-124m/': checkpointDir,
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (checkpointDir) await rm(checkpointDir, { recursive: true, force: true });
    if (measured.length > 0) console.log(`\nWebGPU browser figures:\n  ${measured.join('\n  ')}\n`);
  });

  it('full-step parity with PyTorch: logits, loss, every gradient, global norm, 10 AdamW steps, cache, perplexity; a forced validation error surfaces', async () => {
    const page = await openPage('parity/index.html');
    await page.waitForSelector('body[data-ready="true"]');
    const report = (await page.evaluate(
      (fixtures) =>
        (
          globalThis as unknown as {
            runWebGpuParity(fixtures: string): Promise<WebGpuParityReport>;
          }
        ).runWebGpuParity(fixtures),
      new URL('fixtures/', server.url).href,
    )) as WebGpuParityReport;
    const worstGradient = Object.entries(report.gradientErrors).reduce((a, b) =>
      b[1] > a[1] ? b : a,
    );
    measured.push(
      `parity on ${report.backend}: logits ${report.logitsError.toExponential(2)}, loss ${report.lossError.toExponential(2)}, masked loss ${report.maskedLossError.toExponential(2)}, worst gradient ${worstGradient[1].toExponential(2)} (${worstGradient[0]}), global norm ${report.globalNormError.toExponential(2)}, AdamW losses ${Math.max(...report.adamw.lossErrors).toExponential(2)}, grad norms ${Math.max(...report.adamw.normErrors).toExponential(2)}, perplexity ${report.perplexity.relativeError.toExponential(2)}; ms ${JSON.stringify(report.timings)}`,
    );
    expect(report.backend).toMatch(/^webgpu \(software-gpu/);
    expect(report.logitsError).toBeLessThanOrEqual(TOLERANCE.logits);
    expect(report.lossError).toBeLessThanOrEqual(TOLERANCE.loss);
    expect(report.maskedLossError).toBeLessThanOrEqual(TOLERANCE.loss);
    expect(Object.keys(report.gradientErrors).length).toBeGreaterThan(20);
    for (const [name, error] of Object.entries(report.gradientErrors)) {
      expect(error, `gradient of ${name}`).toBeLessThanOrEqual(TOLERANCE.gradient);
    }
    expect(report.globalNormError).toBeLessThanOrEqual(TOLERANCE.gradNorm);
    expect(report.adamw.losses).toHaveLength(10);
    expect(Math.max(...report.adamw.lossErrors)).toBeLessThan(TOLERANCE.adamwLoss);
    expect(Math.max(...report.adamw.normErrors)).toBeLessThan(TOLERANCE.gradNorm);
    expect(report.perplexity.numScored).toBe(report.perplexity.expectedScored);
    expect(report.perplexity.relativeError).toBeLessThanOrEqual(TOLERANCE.perplexity);
    for (const comparison of report.cache) {
      expect(comparison.slides).toBeGreaterThan(0);
      expect(comparison.cached).toEqual(comparison.uncached);
      expect(comparison.leakedTensors).toBe(0);
    }
    expect(report.leakedTensors).toBe(0);
    // The forced validation error: thrown by the next data(), naming the program, once.
    expect(report.forced).toMatchObject({
      thrown: true,
      kind: 'validation',
      // The bundle renames classes, so the program is named by its shader key.
      programs: [expect.stringMatching(/oversizedWorkgroup/)],
      nextReadOk: true,
    });
    expect(String(report.forced.message)).toMatch(/workgroup storage/i);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('trains one step of gpt2-tiny on webgpu', async () => {
    const page = await openPage('?backend=webgpu#/train');
    await waitForBackend(page, 'webgpu');
    await page.click('[data-testid="use-sample"]');
    await page.waitForFunction(
      () =>
        (document.querySelector<HTMLTextAreaElement>('[data-testid="train-text"]')?.value.length ??
          0) > 10_000,
    );
    await page.selectOption('[data-testid="train-size"]', 'tiny');
    await page.fill('[data-testid="train-steps"]', '1');
    const started = performance.now();
    await page.click('[data-testid="train-start"]');
    await page.waitForSelector('[data-testid="train-status"][data-tone="ok"]', {
      timeout: 180_000,
    });
    const seconds = (performance.now() - started) / 1000;
    const step = await page.textContent('[data-testid="train-step"]');
    expect(step?.split(' ')[0]).toBe('1');
    measured.push(`train one step of gpt2-tiny on webgpu: ${seconds.toFixed(1)} s (${step})`);
    await page.screenshot({ path: join(resultsDir, 'train-webgpu.png'), fullPage: true });
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it.runIf(generate124M)(
    'GPT-2 124M-shaped weights load and generate on webgpu: the adapter limits hold the 147 MiB wte',
    async () => {
      const page = await openPage('?backend=webgpu#/generate');
      await waitForBackend(page, 'webgpu');
      const limits = await page.evaluate(
        () =>
          (globalThis as unknown as { gpt2: { backend?: { limits?: Record<string, number> } } })
            .gpt2.backend?.limits,
      );
      const wteBytes = GPT2_124M.vocabSize * GPT2_124M.nEmbd * 4;
      expect(wteBytes).toBeGreaterThan(128 * MIB);
      expect(limits?.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(wteBytes);
      expect(limits?.maxBufferSize).toBeGreaterThanOrEqual(wteBytes);
      const started = performance.now();
      await page.fill('[data-testid="model-url"]', 'gpt2-124m/model.safetensors');
      await page.click('[data-testid="load-url"]');
      await page.waitForSelector('[data-testid="model-status"][data-tone="ok"]', {
        timeout: 240_000,
      });
      const loaded = performance.now();
      expect(await page.textContent('[data-testid="model-summary"]')).toMatch(/on webgpu/);
      await page.fill('[data-testid="prompt"]', 'The quick brown fox');
      await page.fill('[data-testid="max-tokens"]', '3');
      await page.click('[data-testid="generate"]');
      await page.waitForSelector('[data-testid="output"][data-done="true"]', { timeout: 300_000 });
      const ids = JSON.parse(
        (await page.getAttribute('[data-testid="generated"]', 'data-ids')) ?? '[]',
      ) as number[];
      expect(ids).toHaveLength(3);
      for (const id of ids) expect(id).toBeLessThan(GPT2_124M.vocabSize);
      measured.push(
        `gpt2 124M on webgpu (${(limits?.maxStorageBufferBindingSize ?? 0) / MIB} MiB bindings): loaded in ${((loaded - started) / 1000).toFixed(1)} s, 3 tokens in ${((performance.now() - loaded) / 1000).toFixed(1)} s`,
      );
      await page.screenshot({ path: join(resultsDir, 'generate-124m-webgpu.png'), fullPage: true });
      expect(page.errors).toEqual([]);
      await page.close();
    },
  );

  it("on WebGPU's default limits (128 MiB per binding) the page says in one line that 124M does not fit", async () => {
    const page = await openPage('?backend=webgpu&webgpuLimits=default#/generate');
    await waitForBackend(page, 'webgpu');
    await page.fill('[data-testid="model-url"]', 'gpt2-124m/model.safetensors');
    await page.click('[data-testid="load-url"]');
    await page.waitForSelector('[data-testid="model-status"][data-tone="error"]', {
      timeout: 60_000,
    });
    const text = (await page.textContent('[data-testid="model-status"]')) ?? '';
    expect(text).toBe(
      'This model does not fit this WebGPU device: wte.weight needs 148 MiB in one buffer, the device allows 128 MiB (maxStorageBufferBindingSize); use wasm, or a browser and GPU with larger buffers.',
    );
    await page.close();
  });
});
