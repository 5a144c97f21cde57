#!/usr/bin/env node
// Packaging smoke test: proves `pnpm add @gpt2/<name>` works for a third party.
// Packs every publishable @gpt2/* package (publint and attw clean), installs the
// tarballs into a fresh project outside the workspace, imports each package at
// run time and type-checks a consumer file against the published .d.ts files.
// A second project installs only @gpt2/backends and @gpt2/model with tfjs-core
// and tfjs-backend-wasm (the backends' other packages are optional peers), and
// trains there through createWasmBackend.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
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

/**
 * A third party that installs only @gpt2/backends and @gpt2/model (with its
 * own workspace dependencies), tfjs-core and tfjs-backend-wasm: no webgl,
 * webgpu, tfjs-node or union package reach its node_modules, and it trains.
 */
function wasmOnlyConsumer(files) {
  const project = join(work, 'wasm-only');
  const closure = (name, seen = new Set()) => {
    if (seen.has(name) || !files[name]) return seen;
    seen.add(name);
    const json = JSON.parse(
      readFileSync(join(root, 'packages', name.replace('@gpt2/', ''), 'package.json'), 'utf8'),
    );
    for (const dependency of Object.keys(json.dependencies ?? {})) closure(dependency, seen);
    return seen;
  };
  const ours = Object.fromEntries(
    [...closure('@gpt2/model')].map((name) => [name, `file:${files[name]}`]),
  );
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'gpt2-wasm-only',
        private: true,
        type: 'module',
        dependencies: {
          '@gpt2/backends': ours['@gpt2/backends'],
          '@gpt2/model': ours['@gpt2/model'],
          '@tensorflow/tfjs-core': '4.22.0',
          '@tensorflow/tfjs-backend-wasm': '4.22.0',
        },
        overrides: ours,
      },
      null,
      2,
    ),
  );
  console.log(`installing a wasm-only project (${Object.keys(ours).join(', ')})…`);
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    project,
  );
  const absent = [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-webgl',
    '@tensorflow/tfjs-backend-webgpu',
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs-node-gpu',
    'webgpu',
  ].filter((name) => existsSync(join(project, 'node_modules', name)));
  if (absent.length > 0) throw new Error(`the wasm-only project installed ${absent.join(', ')}`);
  writeFileSync(
    join(project, 'train.mjs'),
    `import { describeBackend, initBackend } from '@gpt2/backends';
import { createWasmBackend } from '@gpt2/backends/wasm';
import { GPT2Model, resolveConfig } from '@gpt2/model';
import * as tf from '@tensorflow/tfjs-core';

const info = await initBackend(createWasmBackend());
if (tf.getBackend() !== 'wasm') throw new Error('not on wasm: ' + tf.getBackend());
console.log('backend: ' + describeBackend(info));
const model = GPT2Model.create(resolveConfig({ preset: 'gpt2-tiny', vocabSize: 50, nPositions: 16 }), { seed: 1 });
const ids = [[1, 2, 3, 4, 5, 6, 7, 8]];
const targets = [[2, 3, 4, 5, 6, 7, 8, 9]];
const losses = [];
for (let step = 0; step < 20; step++) {
  // Forward, backward (tfjs-core's gradients, registered by initBackend) and plain SGD.
  const { value, grads } = tf.variableGrads(() => model.loss(ids, targets));
  losses.push(value.dataSync()[0]);
  tf.tidy(() => {
    for (const variable of model.parameters().values()) {
      variable.assign(tf.sub(variable, tf.mul(grads[variable.name], 0.1)));
    }
  });
  tf.dispose([value, ...Object.values(grads)]);
}
console.log('wasm-only project: loss ' + losses[0].toFixed(3) + ' -> ' + losses.at(-1).toFixed(3) + ' in 20 SGD steps');
if (!(losses.at(-1) < 0.7 * losses[0])) throw new Error('the loss did not fall: ' + losses.join(', '));
`,
  );
  process.stdout.write(run('node', ['train.mjs'], project));
}

let failed = false;
try {
  const packages = readdirSync(join(root, 'packages'))
    .map((dir) => ({
      dir: join(root, 'packages', dir),
      json: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
    }))
    .filter((p) => !p.json.private);
  const files = {};
  for (const p of packages) {
    const out = run('pnpm', ['pack', '--pack-destination', tarballs], p.dir)
      .trim()
      .split('\n')
      .pop();
    files[p.json.name] = out.startsWith('/') ? out : join(tarballs, out);
    run('npx', ['--no-install', 'publint', '--strict'], p.dir);
    // ESM only, as every @gpt2 package: CommonJS `require` and node10 resolution are out of scope.
    run('npx', ['--no-install', 'attw', '--pack', '.', '--profile', 'esm-only'], p.dir);
    console.log(`packed ${p.json.name}@${p.json.version} (publint and attw clean)`);
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
        dependencies: {
          ...fileSpecs,
          '@tensorflow/tfjs-core': '4.22.0',
          // Optional peers of @gpt2/backends: the backends this consumer runs on.
          '@tensorflow/tfjs-backend-cpu': '4.22.0',
          '@tensorflow/tfjs-backend-wasm': '4.22.0',
        },
        devDependencies: { typescript: '5.9.3', '@types/node': '20.19.9' },
        overrides: fileSpecs,
      },
      null,
      2,
    ),
  );
  console.log('installing the tarballs into a fresh project (npm)…');
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    consumer,
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
  process.stdout.write(run('node', ['runtime.mjs'], consumer));
  // Subpaths as a third party imports them: the dependency-free random module, the bundle reader.
  writeFileSync(
    join(consumer, 'subpaths.mjs'),
    `import { createRng, fillNormal, hashSeed } from '@gpt2/data/random';
import { BUNDLE_FILES, readModelBundle, writeSafetensors } from '@gpt2/model';
import { readModelBundleFromPath } from '@gpt2/model/node';
if (createRng(1337).next() !== 1777630057) throw new Error('@gpt2/data/random: createRng(1337) changed');
if (fillNormal(new Float32Array(1), 0.02, hashSeed(1337, 'wte.weight'))[0] !== Math.fround(-0.023507900536060333))
  throw new Error('@gpt2/data/random: fillNormal changed');
if (typeof readModelBundleFromPath !== 'function') throw new Error('@gpt2/model/node: no bundle reader');
const config = { model_type: 'gpt2', n_layer: 1, n_embd: 8, n_head: 2, n_positions: 8, vocab_size: 50257 };
const bundle = await readModelBundle(new Map([
  [BUNDLE_FILES.weights, writeSafetensors([])],
  [BUNDLE_FILES.config, new TextEncoder().encode(JSON.stringify(config))],
]));
console.log('subpaths ok: @gpt2/data/random, bundle reader (tokenizer ' + bundle.tokenizer.name + ')');
`,
  );
  process.stdout.write(run('node', ['subpaths.mjs'], consumer));
  // The README's API example, against the published packages.
  copyFileSync(join(root, 'docs', 'examples', 'api-tour.mjs'), join(consumer, 'api-tour.mjs'));
  process.stdout.write(run('node', ['api-tour.mjs'], consumer));
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
  run('npx', ['--no-install', 'tsc', '-p', '.'], consumer);
  console.log(`type-check ok for ${names.length} packages`);
  wasmOnlyConsumer(files);
  console.log(`pack smoke: ${names.length} packages and the wasm-only project passed, 0 failed`);
} catch (error) {
  failed = true;
  console.error(`pack smoke failed: ${error.message}\n${error.stdout ?? ''}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
