/**
 * Bundle the webgpu half of the GPU bench (packages/trainer/bench/gpu-bench.ts)
 * into one ES module for a machine that has Node but not this repository's
 * node_modules: tfjs-core, tfjs-backend-webgpu and the @gpt2 packages inside;
 * only Dawn (the `webgpu` package, a native addon) stays outside, beside it.
 *
 *   node scripts/gpu-bench/bundle.mjs <out-dir>
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = resolve(process.argv[2] ?? join(root, '.gpu-bench'));
// esbuild is a devDependency of @gpt2/backends.
const esbuild = createRequire(join(root, 'packages/backends/package.json'))('esbuild');

/**
 * `importNodeOnly` loads Node-only modules by a URL computed from the
 * caller's own location, which a bundle does not keep: map those modules to
 * static imports instead (the bench needs Dawn's set-up; the others are
 * other backends' and are left out).
 */
const nodeOnlyModules = {
  name: 'node-only-modules',
  setup(build) {
    build.onLoad({ filter: /packages[\\/]backends[\\/]src[\\/]environment\.ts$/ }, () => ({
      loader: 'ts',
      contents: `
        import * as nodeDawn from './webgpu/node-dawn.js';
        export function isNode() { return typeof globalThis.process?.versions?.node === 'string'; }
        export async function importNodeOnly(path) {
          if (path.endsWith('/webgpu/node-dawn.js')) return nodeDawn;
          throw new Error('gpu-bench bundle: ' + path + ' is not bundled (webgpu only).');
        }`,
    }));
  },
};

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(root, 'packages/trainer/bench/gpu-bench.ts')],
  outfile: join(out, 'gpu-bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@gpt2/source'],
  external: ['webgpu'],
  plugins: [nodeOnlyModules],
  // CommonJS code inside the bundle (parts of tfjs) calls require for Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
console.log(`gpu-bench bundle: ${join(out, 'gpu-bench.mjs')}`);
