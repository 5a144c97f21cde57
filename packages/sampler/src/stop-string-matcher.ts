/** Result of feeding text to a {@link StopStringMatcher}. */
export interface StopMatch {
  /** Text that is now final and safe to show. */
  text: string;
  /** True once a stop string has appeared; `text` ends right before it. */
  stopped: boolean;
}

/**
 * Finds stop strings in streamed text. Text that could still be the start of a
 * stop string is held back, so a stream never shows part of a stop string
 * that a later token completes.
 */
export class StopStringMatcher {
  readonly #stops: readonly string[];
  #text = '';
  #emitted = 0;
  #stopped = false;

  constructor(stops: readonly string[]) {
    for (const stop of stops) {
      if (typeof stop !== 'string' || stop.length === 0) {
        throw new RangeError('StopStringMatcher: stop strings must be non-empty strings.');
      }
    }
    this.#stops = stops;
  }

  /** All text accepted so far, up to (not including) a stop string once stopped. */
  get text(): string {
    return this.#text;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Add a text delta. */
  push(delta: string): StopMatch {
    if (this.#stopped) return { text: '', stopped: true };
    const full = this.#text + delta;
    // A stop string cannot end inside text already emitted (that text never
    // ended with a stop-string prefix), so search from there on.
    let longest = 0;
    for (const stop of this.#stops) longest = Math.max(longest, stop.length);
    const searchFrom = Math.max(0, this.#emitted - longest + 1);
    let found = -1;
    for (const stop of this.#stops) {
      const index = full.indexOf(stop, searchFrom);
      if (index !== -1 && (found === -1 || index < found)) found = index;
    }
    if (found !== -1) {
      const text = full.slice(this.#emitted, found);
      this.#text = full.slice(0, found);
      this.#emitted = found;
      this.#stopped = true;
      return { text, stopped: true };
    }
    this.#text = full;
    const safe = full.length - this.#heldBack(full);
    const start = this.#emitted;
    this.#emitted = Math.max(start, safe);
    return { text: full.slice(start, this.#emitted), stopped: false };
  }

  /** Release held-back text at the end of the stream. */
  flush(): string {
    const text = this.#text.slice(this.#emitted);
    this.#emitted = this.#text.length;
    return text;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of a stop string. */
  #heldBack(text: string): number {
    let held = 0;
    for (const stop of this.#stops) {
      for (let length = Math.min(stop.length - 1, text.length); length > held; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          held = length;
          break;
        }
      }
    }
    return held;
  }
}
