/**
 * Each custom kernel's name is written once, as a string literal in its
 * contract module; every other file uses `contract.name`. A second literal
 * is how a rename silently splits an op from its kernel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL_CONTRACTS } from './index.js';

const ROOT = join(import.meta.dirname, '../../../../..');
const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs|c|h|py)$/;
/** Dependencies, build outputs (the browser suite builds its test pages into test-results/) and data. */
const SKIP = new Set([
  'node_modules',
  'dist',
  '.git',
  '.turbo',
  'build',
  'test-results',
  '__fixtures__',
  'public',
]);

/** The text without comments (TSDoc names kernels in backticks, which are not literals). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (SOURCE.test(entry.name)) yield path;
  }
}

describe('custom kernel names', () => {
  const files = [...sourceFiles(ROOT)].map((path) => ({
    path: relative(ROOT, path),
    text: code(readFileSync(path, 'utf8')),
  }));

  it('scans the repository', () => {
    expect(files.some((f) => f.path === 'packages/model/src/model.ts')).toBe(true);
  });

  it.each(KERNEL_CONTRACTS.map((contract) => contract.name))(
    '%s appears as a string literal in exactly one source file',
    (name) => {
      const literal = new RegExp(`(['"\`])${name}\\1`);
      const holders = files.filter((f) => literal.test(f.text)).map((f) => f.path);
      expect(holders).toHaveLength(1);
      expect(holders[0]).toMatch(/^packages\/backends\/src\/kernels\/contracts\/[\w-]+\.ts$/);
    },
  );
});
