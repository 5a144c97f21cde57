import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { TrainerEvent } from '@gpt2/trainer';
import type { LossPoint } from './plot/loss-curve.js';

/** A trainer event as one JSON line, with the wall-clock time. */
export function metricsLine(event: TrainerEvent, now = new Date()): string {
  return `${JSON.stringify({ time: now.toISOString(), ...event })}\n`;
}

/**
 * Appends trainer events to a JSONL file, one line per event, in order, as
 * they happen. The write is synchronous (a line per step is microseconds): a
 * training loop on wasm rarely yields to the event loop, and queued async
 * appends fell minutes behind the run. A write error is kept and rethrown
 * by {@link MetricsLog.flush}; training goes on meanwhile.
 */
export class MetricsLog {
  readonly path: string;
  #error: unknown;

  constructor(path: string) {
    this.path = path;
  }

  /** Append one event. */
  write(event: TrainerEvent): void {
    if (this.#error) return;
    try {
      appendFileSync(this.path, metricsLine(event));
    } catch (error) {
      this.#error = error;
    }
  }

  /** Rethrows the first write error, if any. */
  async flush(): Promise<void> {
    if (this.#error) throw this.#error;
  }
}

/** Train and val loss points from a metrics.jsonl, up to `maxStep` (for a resumed run's curve). */
export async function readLossHistory(
  path: string,
  maxStep: number,
): Promise<{ train: LossPoint[]; val: LossPoint[] }> {
  const train: LossPoint[] = [];
  const val: LossPoint[] = [];
  const text = await readFile(path, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let event: { type?: string; step?: number; loss?: number; valLoss?: number };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      continue; // a line cut short by a crash
    }
    if (typeof event.step !== 'number' || event.step > maxStep) continue;
    if (event.type === 'step' && typeof event.loss === 'number') {
      train.push({ step: event.step, loss: event.loss });
    } else if (event.type === 'eval' && typeof event.valLoss === 'number') {
      val.push({ step: event.step, loss: event.valLoss });
    }
  }
  return { train, val };
}
