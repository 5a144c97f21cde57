/** True under Node.js (and not in a browser or a Web Worker). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * Import a module of this package that exists only for Node (native addons,
 * Dawn, the file system), by its path relative to `base` (the caller's
 * `import.meta.url`). Bundlers and Vite cannot follow the computed URL, so a
 * web build never includes the module; Node, tsx and vitest load it (from
 * TypeScript sources, too).
 */
export function importNodeOnly<Module>(path: string, base: string): Promise<Module> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ new URL(path, base).href);
}
