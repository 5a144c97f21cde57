/** Attributes and properties for {@link el}: `class`, `data-*`, ARIA and any DOM property. */
export type ElementProps = Record<string, string | number | boolean | undefined | EventListener>;

/**
 * Create an element: `el('button', { class: 'primary', onclick: run }, 'Run')`.
 * Keys starting with `on` become listeners; `data-*`, `aria-*`, `for` and
 * `class` become attributes; everything else is set as a property.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else if (
      key === 'class' ||
      key === 'for' ||
      key.startsWith('data-') ||
      key.startsWith('aria-') ||
      key === 'role'
    ) {
      element.setAttribute(key, String(value));
    } else {
      (element as unknown as Record<string, unknown>)[key] = value;
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** A labelled control in the form grid. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  return el(
    'label',
    { class: 'field' },
    el('span', { class: 'field-label' }, label),
    control,
    hint ? el('span', { class: 'field-hint' }, hint) : null,
  );
}

/** A number input with bounds. */
export function numberInput(options: {
  name: string;
  value: number;
  min?: number;
  max?: number;
  step?: number;
}): HTMLInputElement {
  return el('input', {
    type: 'number',
    name: options.name,
    value: String(options.value),
    min: options.min === undefined ? undefined : String(options.min),
    max: options.max === undefined ? undefined : String(options.max),
    step: options.step === undefined ? 'any' : String(options.step),
    'data-testid': options.name,
  });
}

/** Read a number input, clamped to its bounds; falls back to `fallback` when empty or invalid. */
export function readNumber(input: HTMLInputElement, fallback: number): number {
  const value = Number.parseFloat(input.value);
  if (!Number.isFinite(value)) return fallback;
  const min = input.min === '' ? Number.NEGATIVE_INFINITY : Number.parseFloat(input.min);
  const max = input.max === '' ? Number.POSITIVE_INFINITY : Number.parseFloat(input.max);
  return Math.min(max, Math.max(min, value));
}

/** Show a message in a status line; `tone` colours it. */
export function setStatus(
  target: HTMLElement,
  message: string,
  tone: 'info' | 'ok' | 'error' = 'info',
): void {
  target.textContent = message;
  target.dataset.tone = tone;
}
