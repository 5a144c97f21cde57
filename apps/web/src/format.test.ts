import { describe, expect, it } from 'vitest';
import { formatCount, formatLoss, formatRate, parseStopStrings } from './format.js';

describe('parseStopStrings', () => {
  it('splits on commas and trims spaces', () => {
    expect(parseStopStrings('The end, ###')).toEqual(['The end', '###']);
  });

  it('understands \\n, \\t and escaped commas', () => {
    expect(parseStopStrings('\\n\\n, a\\,b, \\t')).toEqual(['\n\n', 'a,b', '\t']);
  });

  it('drops empty entries', () => {
    expect(parseStopStrings(' , ,')).toEqual([]);
  });
});

describe('formatting', () => {
  it('formats counts, rates and losses for the stats line', () => {
    expect(formatCount(124_439_808)).toBe('124.4M');
    expect(formatCount(950)).toBe('950');
    expect(formatRate(4321.7)).toBe('4,322');
    expect(formatRate(12.34)).toBe('12.3');
    expect(formatRate(0.4567)).toBe('0.46');
    expect(formatRate(Number.NaN)).toBe('–');
    expect(formatLoss(3.14259)).toBe('3.143');
    expect(formatLoss(undefined)).toBe('–');
  });
});
