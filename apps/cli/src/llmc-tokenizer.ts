import type { LlmcTokenizerTable } from '@gpt2/model';
import { BpeTokenizer, gpt2Tokenizer, type Tokenizer } from '@gpt2/tokenizer';
import { UserError } from './errors/user-error.js';

/**
 * llm.c's decoding table for a tokenizer: each id's bytes, specials as their
 * text. Only byte-level BPE tokenizers have bytes per id; for others, and for
 * tokenizers without an end-of-text token (llm.c's header needs one), the
 * reason is returned instead.
 */
export function llmcTableFor(tokenizer: Tokenizer): LlmcTokenizerTable | { skipped: string } {
  if (!(tokenizer instanceof BpeTokenizer)) {
    return { skipped: `${tokenizer.name} is not a byte-level BPE tokenizer` };
  }
  if (tokenizer.eotToken === undefined) {
    return {
      skipped: `${tokenizer.name} has no <|endoftext|> token, which llm.c's tokenizer.bin names`,
    };
  }
  const tokens: Uint8Array[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    if (!tokenizer.hasId(id)) return { skipped: `${tokenizer.name} has no token for id ${id}` };
    tokens.push(tokenizer.tokenBytes(id));
  }
  return { tokens, eotToken: tokenizer.eotToken };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((value, i) => value === b[i]);
}

/**
 * A tokenizer from llm.c's decoding table: GPT-2's own when the table is
 * GPT-2's, else a byte-level BPE that merges by rank (token id), tiktoken's
 * rule, with the EOT as its special token. The table holds no merge list or
 * split pattern: GPT-2's pattern is assumed, and for a vocabulary trained with
 * a merge list the rank rule may split rare words differently. When our
 * tokenizer file is at hand, it is used instead (see `gpt2 convert`).
 */
export async function tokenizerFromLlmcTable(
  table: LlmcTokenizerTable,
  source: string,
): Promise<Tokenizer> {
  const gpt2 = await gpt2Tokenizer();
  if (
    table.tokens.length === gpt2.vocabSize &&
    table.eotToken === gpt2.eotToken &&
    table.tokens.every((bytes, id) => sameBytes(bytes, gpt2.tokenBytes(id)))
  ) {
    return gpt2;
  }
  const eotText = new TextDecoder('utf-8', { fatal: false }).decode(table.tokens[table.eotToken]);
  try {
    return new BpeTokenizer({
      name: `llmc-${table.tokens.length}`,
      tokens: table.tokens.map((bytes, id) => (id === table.eotToken ? undefined : bytes)),
      rule: 'ranks',
      specialTokens: { [eotText]: table.eotToken },
    });
  } catch (error) {
    throw new UserError(
      `${source} cannot serve as a byte-level BPE tokenizer (${(error as Error).message}); pass --tokenizer FILE.`,
      { cause: error },
    );
  }
}
