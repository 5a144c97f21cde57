import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { QuickstartReport } from '../quickstart-report.js';
import {
  lossCurveSource,
  PNG_SOURCE_KEYWORD,
  pngText,
  RESULTS_END,
  RESULTS_START,
  renderResultsSection,
  replaceResultsSection,
  withPngText,
} from './results-section.js';

const report: QuickstartReport = {
  format: 'gpt2-quickstart-report',
  version: 2,
  command: 'gpt2 quickstart',
  date: '2026-12-01T16:00:00.000Z',
  machine: { cpu: 'Test CPU', cores: 2, node: 'v20.20.2', loadAverage: { start: 0.4, end: 1.1 } },
  backend: 'wasm (cpu, 1 thread, SIMD, patched: BatchMatMul (xnnpack))',
  seconds: 470,
  stages: { tokenizer: 12, shards: 1, training: 440, evaluation: 10, samples: 7 },
  timeBudgetMs: 480_000,
  plan: null,
  steps: 980,
  stopReason: 'max-steps',
  tokenizer: { name: 'bpe-1024', vocabSize: 1024 },
  model: { nLayer: 4, nHead: 4, nEmbd: 128, nPositions: 128, parameters: 940_800 },
  batchSize: 16,
  evaluation: {
    tokens: 32_768,
    scored: 32_512,
    model: { meanNll: 4.1, perplexity: Math.exp(4.1), bitsPerByte: 2.3 },
    unigram: { meanNll: 6.0, perplexity: Math.exp(6.0), bitsPerByte: 3.4 },
  },
  curve: {
    train: [
      { step: 1, loss: 6.9 },
      { step: 2, loss: 6.5 },
    ],
    val: [{ step: 0, loss: 6.95 }],
  },
  samples: {
    settings: 'temperature 0.8',
    pairs: [{ prompt: 'The jury said', model: ' that *the* | court\nwas', unigram: ' , the of' }],
  },
  files: {
    checkpoint: 'checkpoints/step-00000980',
    metrics: 'metrics.jsonl',
    lossCurve: 'loss-curve.svg',
  },
};

