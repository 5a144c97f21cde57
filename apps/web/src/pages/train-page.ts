import type { App } from '../app.js';
import { formatCount, formatLoss, formatRate } from '../format.js';
import { el, field, numberInput, readNumber, setStatus } from '../ui/dom.js';
import { LossChart, SERIES_COLOURS } from '../ui/loss-chart.js';
import type { CheckpointFiles, TrainSettings, TrainState } from '../worker/protocol.js';
import { describeModel } from './generate-page.js';
import { createLoraCard } from './lora-card.js';

/** Model sizes offered; all train at interactive speed on a laptop. */
export const SIZE_PRESETS = {
  micro: {
    label: 'Micro — 1 layer, d=32, context 32',
    nLayer: 1,
    nEmbd: 32,
    nHead: 2,
    blockSize: 32,
  },
  tiny: {
    label: 'Tiny — 2 layers, d=64, context 64',
    nLayer: 2,
    nEmbd: 64,
    nHead: 4,
    blockSize: 64,
  },
  small: {
    label: 'Small — 4 layers, d=128, context 128',
    nLayer: 4,
    nEmbd: 128,
    nHead: 4,
    blockSize: 128,
  },
} as const;

export type SizePreset = keyof typeof SIZE_PRESETS;

/** Defaults of the Train page's controls. */
export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  ...SIZE_PRESETS.tiny,
  batchSize: 8,
  learningRate: 3e-3,
  maxSteps: 200,
  evalInterval: 25,
  tokenizer: 'char',
  bpeVocabSize: 512,
  seed: 1,
};

