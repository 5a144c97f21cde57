import type { App } from '../app.js';
import { formatCount, formatRate, parseStopStrings } from '../format.js';
import { el, field, numberInput, readNumber, setStatus } from '../ui/dom.js';
import type { ModelSource, ModelSummary, SamplingSettings } from '../worker/protocol.js';
import { createAdapterCard } from './adapter-card.js';

/** Defaults of the sampling controls. */
export const DEFAULT_SAMPLING: SamplingSettings = {
  maxNewTokens: 80,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  repetitionPenalty: 1.1,
  seed: 42,
  stopStrings: [],
};

/** The demo model's folder, relative to the page. */
export const DEMO_MODEL_PATH = 'demo-model/';

/** One line describing a model. */
export function describeModel(model: ModelSummary): string {
  const adapter = model.adapter ? ` · LoRA r=${model.adapter.r} applied` : '';
  return `${formatCount(model.parameters)} parameters · ${model.nLayer} layers · d=${model.nEmbd} · ${model.nHead} heads · context ${model.nPositions} · ${model.tokenizer} (${model.vocabSize.toLocaleString('en-US')} tokens) · on ${model.backend}${adapter}`;
}

/** The Generate page: load a model, set the sampling controls, stream text. */
export function createGeneratePage(app: App): HTMLElement {
  const status = el('div', { class: 'status', 'data-testid': 'model-status' });
  const summary = el('div', { class: 'stats', 'data-testid': 'model-summary' });
  const demoButton = el(
    'button',
    { class: 'primary', 'data-testid': 'load-demo' },
    'Load demo model',
  );
  const folderInput = el('input', { type: 'file', 'data-testid': 'model-folder' });
  folderInput.setAttribute('webkitdirectory', '');
  const filesInput = el('input', {
    type: 'file',
    multiple: true,
    accept: '.safetensors,.json',
    'data-testid': 'model-files',
  });
  const urlInput = el('input', {
    type: 'url',
    placeholder: 'https://huggingface.co/gpt2/resolve/main/model.safetensors',
    'data-testid': 'model-url',
  });
  const urlButton = el('button', { 'data-testid': 'load-url' }, 'Load URL');

  const prompt = el('textarea', { rows: 4, 'data-testid': 'prompt', spellcheck: false });
  prompt.value = 'The jury said';
  const inputs = {
    maxNewTokens: numberInput({
      name: 'max-tokens',
      value: DEFAULT_SAMPLING.maxNewTokens,
      min: 1,
      max: 2048,
      step: 1,
    }),
    temperature: numberInput({
      name: 'temperature',
      value: DEFAULT_SAMPLING.temperature,
      min: 0,
      max: 5,
      step: 0.05,
    }),
    topK: numberInput({
      name: 'top-k',
      value: DEFAULT_SAMPLING.topK,
      min: 0,
      max: 100000,
      step: 1,
    }),
    topP: numberInput({
      name: 'top-p',
      value: DEFAULT_SAMPLING.topP,
      min: 0.01,
      max: 1,
      step: 0.01,
    }),
    repetitionPenalty: numberInput({
      name: 'repetition-penalty',
      value: DEFAULT_SAMPLING.repetitionPenalty,
      min: 0.1,
      max: 5,
      step: 0.05,
    }),
    seed: numberInput({
      name: 'seed',
      value: DEFAULT_SAMPLING.seed,
      min: 0,
      max: 2 ** 31 - 1,
      step: 1,
    }),
  };
  const stopInput = el('input', {
    type: 'text',
    placeholder: 'e.g. \\n\\n, The end',
    'data-testid': 'stop-strings',
  });
  const generateButton = el('button', { class: 'primary', 'data-testid': 'generate' }, 'Generate');
  const stopButton = el(
    'button',
    { class: 'danger', disabled: true, 'data-testid': 'stop' },
    'Stop',
  );
  const promptView = el('span', { class: 'prompt' });
  const generatedView = el('span', { class: 'generated', 'data-testid': 'generated' });
  const output = el(
    'div',
    { class: 'output', 'data-testid': 'output', 'aria-live': 'polite' },
    promptView,
    generatedView,
  );
  const tokensStat = el('b', { 'data-testid': 'tokens-generated' }, '0');
  const rateStat = el('b', { 'data-testid': 'tokens-per-second' }, '–');
  const finishStat = el('b', { 'data-testid': 'finish-reason' }, '–');
  const generateStatus = el('div', { class: 'status', 'data-testid': 'generate-status' });

  let controller: AbortController | undefined;

  const setBusy = (busy: boolean) => {
    for (const button of [demoButton, urlButton, generateButton]) button.disabled = busy;
    folderInput.disabled = busy;
    filesInput.disabled = busy;
  };

  const renderModel = () => {
    summary.replaceChildren();
    const model = app.generateModel;
    if (model)
      summary.append(
        el('span', {}, el('b', {}, model.source)),
        el('span', {}, describeModel(model)),
      );
    generateButton.disabled = !model || controller !== undefined;
  };

  const load = async (source: ModelSource, label: string) => {
    setBusy(true);
    setStatus(status, `Loading ${label}…`);
    try {
      await app.ready();
      const model = await app.client.request(
        { type: 'load-model', slot: 'generate', source },
        { onEvent: (event) => setStatus(status, event.message) },
      );
      app.generateModel = model;
      setStatus(status, `Loaded ${label}.`, 'ok');
      app.notify();
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    } finally {
      setBusy(false);
      renderModel();
    }
  };

  demoButton.addEventListener('click', () =>
    load({ kind: 'url', url: new URL(DEMO_MODEL_PATH, document.baseURI).href }, 'the demo model'),
  );
  urlButton.addEventListener('click', () => {
    let url: string;
    try {
      url = new URL(urlInput.value.trim(), document.baseURI).href;
    } catch {
      setStatus(status, `Not a URL: '${urlInput.value}'.`, 'error');
      return;
    }
    void load({ kind: 'url', url }, url);
  });
  for (const input of [folderInput, filesInput]) {
    input.addEventListener('change', () => {
      const files = [...(input.files ?? [])];
      input.value = '';
      if (files.length > 0)
        void load({ kind: 'files', files }, files.map((f) => f.name).join(', '));
    });
  }

  const settings = (): SamplingSettings => ({
    maxNewTokens: Math.round(readNumber(inputs.maxNewTokens, DEFAULT_SAMPLING.maxNewTokens)),
    temperature: readNumber(inputs.temperature, DEFAULT_SAMPLING.temperature),
    topK: Math.round(readNumber(inputs.topK, DEFAULT_SAMPLING.topK)),
    topP: readNumber(inputs.topP, DEFAULT_SAMPLING.topP),
    repetitionPenalty: readNumber(inputs.repetitionPenalty, DEFAULT_SAMPLING.repetitionPenalty),
    seed: Math.round(readNumber(inputs.seed, DEFAULT_SAMPLING.seed)),
    stopStrings: parseStopStrings(stopInput.value),
  });

  generateButton.addEventListener('click', async () => {
    controller = new AbortController();
    setBusy(true);
    stopButton.disabled = false;
    promptView.textContent = prompt.value;
    generatedView.textContent = '';
    delete generatedView.dataset.ids;
    tokensStat.textContent = '0';
    rateStat.textContent = '–';
    finishStat.textContent = 'running';
    setStatus(generateStatus, 'Generating…');
    try {
      const result = await app.client.request(
        { type: 'generate', slot: 'generate', prompt: prompt.value, settings: settings() },
        {
          signal: controller.signal,
          onEvent: (event) => {
            generatedView.append(event.text);
            tokensStat.textContent = String(event.tokens);
            rateStat.textContent = formatRate(event.tokensPerSecond);
          },
        },
      );
      // The final text drops a matched stop string, which streaming may have shown.
      generatedView.textContent = result.text;
      generatedView.dataset.ids = JSON.stringify(result.tokenIds);
      tokensStat.textContent = String(result.tokenIds.length);
      rateStat.textContent = formatRate(result.tokensPerSecond);
      finishStat.textContent = result.finishReason;
      setStatus(
        generateStatus,
        `Done: ${result.tokenIds.length} tokens at ${formatRate(result.tokensPerSecond)} tokens/s.`,
        'ok',
      );
      output.dataset.done = 'true';
    } catch (error) {
      finishStat.textContent = 'error';
      setStatus(generateStatus, (error as Error).message, 'error');
    } finally {
      controller = undefined;
      stopButton.disabled = true;
      setBusy(false);
      renderModel();
    }
  });
  stopButton.addEventListener('click', () => controller?.abort());

  app.subscribe(renderModel);
  renderModel();

  const fileButton = (label: string, input: HTMLInputElement) =>
    el(
      'span',
      { class: 'file-button' },
      el('button', { type: 'button', tabIndex: -1 }, label),
      input,
    );

  return el(
    'section',
    { 'data-page': 'generate' },
    el(
      'p',
      { class: 'page-intro' },
      'Sample text from a GPT-2 model, token by token, in a Web Worker. The demo model is a small GPT-2 trained on the Brown corpus; you can also open a checkpoint written by the gpt2 CLI or the Train page, or a Hugging Face model URL.',
    ),
    el(
      'div',
      { class: 'card' },
      el('h2', {}, 'Model'),
      el(
        'div',
        { class: 'row' },
        demoButton,
        fileButton('Open checkpoint folder…', folderInput),
        fileButton('Open files…', filesInput),
      ),
      el('div', { class: 'row grow' }, urlInput, urlButton),
      status,
      summary,
    ),
    createAdapterCard(app),
    el(
      'div',
      { class: 'columns' },
      el(
        'div',
        { class: 'card' },
        el('h2', {}, 'Sampling'),
        el(
          'div',
          { class: 'form-grid' },
          field('Max tokens', inputs.maxNewTokens),
          field('Temperature', inputs.temperature, '0 = greedy'),
          field('Top-k', inputs.topK, '0 = off'),
          field('Top-p', inputs.topP, '1 = off'),
          field('Repetition penalty', inputs.repetitionPenalty, '1 = off'),
          field('Seed', inputs.seed),
          Object.assign(field('Stop strings', stopInput, 'Comma-separated; \\n is a newline.'), {
            className: 'field wide',
          }),
        ),
      ),
      el(
        'div',
        { class: 'card' },
        el('h2', {}, 'Prompt'),
        prompt,
        el('div', { class: 'row' }, generateButton, stopButton),
        generateStatus,
        el('h2', { style: 'margin-top:16px' } as Record<string, string>, 'Output'),
        output,
        el(
          'div',
          { class: 'stats' },
          el('span', {}, 'Tokens: ', tokensStat),
          el('span', {}, 'Tokens/s: ', rateStat),
          el('span', {}, 'Finished: ', finishStat),
        ),
      ),
    ),
  );
}
