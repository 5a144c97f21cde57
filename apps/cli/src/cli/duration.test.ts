import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads the forms people write', () => {
    expect(parseDuration('8m')).toBe(480_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('7m30s')).toBe(450_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('480')).toBe(480_000);
    expect(parseDuration('250ms')).toBe(250);
  });
  it('rejects anything else with the accepted forms', () => {
    for (const bad of ['', '8 minutes', 'm', '8x', '-5m', '0s', '5m junk']) {
      expect(() => parseDuration(bad), bad).toThrow(/write it like 8m/);
    }
  });
});
