/**
 * The real-browser test harness: a static file server for the built site
 * (127.0.0.1, random port) and Debian's Chromium driven by playwright-core,
 * launched with the flags of docs/platform.md so WebGPU (SwiftShader), WebGL
 * and wasm all initialise without a GPU.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser (`.ci/run` installs it). */
export const CHROMIUM_PATH = process.env.GPT2_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags from docs/platform.md: headless, offline, and every GPU path on SwiftShader. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader',
] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
};

/** A running static server. */
export interface StaticServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serve `root` read-only on 127.0.0.1 at a random free port. No directory
 * listings, no writes. `mounts` serve other folders under URL prefixes, e.g.
 * `{ 'fixtures/': '/path/to/fixtures' }`.
 */
export async function startStaticServer(
  root: string,
  mounts: Record<string, string> = {},
): Promise<StaticServer> {
  const server = createServer(async (request, response) => {
    try {
      let path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      const prefix = Object.keys(mounts).find((p) => path.startsWith(`/${p}`));
      const base = resolve(prefix ? mounts[prefix]! : root);
      if (prefix) path = path.slice(prefix.length + 1);
      let file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) {
        response.writeHead(403).end('forbidden');
        return;
      }
      if ((await stat(file).catch(() => undefined))?.isDirectory()) file = join(file, 'index.html');
      const { size } = await stat(file);
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': size,
        'cache-control': 'no-store',
      });
      if (request.method === 'HEAD') response.end();
      // Streamed: the test checkpoints run to hundreds of megabytes.
      else createReadStream(file).pipe(response);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A browser with a fresh profile, removed on close. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launch Chromium with a fresh `--user-data-dir` (a persistent context is how Playwright sets one). */
export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'gpt2-web-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    // Playwright's defaults may disable the GPU process; WebGPU and WebGL need it (on SwiftShader).
    ignoreDefaultArgs: ['--disable-gpu'],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Whether the browser suite can run here. Without Chromium it skips loudly on
 * a developer machine and fails under `CI=true`, like the rest of the repo.
 */
export function browserAvailability(): { ok: true } | { ok: false; reason: string } {
  if (existsSync(CHROMIUM_PATH)) return { ok: true };
  const reason = `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install chromium\` (scripts/install-system-deps.sh), or set GPT2_CHROMIUM_PATH.`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`\n!!! SKIPPING the browser suite: ${reason}\n`);
  return { ok: false, reason };
}

/** A page whose uncaught errors, console errors and WebGPU warnings are collected in `errors`. */
export type WatchedPage = Page & { errors: string[] };

/**
 * Open `url` in a new page, collecting what would otherwise go unnoticed:
 * uncaught errors, `console.error`, and Chromium's console warnings for
 * WebGPU errors that nothing captured (which @gpt2/backends never lets happen).
 */
export async function openWatchedPage(context: BrowserContext, url: string): Promise<WatchedPage> {
  const page = (await context.newPage()) as WatchedPage;
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error') page.errors.push(text);
    else if (message.type() === 'warning' && /webgpu|validation|\[Invalid /i.test(text))
      page.errors.push(text);
  });
  await page.goto(url);
  return page;
}

/** Wait until the app's backend badge shows `name` (or an error), and check it is `name`. */
export async function waitForBackend(page: Page, name: string): Promise<void> {
  await page.waitForFunction(
    (wanted) => {
      const badge = document.querySelector<HTMLElement>('[data-testid="backend-badge"]');
      return badge?.dataset.backend === wanted || badge?.dataset.backend === 'error';
    },
    name,
    { timeout: 60_000 },
  );
  const actual = await page.getAttribute('[data-testid="backend-badge"]', 'data-backend');
  if (actual !== name) {
    throw new Error(
      `Expected the ${name} backend, got ${actual}: ${await page.textContent('[data-testid="backend-badge"]')}`,
    );
  }
}
