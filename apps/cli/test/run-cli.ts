import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The CLI's entry point, run from source so tests need no build of this app. */
export const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawn the real `gpt2` binary: Node with tsx and the `@gpt2/source`
 * condition, so workspace packages resolve to their sources (turbo runs tests
 * after building dependencies, never after building this app).
 */
export function runCli(
  args: readonly string[],
  options: {
    cwd: string;
    input?: string;
    env?: Record<string, string>;
    /** Send SIGINT (Ctrl-C) once stderr matches this. */
    interruptWhen?: RegExp;
  },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@gpt2/source', '--import', TSX, BIN, ...args],
      {
        cwd: options.cwd,
        env: { ...process.env, GPT2_DEBUG: '', GPT2_BACKEND: '', ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    let interrupted = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!interrupted && options.interruptWhen?.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Stderr from the error message on (what came before is progress and notes). */
export function errorLines(result: CliResult): string[] {
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  const start = lines.findIndex((line) => line.startsWith('gpt2: '));
  return start === -1 ? [] : lines.slice(start);
}
