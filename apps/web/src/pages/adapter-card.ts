import type { App } from '../app.js';
import { formatCount } from '../format.js';
import { el, setStatus } from '../ui/dom.js';
import type { AdapterSource, AdapterSummary } from '../worker/protocol.js';

/** One line describing an adapter. */
export function describeAdapter(adapter: AdapterSummary): string {
  return `LoRA r=${adapter.r}, alpha ${adapter.alpha} on ${adapter.targets} (${adapter.layers} layers, ${formatCount(adapter.parameters)} parameters) from ${adapter.source}`;
}

/** Record the Generate model's adapter in the app state and tell the pages. */
export function setGenerateAdapter(app: App, adapter: AdapterSummary | undefined): void {
  if (!app.generateModel) return;
  const { adapter: _previous, ...model } = app.generateModel;
  app.generateModel = adapter ? { ...model, adapter } : model;
  app.notify();
}

/**
 * The Generate page's LoRA card: apply an adapter (PEFT's adapter folder from
 * disk, or one saved in this browser by the Train page) to the loaded model,
 * or remove it.
 */
export function createAdapterCard(app: App): HTMLElement {
  const current = el('div', { class: 'stats', 'data-testid': 'adapter-current' });
  const status = el('div', { class: 'status', 'data-testid': 'adapter-status' });
  const folderInput = el('input', { type: 'file', 'data-testid': 'adapter-folder' });
  folderInput.setAttribute('webkitdirectory', '');
  const filesInput = el('input', {
    type: 'file',
    multiple: true,
    accept: '.safetensors,.json',
    'data-testid': 'adapter-files',
  });
  const removeButton = el('button', { 'data-testid': 'adapter-remove' }, 'Remove adapter');
  const stored = el('ul', { class: 'stored', 'data-testid': 'stored-adapters' });

  const render = () => {
    const adapter = app.generateModel?.adapter;
    current.replaceChildren(
      adapter
        ? el('span', { 'data-adapter': 'applied' }, describeAdapter(adapter))
        : el('span', { class: 'field-hint' }, 'No adapter: the model as loaded.'),
    );
    current.dataset.adapter = adapter ? 'applied' : 'none';
    removeButton.disabled = !adapter;
  };

  const apply = async (source: AdapterSource, label: string) => {
    setStatus(status, `Applying ${label}…`);
    try {
      const adapter = await app.client.request({ type: 'load-adapter', source });
      setGenerateAdapter(app, adapter);
      setStatus(status, `Applied ${label}.`, 'ok');
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    }
  };

  const refreshStored = async () => {
    try {
      const { names } = await app.client.request({ type: 'list-adapters' });
      stored.replaceChildren(
        ...names.map((name) => {
          const button = el('button', { 'data-testid': `adapter-apply-${name}` }, 'Apply');
          button.addEventListener('click', () => apply({ kind: 'opfs', name }, name));
          return el('li', {}, el('span', {}, name), button);
        }),
      );
      if (names.length === 0) {
        stored.append(
          el('li', { class: 'field-hint' }, 'No adapters saved in this browser yet (Train page).'),
        );
      }
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

  for (const input of [folderInput, filesInput]) {
    input.addEventListener('change', () => {
      const files = [...(input.files ?? [])];
      input.value = '';
      if (files.length > 0)
        void apply({ kind: 'files', files }, files.map((f) => f.name).join(', '));
    });
  }
  removeButton.addEventListener('click', async () => {
    try {
      await app.client.request({ type: 'remove-adapter' });
      setGenerateAdapter(app, undefined);
      setStatus(status, 'Adapter removed.', 'ok');
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    }
  });
  app.subscribe(() => {
    render();
    void refreshStored();
  });
  void app.ready().then(refreshStored, () => {});
  render();

  const fileButton = (label: string, input: HTMLInputElement) =>
    el(
      'span',
      { class: 'file-button' },
      el('button', { type: 'button', tabIndex: -1 }, label),
      input,
    );
  return el(
    'div',
    { class: 'card', 'data-testid': 'adapter-card' },
    el('h2', {}, 'LoRA adapter'),
    el(
      'p',
      { class: 'field-hint' },
      'Apply a LoRA adapter to the model above: one trained on the Train page, or a Hugging Face PEFT adapter folder (adapter_config.json + adapter_model.safetensors) from Python or the gpt2 CLI.',
    ),
    current,
    el(
      'div',
      { class: 'row' },
      fileButton('Open adapter folder…', folderInput),
      fileButton('Open adapter files…', filesInput),
      removeButton,
    ),
    status,
    el(
      'h2',
      { style: 'margin-top:14px' } as Record<string, string>,
      'Adapters saved in this browser',
    ),
    stored,
  );
}
