#!/usr/bin/env node
/**
 * Writes src/gradients/tfjs-core-gradients.generated.ts: tfjs-core's own
 * gradient configs (`register_all_gradients`), bundled so that they load under
 * Node ESM and import every op from the one shared `@tensorflow/tfjs-core`.
 *
 * Why: tfjs-core's Node build registers no gradients, and its ESM
 * `dist/register_all_gradients.js` cannot load under Node (extensionless
 * imports). The `@tensorflow/tfjs` union bundle registers them, but it drags in
 * tfjs-layers, -converter, -data and the cpu and webgl backends. This bundle
 * holds only the gradient files; each import they make of tfjs-core internals
 * is rewritten to the same name on tfjs-core's public API (top level, or the
 * `util`, `backend_util`, `broadcast_util`, `slice_util` namespaces, and
 * `engine()` for `ENGINE`). A module none of whose imported names are public
 * (a few backprop ops, e.g. `conv2DBackpropFilter`) is bundled, with its own
 * imports rewritten the same way, so that all state (engine, registries,
 * flags) stays in the shared instance.
 *
 *   node scripts/bundle-gradients.mjs           (pnpm --filter @gpt2/backends generate:gradients)
 *   node scripts/bundle-gradients.mjs --check   (exit 1 when the committed file is stale)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';

const packageRoot = resolve(import.meta.dirname, '..');
const require = createRequire(join(packageRoot, 'package.json'));
const CORE = '@tensorflow/tfjs-core';
const tf = require(CORE);
const coreVersion = require(`${CORE}/package.json`).version;
const dist = dirname(require.resolve(CORE));
const output = join(packageRoot, 'src', 'gradients', 'tfjs-core-gradients.generated.ts');

/** Internal modules whose exports tfjs-core publishes under a namespace. */
const NAMESPACES = {
  'util.js': 'util',
  'ops/axis_util.js': 'backend_util',
  'ops/broadcast_util.js': 'broadcast_util',
  'ops/conv_util.js': 'backend_util',
  'ops/selu_util.js': 'backend_util',
  'ops/slice_util.js': 'slice_util',
};

const bundled = new Set();

/** Resolve a relative import of a tfjs-core dist file to its path inside dist/. */
function internalPath(importer, specifier) {
  const path = relative(dist, resolve(dirname(importer), specifier))
    .split(sep)
    .join('/');
  return path.endsWith('.js') ? path : `${path}.js`;
}

/** The public binding for `name` exported by internal module `path`, or undefined. */
function publicBinding(path, name) {
  if (path === 'engine.js' && name === 'ENGINE') return { engine: true };
  if (path === 'tensor_util_env.js' && name === 'convertToTensor') return { convertToTensor: true };
  const namespace = NAMESPACES[path];
  if (namespace && tf[namespace]?.[name] !== undefined) return { namespace, name };
  if (!namespace && tf[name] !== undefined) return { name };
  return undefined;
}

/**
 * Rewrite the import statements of one tfjs-core dist file: public names come
 * from `@tensorflow/tfjs-core`, the rest stay relative (and get bundled).
 */
