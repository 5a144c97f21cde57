import type { App } from '../app.js';
import { formatLoss, formatRate } from '../format.js';
import { el, field, numberInput, readNumber, setStatus } from '../ui/dom.js';
import type { LoraTrainSettings, TrainState } from '../worker/protocol.js';
import { describeAdapter, setGenerateAdapter } from './adapter-card.js';

/** Defaults of the LoRA card: PEFT-like adapters, a short run. */
export const DEFAULT_LORA_SETTINGS: LoraTrainSettings = {
  r: 8,
  alpha: 16,
  dropout: 0,
  targets: ['c_attn', 'c_proj'],
  blockSize: 64,
  batchSize: 8,
  learningRate: 2e-3,
  maxSteps: 100,
  evalInterval: 25,
  seed: 1,
};

/** Target choices (PEFT's matching: `c_proj` is both projections). */
export const LORA_TARGET_CHOICES: Record<string, string[]> = {
  c_attn: ['c_attn'],
  'c_attn,c_proj': ['c_attn', 'c_proj'],
  'all-linear': ['c_attn', 'c_proj', 'c_fc'],
};

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The Train page's LoRA card: fine-tune the model loaded on the Generate page
 * on the page's text, in the worker, with adapters only (the model's weights
 * stay frozen); the adapter is applied to that model as it trains, and saved
 * as PEFT files (download) or in the browser.
 */
