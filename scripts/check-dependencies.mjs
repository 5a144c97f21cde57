#!/usr/bin/env node
// Checks every workspace package.json against what its code imports:
// - a package imported by shipped code (src/, not tests) must be a dependency or peer;
// - one imported only by tests, benches, scripts or configs must be declared somewhere
//   (dependencies, peers or devDependencies; tools at the root such as vitest count);
// - a dependency must be imported by shipped code (else it belongs in devDependencies),
//   and a devDependency must be used somewhere.
// "Imported" covers static and dynamic imports and require.resolve('<name>/…'). A dependency that
// nothing imports is fine when it provides a peer dependency of another dependency (the apps
// install the tfjs backends that @gpt2/backends loads as optional peers).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const rootDevDependencies = new Set(
  Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies ?? {}),
);
// Loaded by a name computed at run time, so no import names them.
const LOADED_BY_NAME = new Map([['@gpt2/backends', ['webgpu']]]);

const IMPORT =
  /(?:^\s*(?:import|export)\s[^'"]*?from\s*|^\s*import\s*|\bimport\(\s*|require\.resolve\(\s*|require\(\s*)['"]([^'"]+)['"]/gm;

const BUILTINS = new Set(builtinModules);

function packageName(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  if (BUILTINS.has(specifier.split('/')[0])) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) yield path;
  }
}

function isShipped(file) {
  return (
    file.startsWith('src/') &&
    !/\.test(-d)?\.ts$/.test(file) &&
    !file.includes('__fixtures__/') &&
    !file.endsWith('.browser.test.ts')
  );
}

/** Comments can name packages too (`import('…')` in TSDoc): leave them out. */
function withoutComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

const manifests = [];
for (const group of ['packages', 'apps', 'tools']) {
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name);
    try {
      manifests.push({
        dir,
        manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')),
      });
    } catch {
      // not a package (no package.json)
    }
  }
}
const peersOf = new Map(
  manifests.map(({ manifest }) => [manifest.name, Object.keys(manifest.peerDependencies ?? {})]),
);

const problems = [];
for (const { dir, manifest } of manifests) {
  const dependencies = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const devDependencies = new Set(Object.keys(manifest.devDependencies ?? {}));
  const shipped = new Set(LOADED_BY_NAME.get(manifest.name) ?? []);
  const development = new Set();
  for (const path of sourceFiles(dir)) {
    const file = relative(dir, path);
    const text = withoutComments(readFileSync(path, 'utf8'));
    for (const match of text.matchAll(IMPORT)) {
      const imported = packageName(match[1]);
      if (!imported || imported === manifest.name) continue;
      (isShipped(file) ? shipped : development).add(imported);
    }
  }
  const report = (message) => problems.push(`${manifest.name}: ${message}`);
  for (const used of shipped) {
    if (!dependencies.has(used)) report(`src/ imports ${used}, which is not a dependency or peer`);
  }
  for (const used of development) {
    if (!dependencies.has(used) && !devDependencies.has(used) && !rootDevDependencies.has(used))
      report(`tests, benches or scripts import ${used}, which is not declared`);
  }
  const providedPeers = new Set(
    Object.keys(manifest.dependencies ?? {}).flatMap((name) => peersOf.get(name) ?? []),
  );
  for (const declared of Object.keys(manifest.dependencies ?? {})) {
    if (!shipped.has(declared) && !providedPeers.has(declared))
      report(
        `dependency ${declared} is not imported by src/${development.has(declared) ? ' (only by tests or benches: make it a devDependency)' : ''}`,
      );
  }
  for (const declared of devDependencies) {
    if (!shipped.has(declared) && !development.has(declared) && !dependencies.has(declared))
      report(`devDependency ${declared} is not imported anywhere`);
  }
}
if (problems.length > 0) {
  console.error(`Dependency check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('dependency check: every package.json matches its imports');
