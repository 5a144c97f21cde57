/**
 * The app shell: header with page tabs, a hash router, and the model worker
 * every page talks to.
 */
import './styles.css';
import { describeBackend } from '@gpt2/backends';
import { App, BACKEND_CHOICES } from './app.js';
import { createBackendPage } from './pages/backend-page.js';
import { createGeneratePage } from './pages/generate-page.js';
import { createTokenizerPage } from './pages/tokenizer-page.js';
import { createTrainPage } from './pages/train-page.js';
import { el } from './ui/dom.js';
import { WorkerClient } from './worker/client.js';

const PAGES = {
  generate: { title: 'Generate', create: createGeneratePage },
  train: { title: 'Train', create: createTrainPage },
  tokenizer: { title: 'Tokenizer', create: createTokenizerPage },
  backend: { title: 'Backend', create: createBackendPage },
} as const;
type PageName = keyof typeof PAGES;

const worker = new Worker(new URL('./worker/model-worker.ts', import.meta.url), { type: 'module' });
const app = new App(new WorkerClient(worker));
worker.addEventListener('error', (event) => {
  badge.textContent = `Model worker failed: ${event.message}`;
});

// Tests and curious users can reach the worker from the console: `gpt2.client.request(...)`.
(globalThis as { gpt2?: App }).gpt2 = app;

const badge = el(
  'div',
  { class: 'backend-badge', 'data-testid': 'backend-badge' },
  'Starting backend…',
);
const nav = el('nav', { class: 'tabs', 'aria-label': 'Pages' });
const main = el('main');
const header = el(
  'header',
  { class: 'app-header' },
  el('h1', {}, 'gpt2', el('small', {}, 'GPT-2 in your browser')),
  nav,
  badge,
);
document.querySelector('#app')?.replaceChildren(header, main);

const mounted = new Map<PageName, HTMLElement>();
for (const [name, page] of Object.entries(PAGES)) {
  nav.append(el('a', { href: `#/${name}`, 'data-tab': name }, page.title));
}

function route(): void {
  const requested = location.hash.replace(/^#\/?/, '');
  const name: PageName = requested in PAGES ? (requested as PageName) : 'generate';
  let page = mounted.get(name);
  if (!page) {
    // Pages are built once and kept, so a running generation or training survives tab switches.
    page = PAGES[name].create(app);
    mounted.set(name, page);
    main.append(page);
  }
  for (const [other, element] of mounted) element.hidden = other !== name;
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.tab === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${PAGES[name].title} · gpt2`;
}

app.subscribe(() => {
  if (app.backend) {
    badge.replaceChildren('Backend: ', el('b', {}, app.backend.name), ` · ${app.backend.device}`);
    badge.title = describeBackend(app.backend);
    badge.dataset.backend = app.backend.name;
  }
});

// `?backend=wasm` picks the first backend (handy for links and tests); default auto.
// `?webgpuLimits=default` keeps WebGPU's default limits, to see how a small GPU copes.
const search = new URLSearchParams(location.search);
const wanted = search.get('backend') ?? 'auto';
if (search.get('webgpuLimits') === 'default') app.webgpuLimits = 'default';
const initial = (BACKEND_CHOICES as readonly string[]).includes(wanted) ? wanted : 'auto';
app.useBackend(initial as (typeof BACKEND_CHOICES)[number]).catch((error: Error) => {
  badge.textContent = `Backend failed: ${error.message.split('\n')[0]}`;
  badge.dataset.backend = 'error';
});

// Pages built by the first route() wait for this backend instead of starting their own.
window.addEventListener('hashchange', route);
route();