export function createLoraCard(app: App, text: () => string): HTMLElement {
  const d = DEFAULT_LORA_SETTINGS;
  const inputs = {
    r: numberInput({ name: 'lora-r', value: d.r, min: 1, max: 256, step: 1 }),
    alpha: numberInput({ name: 'lora-alpha', value: d.alpha, min: 0, max: 1024, step: 1 }),
    dropout: numberInput({ name: 'lora-dropout', value: d.dropout, min: 0, max: 0.9, step: 0.05 }),
    maxSteps: numberInput({ name: 'lora-steps', value: d.maxSteps, min: 1, max: 100000, step: 1 }),
    batchSize: numberInput({ name: 'lora-batch', value: d.batchSize, min: 1, max: 128, step: 1 }),
    blockSize: numberInput({
      name: 'lora-context',
      value: d.blockSize,
      min: 2,
      max: 4096,
      step: 1,
    }),
    learningRate: numberInput({
      name: 'lora-lr',
      value: d.learningRate,
      min: 1e-6,
      max: 1,
      step: 1e-4,
    }),
    evalInterval: numberInput({
      name: 'lora-eval-interval',
      value: d.evalInterval,
      min: 1,
      max: 10000,
      step: 1,
    }),
  };
  const targets = el('select', { 'data-testid': 'lora-targets' });
  for (const key of Object.keys(LORA_TARGET_CHOICES))
    targets.append(el('option', { value: key }, key));
  targets.value = 'c_attn,c_proj';
  const base = el('div', { class: 'field-hint', 'data-testid': 'lora-base' });
  const startButton = el(
    'button',
    { class: 'primary', 'data-testid': 'lora-start' },
    'Fine-tune with LoRA',
  );
  const stopButton = el(
    'button',
    { class: 'danger', disabled: true, 'data-testid': 'lora-stop' },
    'Stop',
  );
  const status = el('div', { class: 'status', 'data-testid': 'lora-status' });
  const stat = (testid: string) => el('b', { 'data-testid': testid }, '–');
  const stepStat = stat('lora-step');
  const lossStat = stat('lora-loss');
  const valStat = stat('lora-val-loss');
  const rateStat = stat('lora-tokens-per-second');
  const adapterInfo = el('div', { class: 'stats', 'data-testid': 'lora-adapter' });
  const nameInput = el('input', {
    type: 'text',
    value: 'my-adapter',
    'data-testid': 'adapter-name',
  });
  const downloadButton = el(
    'button',
    { disabled: true, 'data-testid': 'adapter-download' },
    'Download',
  );
  const saveButton = el(
    'button',
    { disabled: true, 'data-testid': 'adapter-save' },
    'Save to browser storage',
  );
  const saveStatus = el('div', { class: 'status', 'data-testid': 'adapter-save-status' });
  let state: TrainState = 'idle';

  const render = () => {
    const model = app.generateModel;
    base.textContent = model
      ? `Adapts the Generate page's model: ${model.source} (${model.nLayer} layers, d=${model.nEmbd}, context ${model.nPositions}); its weights stay frozen.`
      : 'Load a model on the Generate page first (the demo model will do): LoRA adapts that model.';
    startButton.disabled = state !== 'idle' || !model;
    stopButton.disabled = state === 'idle' || state === 'stopping';
    const adapter = model?.adapter;
    adapterInfo.textContent = adapter ? describeAdapter(adapter) : '';
    downloadButton.disabled = saveButton.disabled = !adapter;
  };

  const settings = (): LoraTrainSettings => ({
    r: Math.round(readNumber(inputs.r, d.r)),
    alpha: readNumber(inputs.alpha, d.alpha),
    dropout: readNumber(inputs.dropout, d.dropout),
    targets: LORA_TARGET_CHOICES[targets.value] ?? d.targets,
    blockSize: Math.min(
      Math.round(readNumber(inputs.blockSize, d.blockSize)),
      app.generateModel?.nPositions ?? d.blockSize,
    ),
    batchSize: Math.round(readNumber(inputs.batchSize, d.batchSize)),
    learningRate: readNumber(inputs.learningRate, d.learningRate),
    maxSteps: Math.round(readNumber(inputs.maxSteps, d.maxSteps)),
    evalInterval: Math.round(readNumber(inputs.evalInterval, d.evalInterval)),
    seed: DEFAULT_LORA_SETTINGS.seed,
  });

  startButton.addEventListener('click', async () => {
    if (text().trim() === '') {
      setStatus(status, 'Paste some text or use the sample first (left).', 'error');
      return;
    }
    for (const s of [stepStat, lossStat, valStat, rateStat]) s.textContent = '–';
    state = 'running';
    render();
    setStatus(status, 'Starting…');
    try {
      await app.ready();
      const result = await app.client.request(
        { type: 'train-lora', text: text(), settings: settings() },
        {
          onEvent: (event) => {
            if (event.type === 'step') {
              stepStat.textContent = `${event.step} / ${event.totalSteps}`;
              lossStat.textContent = formatLoss(event.loss);
              rateStat.textContent = formatRate(event.tokensPerSecond);
            } else if (event.type === 'eval') {
              valStat.textContent = formatLoss(event.valLoss);
            } else if (event.type === 'state') {
              state = event.state;
              render();
            } else if (event.type === 'status') {
              setStatus(status, event.message);
            } else if (event.type === 'adapter') {
              setGenerateAdapter(app, event.adapter);
            }
          },
        },
      );
      setStatus(
        status,
        `Finished (${result.reason}) after ${result.steps} steps: train loss ${formatLoss(result.finalLoss)}, validation loss ${formatLoss(result.valLoss)}. The Generate page uses the adapter now.`,
        'ok',
      );
      status.dataset.done = 'true';
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    } finally {
      state = 'idle';
      render();
    }
  });
  stopButton.addEventListener('click', async () => {
    try {
      state = (await app.client.request({ type: 'train-control', action: 'stop' })).state;
      render();
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    }
  });

  const save = (target: 'download' | 'opfs') => async () => {
    const name = nameInput.value.trim() || 'my-adapter';
    setStatus(saveStatus, 'Saving…');
    try {
      const files = await app.client.request({ type: 'save-adapter', target, name });
      if (target === 'download') {
        download(
          'adapter_model.safetensors',
          files.weights as Uint8Array<ArrayBuffer>,
          'application/octet-stream',
        );
        download('adapter_config.json', files.config, 'application/json');
        setStatus(
          saveStatus,
          `Downloaded adapter_config.json and adapter_model.safetensors: put them in one folder (PEFT's layout; \`gpt2 sample MODEL --adapter DIR\` and Python's PeftModel read it).`,
          'ok',
        );
      } else {
        setStatus(
          saveStatus,
          `Saved adapter '${name}' in this browser: apply it on the Generate page.`,
          'ok',
        );
        saveStatus.dataset.saved = name;
        app.notify();
      }
    } catch (error) {
      setStatus(saveStatus, (error as Error).message, 'error');
    }
  };
  downloadButton.addEventListener('click', save('download'));
  saveButton.addEventListener('click', save('opfs'));
  app.subscribe(render);
  render();

  return el(
    'div',
    { class: 'card', 'data-testid': 'lora-card' },
    el('h2', {}, 'Fine-tune the loaded model with LoRA'),
    base,
    el(
      'div',
      { class: 'form-grid', style: 'margin-top:8px' } as Record<string, string>,
      field('Rank r', inputs.r),
      field('Alpha', inputs.alpha, 'scale alpha / r'),
      field('Dropout', inputs.dropout),
      field('Layers', targets, 'c_proj: both projections'),
      field('Steps', inputs.maxSteps),
      field('Batch size', inputs.batchSize),
      field('Context', inputs.blockSize, "≤ the model's"),
      field('Learning rate', inputs.learningRate, 'peak; cosine decay'),
      field('Validate every', inputs.evalInterval, 'steps'),
    ),
    el('div', { class: 'row' }, startButton, stopButton),
    status,
    el(
      'div',
      { class: 'stats' },
      el('span', {}, 'Step: ', stepStat),
      el('span', {}, 'Loss: ', lossStat),
      el('span', {}, 'Validation: ', valStat),
      el('span', {}, 'Tokens/s: ', rateStat),
    ),
    adapterInfo,
    el('div', { class: 'row grow' }, nameInput, downloadButton, saveButton),
    saveStatus,
  );
}
