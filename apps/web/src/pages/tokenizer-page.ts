import type { Tokenizer } from '@gpt2/tokenizer';
import { el, setStatus } from '../ui/dom.js';

/** Pastel backgrounds, cycled so that neighbouring tokens differ. */
export const TOKEN_COLOURS = [
  '#dbeafe',
  '#fde68a',
  '#bbf7d0',
  '#fbcfe8',
  '#ddd6fe',
  '#fed7aa',
  '#a5f3fc',
];

const SAMPLE_TEXT =
  'GPT-2 splits text into byte-level BPE tokens. Common words are one token; rarer ones, like "antidisestablishmentarianism", are several. Emoji 🙂 and accents (café) are bytes underneath.';

// The tokenizer module carries GPT-2's 50k merges: load it only when the page is opened.
const tokenizerModule = () => import('@gpt2/tokenizer');

/** Text shown for one token: whitespace made visible, broken UTF-8 kept as U+FFFD. */
export function visibleToken(text: string): string {
  return text.replace(/\n/g, '↵\n').replace(/\t/g, '→');
}

async function tokenizerFromFile(file: File): Promise<Tokenizer> {
  const { loadTokenizer } = await tokenizerModule();
  // Either format (ours or Hugging Face's tokenizer.json), told apart by content.
  return loadTokenizer(await file.text(), { source: file.name, name: file.name });
}

/** The Tokenizer page: type text, see its tokens coloured, their ids and count. */
export function createTokenizerPage(): HTMLElement {
  const input = el('textarea', { rows: 5, 'data-testid': 'tokenizer-input', spellcheck: false });
  input.value = SAMPLE_TEXT;
  const source = el(
    'select',
    { 'data-testid': 'tokenizer-source' },
    el('option', { value: 'gpt2' }, 'GPT-2 (r50k_base)'),
  );
  const fileInput = el('input', {
    type: 'file',
    accept: '.json,application/json',
    'data-testid': 'tokenizer-file',
  });
  const fileButton = el(
    'span',
    { class: 'file-button' },
    el('button', { type: 'button', tabIndex: -1 }, 'Load tokenizer file…'),
    fileInput,
  );
  const status = el('div', { class: 'status', 'data-testid': 'tokenizer-status' });
  const count = el('b', { 'data-testid': 'token-count' }, '–');
  const chars = el('b', {}, '–');
  const name = el('b', {}, '–');
  const tokens = el('div', { class: 'tokens', 'data-testid': 'token-view' });
  const ids = el('div', { class: 'token-ids', 'data-testid': 'token-ids' });

  const loaded = new Map<string, Tokenizer>();
  let current: Tokenizer | undefined;

  const render = () => {
    if (!current) return;
    let encoded: number[];
    try {
      encoded = current.encode(input.value, { allowedSpecial: 'all' });
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
      return;
    }
    const spans = encoded.map((id, index) => {
      const text = current?.decode([id]) ?? '';
      return el(
        'span',
        {
          style: `background:${TOKEN_COLOURS[index % TOKEN_COLOURS.length]}`,
          title: `id ${id}`,
        } as Record<string, string>,
        visibleToken(text),
      );
    });
    tokens.replaceChildren(...spans);
    ids.textContent = `[${encoded.join(', ')}]`;
    ids.dataset.ids = JSON.stringify(encoded);
    count.textContent = String(encoded.length);
    chars.textContent = String([...input.value].length);
    name.textContent = `${current.name} (vocabulary ${current.vocabSize.toLocaleString('en-US')})`;
  };

  const use = async (key: string) => {
    setStatus(status, 'Loading tokenizer…');
    try {
      let tokenizer = loaded.get(key);
      if (!tokenizer && key === 'gpt2') {
        tokenizer = await (await tokenizerModule()).gpt2Tokenizer();
        loaded.set(key, tokenizer);
      }
      if (!tokenizer) throw new Error(`Unknown tokenizer ${key}.`);
      current = tokenizer;
      setStatus(status, `Using ${tokenizer.name}.`, 'ok');
      render();
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    }
  };

  input.addEventListener('input', render);
  source.addEventListener('change', () => void use(source.value));
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    try {
      const tokenizer = await tokenizerFromFile(file);
      const key = `file:${file.name}`;
      loaded.set(key, tokenizer);
      if (![...source.options].some((option) => option.value === key)) {
        source.append(el('option', { value: key }, `${file.name} (${tokenizer.name})`));
      }
      source.value = key;
      await use(key);
    } catch (error) {
      setStatus(status, (error as Error).message, 'error');
    } finally {
      fileInput.value = '';
    }
  });
  void use('gpt2');

  return el(
    'section',
    { 'data-page': 'tokenizer' },
    el(
      'p',
      { class: 'page-intro' },
      'Type text to see how the tokenizer splits it. Each coloured piece is one token; hover for its id. Switch to a tokenizer saved by the CLI or the Train page (tokenizer.json), or a Hugging Face tokenizer.json.',
    ),
    el(
      'div',
      { class: 'card' },
      el('div', { class: 'row' }, source, fileButton),
      status,
      el('div', { class: 'row' }, input),
      el(
        'div',
        { class: 'stats' },
        el('span', {}, 'Tokens: ', count),
        el('span', {}, 'Characters: ', chars),
        el('span', {}, 'Tokenizer: ', name),
      ),
    ),
    el('div', { class: 'card' }, el('h2', {}, 'Tokens'), tokens, ids),
  );
}
