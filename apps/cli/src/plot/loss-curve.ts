import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One point of a loss curve. */
export interface LossPoint {
  step: number;
  loss: number;
}

/** Options for {@link renderLossCurveSvg}. */
export interface LossCurveOptions {
  /** Training loss, usually one point per logged step. */
  train: readonly LossPoint[];
  /** Validation loss, one point per evaluation. */
  val: readonly LossPoint[];
  /** Title above the plot. Default: `Loss`. */
  title?: string;
  /** A horizontal reference line, e.g. the unigram baseline's loss. Default: none. */
  baseline?: { loss: number; label: string };
  /** Picture width in px. Default: {@link DEFAULT_LOSS_CURVE_WIDTH}. */
  width?: number;
  /** Picture height in px. Default: {@link DEFAULT_LOSS_CURVE_HEIGHT}. */
  height?: number;
}

export const DEFAULT_LOSS_CURVE_WIDTH = 720;
export const DEFAULT_LOSS_CURVE_HEIGHT = 420;

const TRAIN_COLOR = '#1f77b4';
const VAL_COLOR = '#d62728';
const BASELINE_COLOR = '#7f7f7f';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 1, 2, 5 × 10^k ticks covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

function formatTick(value: number): string {
  if (Math.abs(value) >= 10_000) return `${Number((value / 1000).toPrecision(4))}k`;
  return String(Number(value.toPrecision(4)));
}

/**
 * An SVG line chart of training and validation loss against steps, with axes,
 * ticks, labels and a legend. Non-finite points are skipped. Pure: returns the
 * SVG text.
 */
export function renderLossCurveSvg(options: LossCurveOptions): string {
  const width = options.width ?? DEFAULT_LOSS_CURVE_WIDTH;
  const height = options.height ?? DEFAULT_LOSS_CURVE_HEIGHT;
  const title = options.title ?? 'Loss';
  const train = options.train.filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.step));
  const val = options.val.filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.step));
  const all = [...train, ...val];
  const margin = { left: 64, right: 20, top: 40, bottom: 52 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;

  const steps = all.map((p) => p.step);
  const losses = all.map((p) => p.loss);
  if (options.baseline && Number.isFinite(options.baseline.loss))
    losses.push(options.baseline.loss);
  let xMin = steps.length > 0 ? Math.min(...steps) : 0;
  let xMax = steps.length > 0 ? Math.max(...steps) : 1;
  if (xMax === xMin) xMax = xMin + 1;
  let yMin = losses.length > 0 ? Math.min(...losses) : 0;
  let yMax = losses.length > 0 ? Math.max(...losses) : 1;
  const pad = (yMax - yMin) * 0.05 || 0.5;
  yMin -= pad;
  yMax += pad;
  xMin = Math.min(xMin, 0);

  const x = (step: number) => margin.left + ((step - xMin) / (xMax - xMin)) * plotW;
  const y = (loss: number) => margin.top + (1 - (loss - yMin) / (yMax - yMin)) * plotH;
  const f = (v: number) => v.toFixed(1);

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (const tick of niceTicks(yMin, yMax)) {
    parts.push(
      `<line x1="${margin.left}" y1="${f(y(tick))}" x2="${margin.left + plotW}" y2="${f(y(tick))}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${f(y(tick) + 4)}" text-anchor="end">${formatTick(tick)}</text>`,
    );
  }
  for (const tick of niceTicks(xMin, xMax)) {
    parts.push(
      `<line x1="${f(x(tick))}" y1="${margin.top + plotH}" x2="${f(x(tick))}" y2="${margin.top + plotH + 5}" stroke="#000"/>`,
      `<text x="${f(x(tick))}" y="${margin.top + plotH + 18}" text-anchor="middle">${formatTick(tick)}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="#000"/>`,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="#000"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 12}" text-anchor="middle">step</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">loss (nats/token)</text>`,
  );
  if (options.baseline && Number.isFinite(options.baseline.loss)) {
    const by = f(y(options.baseline.loss));
    parts.push(
      `<line x1="${margin.left}" y1="${by}" x2="${margin.left + plotW}" y2="${by}" stroke="${BASELINE_COLOR}" stroke-dasharray="6 4"/>`,
      `<text x="${margin.left + plotW - 4}" y="${Number(by) - 4}" text-anchor="end" fill="${BASELINE_COLOR}">${escapeXml(options.baseline.label)}</text>`,
    );
  }
  const polyline = (points: readonly LossPoint[], color: string, markers: boolean) => {
    if (points.length === 0) return;
    const coords = points.map((p) => `${f(x(p.step))},${f(y(p.loss))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${coords}"/>`);
    if (markers) {
      for (const p of points) {
        parts.push(`<circle cx="${f(x(p.step))}" cy="${f(y(p.loss))}" r="3" fill="${color}"/>`);
      }
    }
  };
  polyline(train, TRAIN_COLOR, false);
  polyline(val, VAL_COLOR, true);
  const legendX = margin.left + plotW - 150;
  const legendY = margin.top + 10;
  const lastTrain = train.at(-1);
  const lastVal = val.at(-1);
  parts.push(
    `<rect x="${legendX - 8}" y="${legendY - 12}" width="156" height="44" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>`,
    `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 20}" y2="${legendY}" stroke="${TRAIN_COLOR}" stroke-width="2"/>`,
    `<text x="${legendX + 26}" y="${legendY + 4}">train${lastTrain ? ` ${lastTrain.loss.toFixed(3)}` : ''}</text>`,
    `<line x1="${legendX}" y1="${legendY + 20}" x2="${legendX + 20}" y2="${legendY + 20}" stroke="${VAL_COLOR}" stroke-width="2"/>`,
    `<text x="${legendX + 26}" y="${legendY + 24}">val${lastVal ? ` ${lastVal.loss.toFixed(3)}` : ''}</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

/** Render and write the loss curve atomically (temp file + rename), so viewers never see half a file. */
export async function writeLossCurveSvg(path: string, options: LossCurveOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, renderLossCurveSvg(options));
  await rename(temporary, path);
}
