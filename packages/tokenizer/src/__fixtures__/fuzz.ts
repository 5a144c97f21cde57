/** Seeded text fuzzer for parity tests: mixes scripts, emoji, whitespace and special-token look-alikes. */

/** mulberry32: a small deterministic PRNG. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pools: string[][] = [
  ['the', ' the', 'The', ' quick', 'brown', ' fox', 'jumps', 'over', 'a', 'I', 'hello', 'World', 'ÉCOLE', 'naïve'],
  ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'Re", "''", "'", "'x", "don't", "I'M"],
  [' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n ', '\u00a0', '\u2003', '\u3000', '\u2028', '\u0085', '\ufeff', '\v', '\f'],
  ['0', '7', '42', '1234567', '3.14', '1,000', '٣', '²', '½', 'Ⅻ', '١٢٣'],
  ['.', ',', '!', '?', '...', '—', '–', '(', ')', '[', ']', '{', '}', '<', '>', '|', '#', '@', '$', '%', '^', '&', '*', '_', '~', '`', '\\', '/', '"'],
  ['“', '”', '‘', '’', '«', '»', '„'],
  ['日本語', '中文', '한국어', 'ひらがな', 'カタカナ', '漢字', '。', '、'],
  ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '❤️', '🇯🇵', '🫠', '✨', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '𝟙𝟚'],
  ['e\u0301', 'a\u0308\u0304', '\u0301', 'ñ', 'Å', 'ﬁ', 'ǅ'],
  ['Привет', 'мир', 'مرحبا', 'שלום', 'नमस्ते', 'ไทย', 'Ελληνικά', 'Ωmega'],
  ['\u0000', '\u0001', '\u001b[0m', '\u007f', '\u200b', '\u200d', '\u2060', '\ufffd'],
  ['\ud800', '\udfff', '\ud83d', 'x\udc00y'],
  ['<|endoftext|', '<|endoftext', '|endoftext|>', '<|endof text|>', '<|ENDOFTEXT|>', '<|endoftext|>', '<|fim_prefix|>', '<s>', '</s>'],
];

/** One random string: 0–40 fragments from random pools, sometimes random code points. */
export function randomText(random: () => number): string {
  const n = Math.floor(random() * 40);
  let s = '';
  for (let i = 0; i < n; i++) {
    if (random() < 0.1) {
      // A random code point from anywhere in Unicode (surrogate halves included).
      const cp = random() < 0.7 ? Math.floor(random() * 0x3000) : Math.floor(random() * 0x110000);
      s += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
      continue;
    }
    const pool = pools[Math.floor(random() * pools.length)]!;
    s += pool[Math.floor(random() * pool.length)]!;
  }
  return s;
}

/** Hand-picked edge cases, written to a file by the tests. */
export const EDGE_CASES: string[] = [
  '',
  ' ',
  'a',
  "'s'll're've'm't'd",
  "it's we'll they're I've I'm can't he'd",
  "IT'S WE'LL THEY'RE I'VE I'M CAN'T HE'D",
  "''s ''' 'sss 'llama 'dd",
  "  'll",
  'hello   world',
  'trailing   ',
  '   leading',
  '\n\n\nnewlines\n\n',
  ' \t \n mixed \r\n whitespace \u00a0\u00a0 nbsp',
  '1234567890 12 3.14159 1,000,000 ٣٤٥ ²³ ½',
  'a1b2c3 A1 1a',
  '👨‍👩‍👧‍👦 family 👍🏽 thumbs 🏳️‍🌈 flag 🇯🇵',
  '日本語のテキスト。中文文本，한국어 텍스트',
  'e\u0301te\u0301 cafe\u0301 Z\u0351\u0352\u0353algo',
  '“curly” ‘quotes’ «guillemets» „low“',
  '\u0000\u0001\u0002\u001b[31mred\u001b[0m\u007f',
  '\ud800 lone high, lone low \udc00, reversed \udc00\ud800, good \ud83d\ude00',
  '\u200b\u200c\u200d\u2060\ufeff zero width',
  ' '.repeat(1000),
  '\n'.repeat(500) + 'x',
  '9'.repeat(2000),
  'a'.repeat(3000),
  '!'.repeat(1500),
  'ab'.repeat(1000),
  '<|endoftext|',
  'sent<|endoftext|>another',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 mathematical',
  'Ελληνικά Русский עברית العربية हिन्दी ไทย',
];
