import { StopStringMatcher } from './stop-string-matcher.js';
import type { SamplerTokenizer } from './types.js';

/** Streaming text of one sequence: the tokenizer's stream decoder followed by stop-string matching. */
export class SequenceText {
  readonly #decoder: { push(id: number): string; flush(): string };
  readonly #matcher: StopStringMatcher;

  constructor(tokenizer: SamplerTokenizer, stop: readonly string[]) {
    this.#decoder = tokenizer.createStreamDecoder();
    this.#matcher = new StopStringMatcher(stop);
  }

  /** Add a token; returns the text that became final and whether a stop string appeared. */
  push(tokenId: number): { text: string; stopped: boolean } {
    return this.#matcher.push(this.#decoder.push(tokenId));
  }

  /** End of the sequence: release what the decoder and the matcher held. */
  finish(): { text: string; stopped: boolean } {
    const last = this.#matcher.push(this.#decoder.flush());
    return { text: last.text + this.#matcher.flush(), stopped: last.stopped };
  }

  /** Everything accepted so far (stop string excluded). */
  get text(): string {
    return this.#matcher.text;
  }

  get stopped(): boolean {
    return this.#matcher.stopped;
  }
}