/** The bundled sample text (Brown corpus excerpt), relative to the page. */
export const SAMPLE_TEXT_PATH = 'sample-text.txt';

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The Train page: text in, a small GPT-2 out, with a live loss chart. */
export function createTrainPage(app: App): HTMLElement {
  const text = el('textarea', {
    rows: 8,
    placeholder: 'Paste training text here (a few hundred KB at most), or use the sample.',
    'data-testid': 'train-text',
    spellcheck: false,
  });
  const sampleButton = el(
    'button',
    { 'data-testid': 'use-sample' },
    'Use the sample (Brown corpus)',
  );
  const textInfo = el('span', { class: 'field-hint', 'data-testid': 'train-text-info' });
  const size = el('select', { 'data-testid': 'train-size' });
  for (const [key, preset] of Object.entries(SIZE_PRESETS))
    size.append(el('option', { value: key }, preset.label));
  size.value = 'tiny';
  const tokenizer = el(
    'select',
    { 'data-testid': 'train-tokenizer' },
    el('option', { value: 'char' }, 'Characters'),
    el('option', { value: 'bpe' }, 'BPE, 512 tokens (trained on the text)'),
  );
  const d = DEFAULT_TRAIN_SETTINGS;
  const inputs = {
    maxSteps: numberInput({ name: 'train-steps', value: d.maxSteps, min: 1, max: 100000, step: 1 }),
    batchSize: numberInput({ name: 'train-batch', value: d.batchSize, min: 1, max: 128, step: 1 }),
    learningRate: numberInput({
      name: 'train-lr',
      value: d.learningRate,
      min: 1e-6,
      max: 1,
      step: 1e-4,
    }),
    evalInterval: numberInput({
      name: 'train-eval-interval',
      value: d.evalInterval,
      min: 1,
      max: 10000,
      step: 1,
    }),
    seed: numberInput({ name: 'train-seed', value: d.seed, min: 0, max: 2 ** 31 - 1, step: 1 }),
  };
  const startButton = el('button', { class: 'primary', 'data-testid': 'train-start' }, 'Start');
  const pauseButton = el('button', { disabled: true, 'data-testid': 'train-pause' }, 'Pause');
  const resumeButton = el('button', { disabled: true, 'data-testid': 'train-resume' }, 'Resume');
  const stopButton = el(
    'button',
    { class: 'danger', disabled: true, 'data-testid': 'train-stop' },
    'Stop',
  );
  const status = el('div', { class: 'status', 'data-testid': 'train-status' });
  const modelInfo = el('div', { class: 'stats', 'data-testid': 'train-model' });
  const stat = (testid: string) => el('b', { 'data-testid': testid }, '–');
  const stepStat = stat('train-step');
  const lossStat = stat('train-loss');
  const valStat = stat('train-val-loss');
  const rateStat = stat('train-tokens-per-second');
  const stateStat = stat('train-state');
  const canvas = el('canvas', { class: 'loss-chart', 'data-testid': 'loss-chart' });
  const chart = new LossChart(canvas);

  const samplePrompt = el('input', {
    type: 'text',
    value: 'The ',
    'data-testid': 'train-sample-prompt',
  });
  const sampleGenerate = el('button', { disabled: true, 'data-testid': 'train-sample' }, 'Sample');
  const sampleOutput = el('div', { class: 'output', 'data-testid': 'train-sample-output' });

  const nameInput = el('input', {
    type: 'text',
    value: 'my-model',
    'data-testid': 'checkpoint-name',
  });
  const downloadButton = el(
    'button',
    { disabled: true, 'data-testid': 'checkpoint-download' },
    'Download',
  );
  const saveButton = el(
    'button',
    { disabled: true, 'data-testid': 'checkpoint-save' },
    'Save to browser storage',
  );
  const extraDownloads = el('div', { class: 'row' });
  const stored = el('ul', { class: 'stored', 'data-testid': 'stored-checkpoints' });
  const checkpointStatus = el('div', { class: 'status', 'data-testid': 'checkpoint-status' });

  let state: TrainState = 'idle';
  let hasModel = false;

  const updateButtons = () => {
    startButton.disabled = state !== 'idle';
    pauseButton.disabled = state !== 'running';
    resumeButton.disabled = state !== 'paused';
    stopButton.disabled = state === 'idle' || state === 'stopping';
    for (const button of [sampleGenerate, downloadButton, saveButton]) button.disabled = !hasModel;
    stateStat.textContent = state;
    canvas.dataset.state = state;
  };

  const describeText = () => {
    const length = text.value.length;
    textInfo.textContent = `${length.toLocaleString('en-US')} characters`;
  };
  text.addEventListener('input', describeText);

  sampleButton.addEventListener('click', async () => {
    sampleButton.disabled = true;
    try {
      const response = await fetch(new URL(SAMPLE_TEXT_PATH, document.baseURI));
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text.value = await response.text();
      describeText();
    } catch (error) {
      setStatus(status, `Could not load the sample text: ${(error as Error).message}`, 'error');
    } finally {
      sampleButton.disabled = false;
    }
  });

  const settings = (): TrainSettings => {
    const preset = SIZE_PRESETS[size.value as SizePreset] ?? SIZE_PRESETS.tiny;
    return {
      nLayer: preset.nLayer,
      nEmbd: preset.nEmbd,
      nHead: preset.nHead,
      blockSize: preset.blockSize,
      batchSize: Math.round(readNumber(inputs.batchSize, d.batchSize)),
      learningRate: readNumber(inputs.learningRate, d.learningRate),
      maxSteps: Math.round(readNumber(inputs.maxSteps, d.maxSteps)),
      evalInterval: Math.round(readNumber(inputs.evalInterval, d.evalInterval)),
      tokenizer: tokenizer.value === 'bpe' ? 'bpe' : 'char',
      bpeVocabSize: d.bpeVocabSize,
      seed: Math.round(readNumber(inputs.seed, d.seed)),
    };
  };

  startButton.addEventListener('click', async () => {
    if (text.value.trim() === '') {
      setStatus(status, 'Paste some text or use the sample first.', 'error');
      return;
    }
    chart.clear();
    for (const s of [stepStat, lossStat, valStat, rateStat]) s.textContent = '–';
    state = 'running';
    updateButtons();
    setStatus(status, 'Starting…');
    const run = settings();
    try {
      await app.ready();
      const result = await app.client.request(
        { type: 'train', text: text.value, settings: run },
        {
          onEvent: (event) => {
            if (event.type === 'step') {
              chart.add('train', { x: event.step, y: event.loss });
              stepStat.textContent = `${event.step} / ${event.totalSteps}`;
              lossStat.textContent = formatLoss(event.loss);
              rateStat.textContent = formatRate(event.tokensPerSecond);
            } else if (event.type === 'eval') {
              chart.add('val', { x: event.step, y: event.valLoss });
              valStat.textContent = formatLoss(event.valLoss);
            } else if (event.type === 'state') {
              state = event.state;
              updateButtons();
            } else if (event.type === 'status') {
              setStatus(status, event.message);
            } else if (event.type === 'model') {
              hasModel = true;
              modelInfo.textContent = describeModel(event.model);
              updateButtons();
            }
          },
        },
      );
      setStatus(
        status,
        `Finished (${result.reason}) after ${result.steps} steps: train loss ${formatLoss(result.finalLoss)}, validation loss ${formatLoss(result.valLoss)}.`,
        'ok',
      );
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    } finally {
      state = 'idle';
      updateButtons();
    }
  });

  const control = (action: 'pause' | 'resume' | 'stop') => async () => {
    try {
      state = (await app.client.request({ type: 'train-control', action })).state;
      updateButtons();
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    }
  };
  pauseButton.addEventListener('click', control('pause'));
  resumeButton.addEventListener('click', control('resume'));
  stopButton.addEventListener('click', control('stop'));

  sampleGenerate.addEventListener('click', async () => {
    sampleGenerate.disabled = true;
    sampleOutput.textContent = samplePrompt.value;
    try {
      const result = await app.client.request(
        {
          type: 'generate',
          slot: 'train',
          prompt: samplePrompt.value,
          settings: {
            maxNewTokens: 60,
            temperature: 0.8,
            topK: 0,
            topP: 1,
            repetitionPenalty: 1,
            seed: Date.now() % 1e6,
            stopStrings: [],
            // A preview mid-training always runs its full length: an early
            // end-of-text would show nothing of what the model has learned.
            stopTokenIds: [],
          },
        },
        { onEvent: (event) => sampleOutput.append(event.text) },
      );
      sampleOutput.textContent = samplePrompt.value + result.text;
    } catch (error) {
      sampleOutput.textContent = (error as Error).message;
    } finally {
      sampleGenerate.disabled = !hasModel;
    }
  });

  const refreshStored = async () => {
    try {
      const { names } = await app.client.request({ type: 'list-checkpoints' });
      stored.replaceChildren(
        ...names.map((name) => {
          const load = el('button', { 'data-testid': `checkpoint-load-${name}` }, 'Load');
          load.addEventListener('click', async () => {
            setStatus(checkpointStatus, `Loading ${name}…`);
            try {
              const model = await app.client.request({
                type: 'load-model',
                slot: 'train',
                source: { kind: 'opfs', name },
              });
              hasModel = true;
              modelInfo.textContent = describeModel(model);
              updateButtons();
              setStatus(
                checkpointStatus,
                `Loaded ${name} from browser storage: sample from it, or keep it.`,
                'ok',
              );
              checkpointStatus.dataset.loaded = name;
            } catch (error) {
              setStatus(checkpointStatus, (error as Error).message, 'error');
            }
          });
          return el('li', {}, el('span', {}, name), load);
        }),
      );
      if (names.length === 0)
        stored.append(
          el('li', { class: 'field-hint' }, 'No checkpoints saved in this browser yet.'),
        );
    } catch (error) {
      stored.replaceChildren(
        el(
          'li',
          { class: 'field-hint' },
          `Browser storage unavailable: ${(error as Error).message}`,
        ),
      );
    }
  };

  const save = (target: 'download' | 'opfs') => async () => {
    const name = nameInput.value.trim() || 'my-model';
    setStatus(checkpointStatus, 'Saving…');
    try {
      const files: CheckpointFiles = await app.client.request({
        type: 'save-checkpoint',
        slot: 'train',
        target,
        name,
      });
      if (target === 'download') {
        download(
          `${name}.safetensors`,
          files.safetensors as Uint8Array<ArrayBuffer>,
          'application/octet-stream',
        );
        const config = el('button', {}, 'config.json');
        config.addEventListener('click', () =>
          download('config.json', files.config, 'application/json'),
        );
        const tok = el('button', {}, 'tokenizer.json');
        tok.addEventListener('click', () =>
          download('tokenizer.json', files.tokenizer, 'application/json'),
        );
        extraDownloads.replaceChildren(
          el('span', { class: 'field-hint' }, 'Also, for the CLI folder layout:'),
          config,
          tok,
        );
        setStatus(
          checkpointStatus,
          `Downloaded ${name}.safetensors (${formatCount(files.safetensors.byteLength)}B; config and tokenizer are embedded, so the Generate page opens it alone).`,
          'ok',
        );
      } else {
        setStatus(checkpointStatus, `Saved '${name}' to browser storage (OPFS).`, 'ok');
        checkpointStatus.dataset.saved = name;
        await refreshStored();
      }
    } catch (error) {
      setStatus(checkpointStatus, (error as Error).message, 'error');
    }
  };
  downloadButton.addEventListener('click', save('download'));
  saveButton.addEventListener('click', save('opfs'));
  void app.ready().then(refreshStored, () => {});
  updateButtons();
  describeText();

  return el(
    'section',
    { 'data-page': 'train' },
    el(
      'p',
      { class: 'page-intro' },
      "Train a small GPT-2 from scratch on your own text, in this tab, or fine-tune the Generate page's model on it with LoRA. The loss chart updates every step; validation runs on the last 10% of the text. Sample from the model at any time, and save it (or the LoRA adapter) as files or in the browser.",
    ),
    el(
      'div',
      { class: 'columns' },
      el(
        'div',
        { class: 'card' },
        el('h2', {}, 'Data and model'),
        el('div', { class: 'row' }, sampleButton, textInfo),
        el('div', { class: 'row' }, text),
        el(
          'div',
          { class: 'form-grid', style: 'margin-top:12px' } as Record<string, string>,
          Object.assign(field('Model size', size), { className: 'field wide' }),
          Object.assign(field('Tokenizer', tokenizer), { className: 'field wide' }),
          field('Steps', inputs.maxSteps),
          field('Batch size', inputs.batchSize),
          field('Learning rate', inputs.learningRate, 'peak; cosine decay'),
          field('Validate every', inputs.evalInterval, 'steps'),
          field('Seed', inputs.seed),
        ),
      ),
      el(
        'div',
        {},
        el(
          'div',
          { class: 'card' },
          el('h2', {}, 'Training'),
          el('div', { class: 'row' }, startButton, pauseButton, resumeButton, stopButton),
          status,
          modelInfo,
          el(
            'div',
            { class: 'stats' },
            el('span', {}, 'Step: ', stepStat),
            el('span', {}, 'Loss: ', lossStat),
            el('span', {}, 'Validation: ', valStat),
            el('span', {}, 'Tokens/s: ', rateStat),
            el('span', {}, 'State: ', stateStat),
          ),
          el(
            'div',
            { class: 'chart-wrap', style: 'margin-top:12px' } as Record<string, string>,
            canvas,
          ),
          el(
            'div',
            { class: 'legend' },
            el(
              'span',
              {},
              el('i', { style: `background:${SERIES_COLOURS.train}` } as Record<string, string>),
              'train loss',
            ),
            el(
              'span',
              {},
              el('i', { style: `background:${SERIES_COLOURS.val}` } as Record<string, string>),
              'validation loss',
            ),
          ),
        ),
        createLoraCard(app, () => text.value),
        el(
          'div',
          { class: 'card' },
          el('h2', {}, 'Sample while it trains'),
          el('div', { class: 'row grow' }, samplePrompt, sampleGenerate),
          el('div', { style: 'margin-top:10px' } as Record<string, string>, sampleOutput),
        ),
        el(
          'div',
          { class: 'card' },
          el('h2', {}, 'Checkpoint'),
          el('div', { class: 'row grow' }, nameInput, downloadButton, saveButton),
          extraDownloads,
          checkpointStatus,
          el('h2', { style: 'margin-top:14px' } as Record<string, string>, 'Saved in this browser'),
          stored,
        ),
      ),
    ),
  );
}