function rewrite(file, source) {
  const rewritten = source.replace(
    /^import (\{[^}]*\}|\* as (\w+)) from '(\.[^']+)';$/gm,
    (statement, clause, namespaceAlias, specifier) => {
      const path = internalPath(file, specifier);
      if (path.startsWith('gradients/')) return statement; // the gradient files themselves
      if (namespaceAlias) {
        const namespace = NAMESPACES[path];
        const members = [
          ...new Set(
            [...source.matchAll(new RegExp(`\\b${namespaceAlias}\\.(\\w+)`, 'g'))].map((m) => m[1]),
          ),
        ];
        if (namespace && members.every((m) => tf[namespace]?.[m] !== undefined)) {
          return `import { ${namespace} as ${namespaceAlias} } from '${CORE}';`;
        }
        bundled.add(path);
        return statement;
      }
      const names = clause
        .slice(1, -1)
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
        .map((part) => {
          const [imported, local = imported] = part.split(/\s+as\s+/);
          return { imported, local };
        });
      const bindings = names.map((n) => ({ ...n, binding: publicBinding(path, n.imported) }));
      if (bindings.some((b) => b.binding === undefined)) {
        bundled.add(path);
        return statement;
      }
      const lines = [];
      for (const { local, binding } of bindings) {
        // Per file, from the local name: esbuild loads files in parallel, so a
        // global counter would number them differently from run to run.
        const alias = `__tfc_${local}`;
        if (binding.engine) {
          lines.push(
            `import { engine as ${alias} } from '${CORE}';`,
            `const ${local} = ${alias}();`,
          );
        } else if (binding.convertToTensor) {
          // The backprop ops call it on dy and saved tensors only: check, never convert.
          lines.push(
            `import { Tensor as ${alias} } from '${CORE}';`,
            `const ${local} = (x, argName, functionName, parseAsDtype = 'numeric') => {`,
            `  if (!(x instanceof ${alias})) throw new TypeError(\`Argument '\${argName}' passed to '\${functionName}' must be a Tensor.\`);`,
            `  if (parseAsDtype === 'numeric' && x.dtype === 'string') throw new TypeError(\`Argument '\${argName}' passed to '\${functionName}' must be numeric.\`);`,
            '  return x;',
            '};',
          );
        } else if (binding.namespace) {
          lines.push(
            `import { ${binding.namespace} as ${alias} } from '${CORE}';`,
            `const ${local} = ${alias}.${binding.name};`,
          );
        } else {
          lines.push(`import { ${binding.name} as ${local} } from '${CORE}';`);
        }
      }
      return lines.join('\n');
    },
  );
  return rewritten;
}

/** The gradient configs, in the order `register_all_gradients` registers them. */
function entrySource() {
  const registerAll = readFileSync(join(dist, 'register_all_gradients.js'), 'utf8');
  const imports = [...registerAll.matchAll(/^import \{ (\w+) \} from '(\.\/gradients\/\w+)';$/gm)];
  if (imports.length < 100) {
    throw new Error(
      `expected the gradient imports of register_all_gradients.js, found ${imports.length}`,
    );
  }
  return [
    ...imports.map(([, name, path]) => `import { ${name} } from '${join(dist, path)}.js';`),
    `export const TFJS_CORE_GRADIENTS = [${imports.map(([, name]) => name).join(', ')}];`,
  ].join('\n');
}

const tfjsCoreInternals = {
  name: 'tfjs-core-internals',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, () => ({
      path: CORE,
      external: true,
    }));
    esbuild.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist)) return undefined;
      return { contents: rewrite(args.path, readFileSync(args.path, 'utf8')), loader: 'js' };
    });
  },
};

const result = await build({
  stdin: { contents: entrySource(), resolveDir: dist, sourcefile: 'tfjs-core-gradients.js' },
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  legalComments: 'eof',
  plugins: [tfjsCoreInternals],
  logLevel: 'error',
});
let code = result.outputFiles[0].text;
const foreign = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].filter((m) => m[1] !== CORE);
if (foreign.length > 0)
  throw new Error(`unexpected imports: ${foreign.map((m) => m[1]).join(', ')}`);
if (!/^var TFJS_CORE_GRADIENTS = /m.test(code)) throw new Error('TFJS_CORE_GRADIENTS not found');
code = code.replace(
  /^var TFJS_CORE_GRADIENTS = /m,
  'const TFJS_CORE_GRADIENTS: readonly GradConfig[] = ',
);
const header = [
  '// @ts-nocheck',
  `// Generated by scripts/bundle-gradients.mjs from ${CORE} ${coreVersion}: do not edit.`,
  `// The gradient configs of ${CORE}'s register_all_gradients, importing every op from`,
  `// the shared ${CORE}. Bundled internals: ${[...bundled].sort().join(', ') || 'none'}.`,
  `import type { GradConfig } from '${CORE}';`,
  '',
].join('\n');
const text = header + code;

if (process.argv.includes('--check')) {
  const current = readFileSync(output, 'utf8');
  if (current !== text) {
    console.error(
      `${relative(packageRoot, output)} is stale: run pnpm --filter @gpt2/backends generate:gradients`,
    );
    process.exit(1);
  }
  console.log(`${relative(packageRoot, output)} is up to date`);
} else {
  writeFileSync(output, text);
  console.log(
    `wrote ${relative(packageRoot, output)} (${(text.length / 1024).toFixed(0)} KiB; bundled internals: ${[...bundled].sort().join(', ')})`,
  );
}
