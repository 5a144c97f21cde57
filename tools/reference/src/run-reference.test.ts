import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceScript } from './run-reference.js';

describe('referenceScript', () => {
  it('finds every Python script of the reference', () => {
    for (const script of [
      'bench_step.py',
      'bench_generate.py',
      'check_checkpoint.py',
      'check_llmc.py',
      'make_fixtures.py',
      'write_llmc.py',
    ] as const) {
      expect(existsSync(referenceScript(script)), script).toBe(true);
    }
  });
});
