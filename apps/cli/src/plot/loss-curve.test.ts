import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { niceTicks, renderLossCurveSvg, writeLossCurveSvg } from './loss-curve.js';

describe('loss curve', () => {
  it('picks 1-2-5 ticks', () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(2.1, 3.9)).toEqual([2.5, 3, 3.5]);
  });

  it('draws train and val lines, axes, labels and a legend', () => {
    const svg = renderLossCurveSvg({
      train: [
        { step: 0, loss: 6 },
        { step: 10, loss: 4 },
        { step: 20, loss: Number.NaN },
      ],
      val: [
        { step: 0, loss: 6.1 },
        { step: 20, loss: 4.2 },
      ],
      title: 'tiny <run>',
      baseline: { loss: 5, label: 'unigram' },
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toMatch(/>step</);
    expect(svg).toMatch(/loss \(nats\/token\)/);
    expect(svg).toMatch(/train 4\.000/);
    expect(svg).toMatch(/val 4\.200/);
    expect(svg).toMatch(/tiny &#60;run&#62;/);
    expect(svg).toMatch(/unigram/);
    expect(svg).not.toMatch(/NaN/);
  });

  it('renders an empty chart without crashing and writes atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gpt2-curve-'));
    const path = join(dir, 'sub', 'loss.svg');
    await writeLossCurveSvg(path, { train: [], val: [] });
    expect(await readFile(path, 'utf8')).toMatch(/<\/svg>\n$/);
  });
});
