import { describe, expect, it } from 'vitest';
import { StopStringMatcher } from './stop-string-matcher.js';

function feed(matcher: StopStringMatcher, deltas: string[]): string[] {
  return deltas.map((delta) => matcher.push(delta).text);
}

describe('StopStringMatcher', () => {
  it('passes text through without stop strings', () => {
    const matcher = new StopStringMatcher([]);
    expect(feed(matcher, ['a', 'b'])).toEqual(['a', 'b']);
  });
  it('holds back a possible stop-string prefix and never emits the stop string', () => {
    const matcher = new StopStringMatcher(['\n\n']);
    expect(feed(matcher, ['Hi', '\n', '\n', 'more'])).toEqual(['Hi', '', '', '']);
    expect(matcher.stopped).toBe(true);
    expect(matcher.text).toBe('Hi');
  });
  it('releases held text when the stop string does not complete', () => {
    const matcher = new StopStringMatcher(['END']);
    expect(feed(matcher, ['x E', 'N', 'x'])).toEqual(['x ', '', 'ENx']);
    expect(matcher.stopped).toBe(false);
  });
  it('finds a stop string spanning several deltas and cuts inside a delta', () => {
    const matcher = new StopStringMatcher(['stop here', 'zz']);
    const out = feed(matcher, ['we s', 'top h', 'ere and more']);
    expect(out.join('')).toBe('we ');
    expect(matcher.text).toBe('we ');
  });
  it('takes the earliest of several stop strings', () => {
    const matcher = new StopStringMatcher(['b', 'a']);
    expect(matcher.push('xxab').text).toBe('xx');
  });
  it('flush releases held text at the end', () => {
    const matcher = new StopStringMatcher(['###']);
    expect(matcher.push('a##').text).toBe('a');
    expect(matcher.flush()).toBe('##');
  });
  it('rejects empty stop strings', () => {
    expect(() => new StopStringMatcher([''])).toThrow(RangeError);
  });
});
