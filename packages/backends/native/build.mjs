#!/usr/bin/env node
/**
 * Builds the optional native addon (gpt2_blas.node: the kernels of the
 * 'native' backend with a built-in sgemm, and OpenBLAS for them and the wasm
 * kernels when it is installed) when a C compiler and Node's headers are there. Runs on install and NEVER fails it: any
 * problem prints one line and exits 0, and @gpt2/backends then uses its
 * wasm kernels. OpenBLAS itself is found at run time (dlopen), so building
 * needs no BLAS headers and no network.
 *
 *   node native/build.mjs          (or: pnpm --filter @gpt2/backends build:native)
 *
 * Environment: GPT2_SKIP_NATIVE=1 skips the build; CC picks the compiler.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The addon's C sources: OpenBLAS by dlopen, the built-in sgemm, the native backend's kernels (training and inference), their thread pool. */
const SOURCES = [
  'gpt2_blas.c',
  'gpt2_gemm.c',
  'gpt2_kernels.c',
  'gpt2_fused.c',
  'gpt2_decode.c',
  'gpt2_memory.c',
  'gpt2_pool.c',
];
const output = join(here, 'build', 'gpt2_blas.node');
const say = (line) => console.log(`@gpt2/backends native addon: ${line}`);
const HOW =
  'the native backend needs it. It needs a C compiler (cc) and Node headers (Debian: apt-get install build-essential; macOS: xcode-select --install); OpenBLAS at run time is optional and faster (Debian: libopenblas0-pthread; macOS: brew install openblas). Then: pnpm rebuild @gpt2/backends (in this repository: pnpm --filter @gpt2/backends build:native)';

function build() {
  if (process.env.GPT2_SKIP_NATIVE === '1') return say('skipped (GPT2_SKIP_NATIVE=1).');
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    return say(`not built: ${process.platform} is not supported (the wasm kernels are used).`);
  }
  // Node's headers ship with its installation; node-gyp would download them,
  // which fails offline, so look where the running Node keeps them.
  const includes = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter((dir) => existsSync(join(dir, 'node_api.h')));
  if (includes.length === 0) return say(`not built: node_api.h not found. ${HOW}`);
  const compiler = process.env.CC || 'cc';
  mkdirSync(dirname(output), { recursive: true });
  // No FMA contraction (clang contracts by default): adamwUpdate must round like separate kernels.
  const flags = [
    '-O3',
    '-std=c11',
    '-ffp-contract=off',
    '-fno-math-errno',
    '-fno-trapping-math',
    '-pthread',
    '-shared',
    '-fPIC',
    '-fvisibility=hidden',
    `-I${includes[0]}`,
  ];
  const link = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : ['-ldl', '-lm'];
  const sources = SOURCES.map((file) => join(here, file));
  const compile = (extra) =>
    spawnSync(compiler, [...flags, ...extra, ...sources, '-o', output, ...link], {
      encoding: 'utf8',
    });
  // The hot loops are compiled once per x86-64 level (target_clones, chosen
  // when the addon loads); a toolchain without ifunc support gets one baseline build.
  let run = compile([]);
  if (!run.error && run.status !== 0) run = compile(['-DGPT2_NO_CLONES']);
  if (run.error || run.status !== 0) {
    const why = run.error
      ? run.error.message
      : (run.stderr.trim().split('\n')[0] ?? `exit ${run.status}`);
    return say(`not built (${why}). ${HOW}`);
  }
  const check = spawnSync(
    process.execPath,
    ['-e', `console.log(JSON.stringify(require(${JSON.stringify(output)}).openblas()))`],
    { encoding: 'utf8' },
  );
  if (check.status !== 0)
    return say(`built, but it does not load: ${check.stderr.trim().split('\n')[0]}`);
  const openblas = JSON.parse(check.stdout.trim());
  if (openblas)
    say(
      `built; OpenBLAS found (${openblas.library}): the native backend and the wasm BLAS kernels are available.`,
    );
  else
    say(
      'built; OpenBLAS not found, so the native backend uses its built-in sgemm (OpenBLAS is faster on large products: Debian: apt-get install libopenblas0-pthread; macOS: brew install openblas).',
    );
}

try {
  build();
} catch (error) {
  say(`not built (${error instanceof Error ? error.message : String(error)}).`);
}
process.exit(0);
