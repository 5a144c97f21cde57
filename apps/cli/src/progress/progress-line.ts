import type { OutputStream } from '../cli/context.js';

/** Options for {@link ProgressLine}. */
export interface ProgressLineOptions {
  /** Minimum time between redraws on a terminal, in ms. Default: {@link DEFAULT_TTY_INTERVAL_MS}. */
  ttyIntervalMs?: number;
  /**
   * Minimum time between printed lines when the stream is not a terminal (a
   * log file, CI), in ms. Default: {@link DEFAULT_PLAIN_INTERVAL_MS}.
   */
  plainIntervalMs?: number;
  /** Clock, for tests. Default: `performance.now`. */
  now?: () => number;
}

/** Terminal redraws: ten a second is smooth and cheap. */
export const DEFAULT_TTY_INTERVAL_MS = 100;
/** Logs and CI: one line every ten seconds keeps them readable. */
export const DEFAULT_PLAIN_INTERVAL_MS = 10_000;

/**
 * One status line that updates in place on a terminal (`\r` + clear-line) and
 * becomes occasional plain lines elsewhere, so logs stay readable. Permanent
 * lines ({@link ProgressLine.log}) print above the live line.
 */
export class ProgressLine {
  readonly #stream: OutputStream;
  readonly #tty: boolean;
  readonly #interval: number;
  readonly #now: () => number;
  #last = Number.NEGATIVE_INFINITY;
  #current = '';
  #shown = false;

  constructor(stream: OutputStream, options: ProgressLineOptions = {}) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
    this.#interval = this.#tty
      ? (options.ttyIntervalMs ?? DEFAULT_TTY_INTERVAL_MS)
      : (options.plainIntervalMs ?? DEFAULT_PLAIN_INTERVAL_MS);
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether the line redraws in place. */
  get isTTY(): boolean {
    return this.#tty;
  }

  /** Show `text` as the live line; throttled unless `force`. */
  update(text: string, options: { force?: boolean } = {}): void {
    this.#current = text;
    const now = this.#now();
    if (!options.force && now - this.#last < this.#interval) return;
    this.#last = now;
    this.#draw();
  }

  /** Print a permanent line, keeping the live line below it on a terminal. */
  log(text: string): void {
    if (this.#tty && this.#shown) this.#stream.write('\r\x1b[K');
    this.#stream.write(`${text}\n`);
    this.#shown = false;
    if (this.#tty && this.#current !== '') this.#draw();
  }

  /** Print the last state as a permanent line and stop updating. */
  done(text?: string): void {
    if (text !== undefined) this.#current = text;
    if (this.#tty) {
      if (this.#shown) this.#stream.write('\r\x1b[K');
      if (this.#current !== '') this.#stream.write(`${this.#current}\n`);
    } else if (this.#current !== '' && text !== undefined) {
      this.#stream.write(`${this.#current}\n`);
    }
    this.#current = '';
    this.#shown = false;
  }

  #draw(): void {
    if (this.#tty) {
      const width = (this.#stream.columns ?? 100) - 1;
      const text = this.#current.length > width ? this.#current.slice(0, width) : this.#current;
      this.#stream.write(`\r\x1b[K${text}`);
      this.#shown = true;
    } else {
      this.#stream.write(`${this.#current}\n`);
    }
  }
}
