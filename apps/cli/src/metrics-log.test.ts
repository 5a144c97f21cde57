import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsLog, metricsLine, readLossHistory } from './metrics-log.js';

describe('metrics log', () => {
  it('appends one JSON line per event, in order, and reads the loss history back', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'gpt2-metrics-')), 'metrics.jsonl');
    const log = new MetricsLog(path);
    log.write({ type: 'eval', step: 0, valLoss: 6.5, batches: 2, best: true });
    for (let step = 1; step <= 4; step++) {
      log.write({
        type: 'step',
        step,
        totalSteps: 4,
        epoch: undefined,
        loss: 7 - step,
        lr: 1e-3,
        gradNorm: 1,
        tokens: 64,
        tokensPerSecond: 100,
        mfu: undefined,
        elapsedMs: step,
        etaMs: undefined,
      });
    }
    log.write({ type: 'eval', step: 4, valLoss: 3.5, batches: 2, best: true });
    // On disk at once, without a turn of the event loop (a wasm training loop rarely gives one).
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    await log.flush();
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[1]!)).toMatchObject({ type: 'step', step: 1, loss: 6 });
    const history = await readLossHistory(path, 3);
    expect(history.train.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(history.val).toEqual([{ step: 0, loss: 6.5 }]);
    expect(
      metricsLine(
        { type: 'stop', step: 1, reason: 'aborted', elapsedMs: 1, bestValLoss: undefined },
        new Date(0),
      ),
    ).toBe(
      '{"time":"1970-01-01T00:00:00.000Z","type":"stop","step":1,"reason":"aborted","elapsedMs":1}\n',
    );
  });
});
