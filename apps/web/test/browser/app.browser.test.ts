/**
 * The built site in a real Chromium: every page opens, the demo model
 * generates on webgpu (SwiftShader), webgl and wasm, a model trains with a
 * falling loss and a drawn chart, the tokenizer matches tiktoken, and a saved
 * checkpoint reloads with identical logits. Screenshots go to test-results/.
 *
 * Run with `pnpm --filter @gpt2/web test:browser` (builds the site first).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenizerFromJSON } from '@gpt2/tokenizer';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import type { Page } from 'playwright-core';
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

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const distDir = join(appDir, 'dist');
const resultsDir = join(appDir, 'test-results');
const availability = browserAvailability();

let server: StaticServer;
let browser: TestBrowser;
/** Figures for the report, printed at the end. */
const measured: string[] = [];

function openPage(path: string): Promise<WatchedPage> {
  return openWatchedPage(browser.context, new URL(path, server.url).href);
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(resultsDir, `${name}.png`), fullPage: true });
}

const logitsOf = (page: Page, slot: 'generate' | 'train', text: string) =>
  page.evaluate(
    async ({ slot, text }) => {
      const app = (
        globalThis as unknown as {
          gpt2: { client: { request(body: unknown): Promise<{ logits: Float32Array }> } };
        }
      ).gpt2;
      return Array.from((await app.client.request({ type: 'logits', slot, text })).logits);
    },
    { slot, text },
  );

