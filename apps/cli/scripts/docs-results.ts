/**
 * The README's results section and loss-curve picture, from the committed
 * quickstart reports in docs/results/.
 *
 *   pnpm docs:results                      # regenerate README section + PNG
 *   pnpm docs:results --check              # fail if the README or PNG is stale (CI)
 *   pnpm docs:results --import .runs/quickstart/report.json
 *                                          # adopt a run's report (its column follows its
 *                                          # backend: built-in sgemm, wasm or OpenBLAS), then regenerate
 *
 * The PNG is Chromium's rendering of the SVG the CLI draws (Debian's
 * chromium, through playwright-core); it carries the SVG's hash in a tEXt
 * chunk, which is what --check compares (no browser needed there).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import {
  type LabelledReport,
  lossCurveSource,
  PNG_SOURCE_KEYWORD,
  pngText,
  renderResultsSection,
  replaceResultsSection,
  withPngText,
} from '../src/docs/results-section.js';
import { assertQuickstartReport } from '../src/quickstart-report.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const README = join(ROOT, 'README.md');
const IMAGE = 'docs/images/quickstart-loss-curve.png';
/**
 * The reports the README shows, in column order; the first one gets the picture and samples.
 * A fresh machine has a C compiler but no OpenBLAS, so the native backend on its built-in sgemm
 * comes first; wasm is what a machine without a compiler gets.
 */
const RUNS = [
  { as: 'builtin', label: 'no OpenBLAS', path: 'docs/results/quickstart-report-builtin.json' },
  { as: 'xnnpack', label: 'no C compiler', path: 'docs/results/quickstart-report.json' },
  { as: 'openblas', label: 'with OpenBLAS', path: 'docs/results/quickstart-report-openblas.json' },
] as const;

/** The column a run fills, from the backend that trained it. */
function columnOf(backend: string): (typeof RUNS)[number]['as'] {
  if (backend.includes('built-in sgemm')) return 'builtin';
  return backend.startsWith('native ') || backend.toLowerCase().includes('openblas')
    ? 'openblas'
    : 'xnnpack';
}

async function readReports(): Promise<LabelledReport[]> {
  const runs: LabelledReport[] = [];
  for (const run of RUNS) {
    const text = await readFile(join(ROOT, run.path), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    runs.push({
      label: run.label,
      path: run.path,
      report: assertQuickstartReport(JSON.parse(text), run.path),
    });
  }
  if (runs.length === 0)
    throw new Error(
      `No report in docs/results/: run \`pnpm start\`, then \`pnpm docs:results --import .runs/quickstart/report.json\`.`,
    );
  return runs;
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}

async function renderPng(svg: string): Promise<Uint8Array> {
  // A devDependency: only this docs script renders pictures; the CLI does not ship it.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.GPT2_CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  try {
    const size = /width="(\d+)" height="(\d+)"/.exec(svg);
    const page = await browser.newPage({
      viewport: { width: Number(size?.[1] ?? 720), height: Number(size?.[2] ?? 420) },
      deviceScaleFactor: 2,
    });
    await page.setContent(`<html><body style="margin:0;background:#fff">${svg}</body></html>`);
    return new Uint8Array(await page.screenshot({ type: 'png' }));
  } finally {
    await browser.close();
  }
}

async function main(args: string[]): Promise<number> {
  const importAt = args.indexOf('--import');
  if (importAt >= 0) {
    // `pnpm docs:results` runs this in apps/cli; a relative path means where the user typed it.
    const from = resolve(process.env.INIT_CWD ?? process.cwd(), args[importAt + 1] ?? '');
    const report = assertQuickstartReport(JSON.parse(await readFile(from, 'utf8')), from);
    // The backend that trained decides which column the report fills.
    const as = columnOf(report.backend);
    const run = RUNS.find((r) => r.as === as)!;
    if (!/^(wasm|native) /.test(report.backend)) {
      throw new Error(`${from} trained on ${report.backend}; the README compares CPU runs.`);
    }
    // Paths of the run's own files mean nothing in the repository: keep them relative to its folder.
    const folder = resolve(from, '..');
    const local = (path: string | null) => (path === null ? null : relative(folder, path));
    report.files = {
      checkpoint: local(report.files.checkpoint),
      metrics: local(report.files.metrics) ?? '',
      lossCurve: local(report.files.lossCurve) ?? '',
    };
    await writeAtomic(join(ROOT, run.path), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`${relative(process.cwd(), from)} → ${run.path}`);
  }
  const runs = await readReports();
  const section = renderResultsSection(runs, IMAGE);
  const readme = await readFile(README, 'utf8');
  const updated = replaceResultsSection(readme, section);
  const primary = runs[0]!;
  const { svg, hash } = lossCurveSource(primary.report, primary.label);
  const png = await readFile(join(ROOT, IMAGE)).catch(() => undefined);
  if (args.includes('--check')) {
    const problems = [];
    if (updated !== readme) problems.push('README.md results section');
    if (!png || pngText(png, PNG_SOURCE_KEYWORD) !== hash) problems.push(IMAGE);
    if (problems.length > 0) {
      console.error(
        `docs: stale: ${problems.join(', ')} no longer match${problems.length === 1 ? 'es' : ''} ${runs.map((r) => r.path).join(', ')}. Run \`pnpm docs:results\` and commit the result.`,
      );
      return 1;
    }
    console.log(`docs: README results and ${IMAGE} match ${runs.map((r) => r.path).join(', ')}`);
    return 0;
  }
  if (updated !== readme) await writeAtomic(README, updated);
  if (!png || pngText(png, PNG_SOURCE_KEYWORD) !== hash) {
    await writeAtomic(
      join(ROOT, IMAGE),
      withPngText(await renderPng(svg), PNG_SOURCE_KEYWORD, hash),
    );
  }
  console.log(
    `docs: README results and ${IMAGE} regenerated from ${runs.map((r) => r.path).join(', ')}`,
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
