import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The CLI's version, from its package.json (one folder above both src/ and dist/). */
export function cliVersion(): string {
  const json = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return json.version;
}

/** A dependency's version from its package.json, or `not installed`. */
export function packageVersion(name: string): string {
  try {
    const path = createRequire(import.meta.url).resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}