describe.skipIf(!availability.ok)('the web app in Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(join(distDir, 'index.html'))) {
      throw new Error(
        `No build in ${distDir}: run \`pnpm --filter @gpt2/web build\` (test:browser does).`,
      );
    }
    await mkdir(resultsDir, { recursive: true });
    server = await startStaticServer(distDir);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (measured.length > 0) console.log(`\nBrowser figures:\n  ${measured.join('\n  ')}\n`);
  });

  it('tokenizer page: GPT-2 ids match js-tiktoken, with colours and a count', async () => {
    const text =
      'Hello world! GPT-2 tokenizes "naïve" café text, numbers 12345 and emoji 🙂.\n  Done.';
    const expected = new Tiktoken(gpt2Ranks).encode(text);
    const page = await openPage('?backend=cpu#/tokenizer');
    await page.waitForSelector('[data-testid="tokenizer-status"][data-tone="ok"]', {
      timeout: 60_000,
    });
    await page.fill('[data-testid="tokenizer-input"]', text);
    await page.waitForFunction(
      (count) =>
        document.querySelector('[data-testid="token-count"]')?.textContent === String(count),
      expected.length,
    );
    const ids = JSON.parse(
      (await page.getAttribute('[data-testid="token-ids"]', 'data-ids')) ?? '[]',
    );
    expect(ids).toEqual(expected);
    expect(await page.locator('[data-testid="token-view"] span').count()).toBe(expected.length);
    await screenshot(page, 'tokenizer');

    // Switch to a tokenizer from a file: the demo model's BPE.
    const file = join(distDir, 'demo-model', 'tokenizer.json');
    const demo = await tokenizerFromJSON(JSON.parse(await readFile(file, 'utf8')));
    await page.setInputFiles('[data-testid="tokenizer-file"]', file);
    await page.waitForFunction(
      (count) =>
        document.querySelector('[data-testid="token-count"]')?.textContent === String(count),
      demo.encode(text).length,
    );
    expect(
      JSON.parse((await page.getAttribute('[data-testid="token-ids"]', 'data-ids')) ?? '[]'),
    ).toEqual(demo.encode(text));
    await page.close();
  });

  it('backend page: auto skips the software WebGPU adapter and explains the fallback', async () => {
    const page = await openPage('#/backend');
    await page.waitForSelector('[data-testid="backend-facts"]', { timeout: 60_000 });
    const active = await page.getAttribute('[data-testid="backend-badge"]', 'data-backend');
    expect(['webgl', 'wasm']).toContain(active);
    const notice = await page.textContent('[data-testid="fallback-notice"]');
    expect(notice).toMatch(/WebGPU is not usable here/);
    expect(await page.textContent('table.attempts')).toMatch(/webgpu/);
    await screenshot(page, 'backend');
    // Asking for webgpu by name takes the SwiftShader adapter and shows it.
    await page.selectOption('[data-testid="backend-select"]', 'webgpu');
    await page.click('[data-testid="backend-apply"]');
    await waitForBackend(page, 'webgpu');
    const facts = await page.textContent('[data-testid="backend-facts"]');
    expect(facts).toMatch(/Adapter/);
    measured.push(
      `webgpu adapter: ${
        (facts ?? '')
          .match(/Adapter vendor(.*?)Adapter architecture(.*?)Adapter device/)
          ?.slice(1)
          .join(' / ') ?? '?'
      }`,
    );
    await screenshot(page, 'backend-webgpu');
    await page.close();
  });

  for (const backend of ['wasm', 'webgl', 'webgpu'] as const) {
    it(`generate page: the demo model streams text on ${backend}`, async () => {
      const tokenizerJson = JSON.parse(
        await readFile(join(distDir, 'demo-model', 'tokenizer.json'), 'utf8'),
      );
      const tokenizer = await tokenizerFromJSON(tokenizerJson);
      const page = await openPage(`?backend=${backend}#/generate`);
      await waitForBackend(page, backend);
      await page.click('[data-testid="load-demo"]');
      await page.waitForSelector('[data-testid="model-status"][data-tone="ok"]', {
        timeout: 60_000,
      });
      expect(await page.textContent('[data-testid="model-summary"]')).toMatch(
        new RegExp(`on ${backend}`),
      );
      await page.fill('[data-testid="max-tokens"]', '16');
      await page.click('[data-testid="generate"]');
      await page.waitForSelector('[data-testid="output"][data-done="true"]', { timeout: 120_000 });
      const text = (await page.textContent('[data-testid="generated"]')) ?? '';
      const ids = JSON.parse(
        (await page.getAttribute('[data-testid="generated"]', 'data-ids')) ?? '[]',
      ) as number[];
      const rate = await page.textContent('[data-testid="tokens-per-second"]');
      expect(ids.length).toBeGreaterThan(0);
      expect(text.trim().length).toBeGreaterThan(0);
      expect(text).toBe(tokenizer.decode(ids));
      measured.push(
        `generate on ${backend}: ${ids.length} tokens at ${rate} tokens/s: ${JSON.stringify(text.slice(0, 60))}`,
      );
      await screenshot(page, `generate-${backend}`);
      if (backend === 'wasm') {
        // A phone-width layout: columns stack, nothing overlaps.
        await page.setViewportSize({ width: 420, height: 900 });
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - window.innerWidth,
        );
        expect(overflow).toBeLessThanOrEqual(0);
        await screenshot(page, 'generate-narrow');
        await page.setViewportSize({ width: 1280, height: 900 });
        // The Stop button ends a long generation early, keeping what streamed.
        await page.fill('[data-testid="max-tokens"]', '2000');
        await page.fill('[data-testid="seed"]', '7');
        await page.evaluate(() => {
          delete document.querySelector<HTMLElement>('[data-testid="output"]')?.dataset.done;
        });
        await page.click('[data-testid="generate"]');
        await page.waitForFunction(
          () =>
            Number(document.querySelector('[data-testid="tokens-generated"]')?.textContent) >= 3,
        );
        await page.click('[data-testid="stop"]');
        await page.waitForSelector('[data-testid="output"][data-done="true"]', { timeout: 30_000 });
        expect(await page.textContent('[data-testid="finish-reason"]')).toBe('stopped');
        expect(Number(await page.textContent('[data-testid="tokens-generated"]'))).toBeLessThan(
          2000,
        );
      }
      expect(page.errors).toEqual([]);
      await page.close();
    });
  }

  it('train page: loss falls, chart draws, pause/resume, sample, and save → reload gives identical logits', async () => {
    const page = await openPage('?backend=wasm#/train');
    await waitForBackend(page, 'wasm');
    await page.click('[data-testid="use-sample"]');
    await page.waitForFunction(
      () =>
        (document.querySelector<HTMLTextAreaElement>('[data-testid="train-text"]')?.value.length ??
          0) > 10_000,
    );
    await page.selectOption('[data-testid="train-size"]', 'tiny');
    await page.fill('[data-testid="train-steps"]', '150');
    await page.fill('[data-testid="train-eval-interval"]', '25');
    const started = Date.now();
    await page.click('[data-testid="train-start"]');

    // Pause once a few steps are done, check that steps stop, then resume.
    await page.waitForFunction(
      () =>
        Number(document.querySelector('[data-testid="train-step"]')?.textContent?.split(' ')[0]) >=
        5,
      undefined,
      { timeout: 120_000 },
    );
    await page.click('[data-testid="train-pause"]');
    await page
      .waitForFunction(
        () => document.querySelector('[data-testid="train-state"]')?.textContent === 'paused',
        undefined,
        {
          timeout: 30_000,
        },
      )
      .catch(async (error) => {
        await screenshot(page, 'train-pause-failure');
        throw error;
      });
    const pausedAt = await page.textContent('[data-testid="train-step"]');
    await page.waitForTimeout(1000);
    expect(await page.textContent('[data-testid="train-step"]')).toBe(pausedAt);
    // Sampling works while training is paused mid-run.
    await page.click('[data-testid="train-sample"]');
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="train-sample-output"]')?.textContent?.length ?? 0) >
        10,
      undefined,
      { timeout: 60_000 },
    );
    await page.click('[data-testid="train-resume"]');
    await page.waitForSelector('[data-testid="train-status"][data-tone="ok"]', {
      timeout: 180_000,
    });
    const seconds = (Date.now() - started) / 1000;

    const chart = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="loss-chart"]')!;
      const context = canvas.getContext('2d')!;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let coloured = 0;
      // Count pixels of the train series colour (#2563eb), the proof that the line was drawn.
      for (let i = 0; i < data.length; i += 4) {
        if (
          Math.abs(data[i]! - 0x25) < 40 &&
          Math.abs(data[i + 1]! - 0x63) < 40 &&
          Math.abs(data[i + 2]! - 0xeb) < 40 &&
          data[i + 3]! > 128
        )
          coloured++;
      }
      const { points, trainFirst, trainLast, valFirst, valLast } = canvas.dataset;
      return { points, trainFirst, trainLast, valFirst, valLast, coloured };
    });
    expect(Number(chart.points)).toBeGreaterThanOrEqual(150);
    expect(Number(chart.trainLast)).toBeLessThan(Number(chart.trainFirst) - 0.5);
    expect(Number(chart.valLast)).toBeLessThan(Number(chart.valFirst));
    expect(chart.coloured).toBeGreaterThan(100);
    const rate = await page.textContent('[data-testid="train-tokens-per-second"]');
    measured.push(
      `train (tiny, wasm): 150 steps in ${seconds.toFixed(1)} s, loss ${Number(chart.trainFirst).toFixed(2)} → ${Number(chart.trainLast).toFixed(2)}, val ${Number(chart.valFirst).toFixed(2)} → ${Number(chart.valLast).toFixed(2)}, ${rate} tokens/s`,
    );
    await screenshot(page, 'train');

    // Save to OPFS and load back: identical logits.
    const prompt = 'The jury said';
    const before = await logitsOf(page, 'train', prompt);
    await page.fill('[data-testid="checkpoint-name"]', 'browser-test');
    await page.click('[data-testid="checkpoint-save"]');
    await page.waitForSelector('[data-testid="checkpoint-status"][data-saved="browser-test"]', {
      timeout: 30_000,
    });
    await page.click('[data-testid="checkpoint-load-browser-test"]');
    await page.waitForSelector('[data-testid="checkpoint-status"][data-loaded="browser-test"]', {
      timeout: 30_000,
    });
    const reloaded = await logitsOf(page, 'train', prompt);
    expect(reloaded).toEqual(before);

    // Download, then open the file on the Generate page: identical logits again.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid="checkpoint-download"]'),
    ]);
    const file = join(resultsDir, 'browser-test.safetensors');
    await download.saveAs(file);
    await page.goto(new URL('?backend=wasm#/generate', server.url).href);
    await waitForBackend(page, 'wasm');
    await page.setInputFiles('[data-testid="model-files"]', file);
    await page.waitForSelector('[data-testid="model-status"][data-tone="ok"]', { timeout: 30_000 });
    expect(await logitsOf(page, 'generate', prompt)).toEqual(before);
    await page.close();
  });

  // wasm in full; webgpu (SwiftShader here, slow) trains a few steps and applies the adapter.
  it.each([
    { backend: 'wasm', steps: 30 },
    { backend: 'webgpu', steps: 4 },
  ])(
    'LoRA on $backend: fine-tunes the demo model in the worker, saves the adapter (download and OPFS), and the Generate page applies it',
    async ({ backend, steps }) => {
      const page = await openPage(`?backend=${backend}#/generate`);
      await waitForBackend(page, backend);
      await page.click('[data-testid="load-demo"]');
      await page.waitForSelector('[data-testid="model-status"][data-tone="ok"]', {
        timeout: 60_000,
      });
      const prompt = 'The jury said';
      const base = await logitsOf(page, 'generate', prompt);

      await page.click('nav a[data-tab="train"]');
      await page.click('[data-testid="use-sample"]');
      await page.waitForFunction(
        () =>
          (document.querySelector<HTMLTextAreaElement>('[data-testid="train-text"]')?.value
            .length ?? 0) > 10_000,
      );
      await page.fill('[data-testid="lora-steps"]', String(steps));
      await page.fill('[data-testid="lora-eval-interval"]', String(steps / 2));
      await page.fill('[data-testid="lora-batch"]', '4');
      await page.fill('[data-testid="lora-context"]', '64');
      await page.fill('[data-testid="lora-lr"]', '0.01');
      const started = Date.now();
      await page.click('[data-testid="lora-start"]');
      await page
        .waitForSelector('[data-testid="lora-status"][data-done="true"]', { timeout: 180_000 })
        .catch(async (error) => {
          await screenshot(page, `lora-failure-${backend}`);
          throw new Error(
            `${(error as Error).message}; status: ${await page.textContent('[data-testid="lora-status"]')}`,
          );
        });
      const seconds = (Date.now() - started) / 1000;
      expect(await page.textContent('[data-testid="lora-step"]')).toBe(`${steps} / ${steps}`);
      expect(await page.textContent('[data-testid="lora-adapter"]')).toMatch(
        /LoRA r=8, alpha 16 on c_attn, c_proj \(6 layers/,
      );
      const loss = Number(await page.textContent('[data-testid="lora-loss"]'));
      const rate = await page.textContent('[data-testid="lora-tokens-per-second"]');
      await screenshot(page, `lora-train-${backend}`);
      const adapted = await logitsOf(page, 'generate', prompt);
      expect(adapted).not.toEqual(base);

      // Save: in the browser (OPFS), and as PEFT's two files.
      await page.fill('[data-testid="adapter-name"]', `lora-${backend}`);
      await page.click('[data-testid="adapter-save"]');
      await page.waitForSelector(
        `[data-testid="adapter-save-status"][data-saved="lora-${backend}"]`,
        {
          timeout: 30_000,
        },
      );
      const downloads: string[] = [];
      const saving = new Promise<void>((done) => {
        page.on('download', async (download) => {
          const file = join(resultsDir, `lora-${backend}`, download.suggestedFilename());
          await download.saveAs(file);
          downloads.push(file);
          if (downloads.length === 2) done();
        });
      });
      await page.click('[data-testid="adapter-download"]');
      await saving;
      expect(downloads.map((file) => file.split('/').at(-1)).sort()).toEqual([
        'adapter_config.json',
        'adapter_model.safetensors',
      ]);
      const config = JSON.parse(
        await readFile(join(resultsDir, `lora-${backend}`, 'adapter_config.json'), 'utf8'),
      );
      expect(config).toMatchObject({
        peft_type: 'LORA',
        r: 8,
        lora_alpha: 16,
        fan_in_fan_out: true,
        target_modules: ['c_attn', 'c_proj'],
      });

      // The Generate page removes it (the base model's exact logits) and applies it again, from OPFS and from the files.
      await page.click('nav a[data-tab="generate"]');
      await page.waitForSelector('[data-testid="adapter-current"][data-adapter="applied"]');
      await page.click('[data-testid="adapter-remove"]');
      await page.waitForSelector('[data-testid="adapter-current"][data-adapter="none"]');
      expect(await logitsOf(page, 'generate', prompt)).toEqual(base);
      await page.click(`[data-testid="adapter-apply-lora-${backend}"]`);
      await page.waitForSelector('[data-testid="adapter-status"][data-tone="ok"]');
      expect(await logitsOf(page, 'generate', prompt)).toEqual(adapted);
      await page.click('[data-testid="adapter-remove"]');
      await page.waitForSelector('[data-testid="adapter-current"][data-adapter="none"]');
      await page.setInputFiles('[data-testid="adapter-files"]', downloads);
      await page.waitForSelector('[data-testid="adapter-current"][data-adapter="applied"]', {
        timeout: 30_000,
      });
      expect(await logitsOf(page, 'generate', prompt)).toEqual(adapted);
      // And generates with it.
      await page.fill('[data-testid="max-tokens"]', '20');
      await page.click('[data-testid="generate"]');
      await page.waitForSelector('[data-testid="output"][data-done="true"]', { timeout: 60_000 });
      expect((await page.textContent('[data-testid="generated"]'))!.length).toBeGreaterThan(0);
      await screenshot(page, `lora-generate-${backend}`);
      measured.push(
        `LoRA (demo model, ${backend}): ${steps} steps in ${seconds.toFixed(1)} s, final loss ${loss.toFixed(2)}, ${rate} tokens/s`,
      );
      await page.close();
    },
  );
});