describe('the README results section', () => {
  it("names each column's model when the reports come from different defaults", () => {
    const wider = { ...report, model: { ...report.model, nEmbd: 192, parameters: 2_000_000 } };
    const one = renderResultsSection(
      [
        { label: 'a', report, path: 'a.json' },
        { label: 'b', report, path: 'b.json' },
      ],
      'c.png',
    );
    expect(one).toContain('Model: 4 layers, width 128, context 128 (940,800 parameters)');
    const two = renderResultsSection(
      [
        { label: 'a', report, path: 'a.json' },
        { label: 'b', report: wider, path: 'b.json' },
      ],
      'c.png',
    );
    expect(two).toContain('Models: a: 4 layers, width 128');
    expect(two).toContain('; b: 4 layers, width 192, context 128 (2,000,000 parameters)');
  });

  it('shows one measurement per column: loss, e^loss and bits per byte of the same evaluation', () => {
    const section = renderResultsSection(
      [{ label: 'no OpenBLAS', report, path: 'docs/results/r.json' }],
      'docs/images/curve.png',
    );
    expect(section.startsWith(RESULTS_START)).toBe(true);
    expect(section.endsWith(RESULTS_END)).toBe(true);
    expect(section).toContain('| validation loss (nats/token) | **4.100** | 6.000 |');
    expect(section).toContain(`| perplexity (e^loss) | **${Math.exp(4.1).toFixed(1)}** | 403.4 |`);
    expect(section).toContain('| bits per byte | **2.300** | 3.400 |');
    expect(section).toContain('load average 0.40 at the start and 1.10 at the end');
    expect(section).toContain('2026-12-01, `gpt2 quickstart` on wasm (XNNPACK, no OpenBLAS)');
    // Sample text cannot break the markdown.
    expect(section).toContain('- *The jury said* that \\*the\\* \\| court was');
    expect(section).toContain('  - unigram: *The jury said* , the of');
  });

  it("tells the time budget's plan and its re-plans", () => {
    const fit = {
      measuredSteps: 40,
      msPerEval: 600,
      limitedBy: 'time' as const,
      schedule: { type: 'constant' as const, lr: 1e-3 },
    };
    const planned: QuickstartReport = {
      ...report,
      plan: {
        ...fit,
        budgetMs: 456_000,
        maxSteps: 20_000,
        plannedAtStep: 43,
        plannedAtMs: 10_000,
        msPerStep: 20,
        tokensPerSecond: 24_700,
        totalSteps: 10_619,
        estimatedMs: 440_000,
        replans: [
          {
            ...fit,
            plannedAtStep: 2000,
            plannedAtMs: 55_000,
            msPerStep: 24,
            tokensPerSecond: 21_200,
            totalSteps: 9400,
            previousTotalSteps: 10_619,
            estimatedMs: 441_000,
          },
        ],
      },
    };
    const section = renderResultsSection(
      [{ label: 'native', report: planned, path: 'docs/results/r.json' }],
      'docs/images/curve.png',
    );
    expect(section).toContain(
      'After 43 steps the trainer planned "~24.7k tok/s measured → 10619 steps fit in 7m36s (',
    );
    expect(section).toContain(
      ', re-planned once from the speed measured on the way ("re-plan at step 2000: ~21.2k tok/s → 9400 steps (was 10619), est. 7m21s"), and stopped at step 980 (max-steps).',
    );
  });

  it('replaces only what is between the markers, and says how to add them', () => {
    const readme = `# Title\n\n${RESULTS_START}\nold\n${RESULTS_END}\n\nAfter.\n`;
    const section = `${RESULTS_START}\nnew\n${RESULTS_END}`;
    const updated = replaceResultsSection(readme, section);
    expect(updated).toBe(`# Title\n\n${section}\n\nAfter.\n`);
    expect(replaceResultsSection(updated, section)).toBe(updated);
    expect(() => replaceResultsSection('# no markers', section)).toThrow(/add the lines/);
  });

  it('the loss curve source hash changes with the report', () => {
    const a = lossCurveSource(report, 'x');
    expect(lossCurveSource(report, 'x')).toEqual(a);
    const changed = { ...report, curve: { ...report.curve, val: [{ step: 0, loss: 7 }] } };
    expect(lossCurveSource(changed, 'x').hash).not.toBe(a.hash);
    expect(a.svg).toContain('<svg');
  });
});

/** A valid 1×1 white PNG, built by hand. */
function tinyPng(): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Uint8Array) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
    return out;
  };
  const header = new Uint8Array(13);
  new DataView(header.buffer).setUint32(0, 1);
  new DataView(header.buffer).setUint32(4, 1);
  header.set([8, 2, 0, 0, 0], 8);
  const pixels = deflateSync(Uint8Array.from([0, 255, 255, 255]));
  const parts = [
    Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', new Uint8Array(0)),
  ];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('PNG text chunks', () => {
  it('writes, reads and replaces the source hash, before IEND, with a valid CRC', () => {
    const png = tinyPng();
    expect(pngText(png, PNG_SOURCE_KEYWORD)).toBeUndefined();
    const once = withPngText(png, PNG_SOURCE_KEYWORD, 'abc');
    expect(pngText(once, PNG_SOURCE_KEYWORD)).toBe('abc');
    const twice = withPngText(once, PNG_SOURCE_KEYWORD, 'def');
    expect(pngText(twice, PNG_SOURCE_KEYWORD)).toBe('def');
    expect(twice.length).toBe(once.length);
    // IEND stays last.
    expect(new TextDecoder().decode(twice.subarray(twice.length - 8, twice.length - 4))).toBe(
      'IEND',
    );
    expect(() => pngText(new Uint8Array(20), PNG_SOURCE_KEYWORD)).toThrow(/not a PNG/);
  });
});
