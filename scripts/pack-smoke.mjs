#!/usr/bin/env node
// Packaging smoke test: proves `pnpm add @gpt2/<name>` works for a third party.
// Packs every publishable @gpt2/* package, installs the tarballs into a fresh
// project outside the workspace, imports each package at run time and
// type-checks a consumer file against the published .d.ts files.
// Each of those is a named check; the last line counts them,
// "pack smoke: P passed, F failed", whatever happened (a check that threw
// and the ones it kept from running count as failed).
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'gpt2-pack-'));
const tarballs = join(work, 'tarballs');
const consumer = join(work, 'consumer');
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

const checks = [];
/** Checks the run should do: one pack per package, then install, import, example, types. */
let expected = 1;
let current = 'list the packages';
/** Run one named check; its failure stops the smoke test (later checks need it). */
const check = (name, body) => {
  current = name;
  const value = body();
  checks.push({ name, ok: true });
  return value;
};
let failed = false;
try {
  const packages = readdirSync(join(root, 'packages'))
    .map((dir) => ({
      dir: join(root, 'packages', dir),
      json: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
    }))
    .filter((p) => !p.json.private);
  expected = packages.length + 4;
  const files = {};
  for (const p of packages) {
    check(`pack + publint ${p.json.name}`, () => {
      const out = run('pnpm', ['pack', '--pack-destination', tarballs], p.dir)
        .trim()
        .split('\n')
        .pop();
      files[p.json.name] = out.startsWith('/') ? out : join(tarballs, out);
      run('npx', ['--no-install', 'publint', '--strict'], p.dir);
      console.log(`packed ${p.json.name}@${p.json.version} (publint clean)`);
    });
  }
  const fileSpecs = Object.fromEntries(
    Object.entries(files).map(([name, f]) => [name, `file:${f}`]),
  );
  mkdirSync(consumer, { recursive: true });
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify(
      {
        name: 'gpt2-consumer',
        private: true,
        type: 'module',
        dependencies: { ...fileSpecs, '@tensorflow/tfjs-core': '4.22.0' },
        devDependencies: { typescript: '5.9.3', '@types/node': '20.19.9' },
        overrides: fileSpecs,
      },
      null,
      2,
    ),
  );
  console.log('installing the tarballs into a fresh project (npm)…');
  check('install the tarballs', () =>
    run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
      consumer,
    ),
  );

  const names = Object.keys(files);
  // Runtime: every package imports under plain Node ESM, with no workspace paths.
  writeFileSync(
    join(consumer, 'runtime.mjs'),
    names
      .map(
        (n, i) =>
          `import * as m${i} from '${n}';\nif (Object.keys(m${i}).length === 0) throw new Error('${n} exports nothing');`,
      )
      .join('\n') +
      "\nconst { initBackend } = await import('@gpt2/backends');\nconst info = await initBackend('cpu');\nconsole.log('runtime imports ok; backend', info.name);\n",
  );
  check('import every package', () => process.stdout.write(run('node', ['runtime.mjs'], consumer)));
  // The README's API example, against the published packages.
  copyFileSync(join(root, 'docs', 'examples', 'api-tour.mjs'), join(consumer, 'api-tour.mjs'));
  check("the README's API example", () =>
    process.stdout.write(run('node', ['api-tour.mjs'], consumer)),
  );
  // Types: a consumer file type-checks against the published declarations.
  writeFileSync(
    join(consumer, 'consumer.ts'),
    names.map((n, i) => `import * as m${i} from '${n}';`).join('\n') +
      `\nimport { initBackend, type BackendInfo } from '@gpt2/backends';\nconst info: BackendInfo = await initBackend('cpu');\nexport const used = [${names.map((_, i) => `m${i}`).join(', ')}, info];\n`,
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        types: ['node', 'long'],
        skipLibCheck: false,
        lib: ['ES2022', 'DOM'],
      },
      files: ['consumer.ts'],
    }),
  );
  check('type-check a consumer', () => run('npx', ['--no-install', 'tsc', '-p', '.'], consumer));
  console.log(`type-check ok for ${names.length} packages`);
} catch (error) {
  failed = true;
  console.error(`pack smoke failed in "${current}": ${error.message}\n${error.stdout ?? ''}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
// A failed check stops the rest, which count as failed too: they did not pass.
const passed = checks.length;
console.log(`pack smoke: ${passed} passed, ${failed ? Math.max(1, expected - passed) : 0} failed`);
process.exit(failed ? 1 : 0);
