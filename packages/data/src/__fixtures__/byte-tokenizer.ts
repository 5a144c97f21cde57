/**
 * A tiny byte-level tokenizer for tests: token = UTF-8 byte, 256 = <|endoftext|>.
 * Exports `tokenizerFromJSON` so that it can be the `tokenizerModule` of prepare's workers.
 */
const encoder = new TextEncoder();

export interface ByteTokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly eotToken: number | undefined;
  encode(text: string): number[];
  decode(ids: ArrayLike<number>): string;
  createStreamDecoder(): { push(id: number): string; flush(): string };
  toJSON(): { type: string };
}

export function byteTokenizer(): ByteTokenizer {
  const decode = (ids: ArrayLike<number>) => {
    const parts: string[] = [];
    let bytes: number[] = [];
    const flush = () => {
      parts.push(new TextDecoder().decode(Uint8Array.from(bytes)));
      bytes = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id === 256) {
        flush();
        parts.push('<|endoftext|>');
      } else bytes.push(id);
    }
    flush();
    return parts.join('');
  };
  return {
    name: 'test-bytes',
    vocabSize: 257,
    eotToken: 256,
    encode: (text) => Array.from(encoder.encode(text)),
    decode,
    createStreamDecoder() {
      const held: number[] = [];
      return {
        push(id) {
          held.push(id);
          return '';
        },
        flush: () => decode(held.splice(0)),
      };
    },
    toJSON: () => ({ type: 'test-bytes' }),
  };
}

export async function tokenizerFromJSON(json: { type: string }): Promise<ByteTokenizer> {
  if (json.type !== 'test-bytes') throw new TypeError(`unknown tokenizer type ${json.type}`);
  return byteTokenizer();
}
