import type { SamplerTokenizer, WarningEvent } from './types.js';

/** A prompt as text, or as token ids already encoded. */
export type Prompt = string | readonly number[];

/** Tokenize the prompt, start from EOT when it is empty, and cut it from the left to fit the context. */
export function preparePrompt(
  tokenizer: SamplerTokenizer,
  prompt: Prompt,
  nPositions: number,
  vocabSize: number,
): { tokens: number[]; warning?: WarningEvent } {
  let tokens: number[];
  if (typeof prompt === 'string') {
    // Special tokens in the prompt are honoured: `<|endoftext|>` separates documents.
    tokens = tokenizer.encode(prompt, { allowedSpecial: 'all' });
  } else if (Array.isArray(prompt)) {
    tokens = [...prompt];
    for (const id of tokens) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new RangeError(
          `generate: prompt token ids must be integers in [0, ${vocabSize - 1}], got ${id}.`,
        );
      }
    }
  } else {
    throw new TypeError('generate: prompt must be a string or an array of token ids.');
  }
  if (tokens.length === 0) {
    if (tokenizer.eotToken === undefined) {
      throw new RangeError(
        'generate: the prompt is empty and the tokenizer has no EOT token to start from.',
      );
    }
    // GPT-2 was trained with EOT between documents: it is the "start of text" it knows.
    tokens = [tokenizer.eotToken];
  }
  if (tokens.length <= nPositions) return { tokens };
  const droppedTokens = tokens.length - nPositions;
  return {
    tokens: tokens.slice(droppedTokens),
    warning: {
      type: 'warning',
      code: 'prompt-truncated',
      message: `The prompt has ${tokens.length} tokens but the context holds ${nPositions}: the first ${droppedTokens} were dropped.`,
      droppedTokens,
    },
  };
}
