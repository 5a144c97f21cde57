import { type BackendInfo, type BackendRequest, describeBackend } from '@gpt2/backends';
import { type App, BACKEND_CHOICES } from '../app.js';
import { el, setStatus } from '../ui/dom.js';
import { explainFallback } from './fallback.js';

const LABELS: Record<string, string> = {
  auto: 'auto — the fastest available',
  webgpu: 'webgpu — WebGPU compute shaders',
  webgl: 'webgl — WebGL 2 shaders',
  wasm: 'wasm — WebAssembly (XNNPACK, SIMD)',
  cpu: 'cpu — plain JavaScript',
};

function facts(info: BackendInfo): HTMLDListElement {
  const rows: [string, string][] = [
    ['Active backend', `${info.name} (tfjs: ${info.tfBackend})`],
    ['Device', info.device === 'software-gpu' ? 'software GPU (CPU emulation)' : info.device],
    ['Threads', info.threads > 0 ? String(info.threads) : '—'],
    ['SIMD', info.simd ? 'yes' : 'no'],
    ['Why', info.reason],
    ['Patches', info.patches.length > 0 ? info.patches.join(', ') : 'none'],
  ];
  if (info.adapter) {
    const a = info.adapter;
    rows.push(
      ['Adapter vendor', a.vendor || '—'],
      ['Adapter architecture', a.architecture || '—'],
      ['Adapter device', a.device || '—'],
      ['Adapter description', a.description || '—'],
      ['Software adapter', a.isSoftware ? 'yes (slow; fine for testing)' : 'no'],
    );
  }
  if (info.limits) {
    const l = info.limits;
    const mib = (bytes: number) => `${Math.floor(bytes / (1024 * 1024))} MiB`;
    rows.push(
      ['Storage buffers per shader', String(l.maxStorageBuffersPerShaderStage)],
      ['Largest tensor binding', mib(l.maxStorageBufferBindingSize)],
      ['Largest buffer', mib(l.maxBufferSize)],
    );
  }
  const list = el('dl', { class: 'facts', 'data-testid': 'backend-facts' });
  for (const [term, value] of rows) list.append(el('dt', {}, term), el('dd', {}, value));
  return list;
}

function attemptsTable(info: BackendInfo): HTMLElement {
  const body = el('tbody');
  for (const attempt of info.attempts) {
    body.append(
      el(
        'tr',
        {},
        el('td', {}, attempt.backend),
        el('td', {}, attempt.ok ? '✓ selected' : '✗ skipped'),
        el('td', {}, attempt.reason),
      ),
    );
  }
  return el(
    'table',
    { class: 'attempts' },
    el(
      'thead',
      {},
      el('tr', {}, el('th', {}, 'Backend'), el('th', {}, 'Result'), el('th', {}, 'Reason')),
    ),
    body,
  );
}

function environment(): HTMLDListElement {
  const list = el('dl', { class: 'facts' });
  const rows: [string, string][] = [
    ['navigator.gpu', 'gpu' in navigator ? 'present' : 'absent (no WebGPU in this browser)'],
    [
      'Cross-origin isolated',
      globalThis.crossOriginIsolated ? 'yes (wasm may use threads)' : 'no (wasm runs on 1 thread)',
    ],
    ['CPU cores', String(navigator.hardwareConcurrency ?? '?')],
    ['User agent', navigator.userAgent],
  ];
  for (const [term, value] of rows) list.append(el('dt', {}, term), el('dd', {}, value));
  return list;
}

/** The Backend page: pick a backend, see what was activated and why. */
export function createBackendPage(app: App): HTMLElement {
  const select = el('select', { name: 'backend', 'data-testid': 'backend-select' });
  for (const choice of BACKEND_CHOICES)
    select.append(el('option', { value: choice }, LABELS[choice] ?? choice));
  const apply = el('button', { class: 'primary', 'data-testid': 'backend-apply' }, 'Activate');
  const status = el('div', { class: 'status', 'data-testid': 'backend-status' });
  const notice = el('div');
  const details = el('div');

  const render = () => {
    select.value = app.requestedBackend;
    const info = app.backend;
    notice.replaceChildren();
    details.replaceChildren();
    if (!info) return;
    const fallback = explainFallback(info, app.requestedBackend);
    notice.append(
      fallback
        ? el('div', { class: 'notice', 'data-testid': 'fallback-notice' }, fallback)
        : el('div', { class: 'notice ok' }, `Running on ${describeBackend(info)}.`),
    );
    details.append(
      el('div', { class: 'card' }, el('h2', {}, 'What was activated'), facts(info)),
      info.attempts.length > 1 || app.requestedBackend === 'auto'
        ? el(
            'div',
            { class: 'card' },
            el('h2', {}, 'What auto tried, in order'),
            attemptsTable(info),
          )
        : '',
    );
  };

  apply.addEventListener('click', async () => {
    apply.disabled = true;
    setStatus(status, `Activating ${select.value}…`);
    try {
      const info = await app.useBackend(select.value as BackendRequest);
      setStatus(status, `Active: ${describeBackend(info)}`, 'ok');
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    } finally {
      apply.disabled = false;
    }
  });
  app.subscribe(render);
  render();

  return el(
    'section',
    { 'data-page': 'backend' },
    el(
      'p',
      { class: 'page-intro' },
      'The model worker computes with TensorFlow.js on one of these backends. Auto tries WebGPU on a real GPU first, then WebGL, then WebAssembly, then plain JavaScript. Switching moves any loaded model to the new backend.',
    ),
    el(
      'div',
      { class: 'card' },
      el('h2', {}, 'Backend'),
      el('div', { class: 'row' }, select, apply),
      status,
    ),
    notice,
    details,
    el('div', { class: 'card' }, el('h2', {}, 'This browser'), environment()),
  );
}
