import {
  type BackendInfo,
  type BackendRequest,
  describeBackend,
  initBackend,
} from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';
import type { CliContext } from './cli/context.js';
import { BACKEND_CHOICES } from './commands/specs.js';
import { UsageError } from './errors/usage-error.js';

/** Check a `--backend` value (and `GPT2_BACKEND`) before any slow work starts. */
export function parseBackendRequest(value: string, context: CliContext): BackendRequest {
  const fromEnvironment = context.env.GPT2_BACKEND;
  for (const [candidate, source] of [
    [value, '--backend'],
    [fromEnvironment, 'GPT2_BACKEND'],
  ] as const) {
    if (candidate !== undefined && candidate !== '' && !BACKEND_CHOICES.includes(candidate)) {
      throw new UsageError(
        `Unknown backend '${candidate}' (from ${source}). Valid: ${BACKEND_CHOICES.join(', ')}.`,
      );
    }
  }
  return value as BackendRequest;
}

/**
 * Activate the requested backend with `initBackend` and print which one we got
 * and why, e.g. `backend: wasm (cpu, 1 thread, SIMD) — fastest available (auto; skipped node-gpu, node)`.
 * With `--verbose`, also why each skipped backend was skipped.
 */
export async function selectBackend(value: string, context: CliContext): Promise<BackendInfo> {
  const request = parseBackendRequest(value, context);
  const info = await initBackend(request, { env: { ...context.env } });
  // PROD silences tfjs's console banners (the cpu backend's "install tfjs-node"
  // notice), which would land in the middle of our output; we print our own line.
  tf.env().set('PROD', true);
  context.stderr.write(`backend: ${describeBackend(info)}\n`);
  if (context.verbose) {
    for (const attempt of info.attempts.filter((a) => !a.ok)) {
      context.stderr.write(`  skipped ${attempt.backend}: ${attempt.reason}\n`);
    }
  }
  return info;
}

/** For commands that do no tensor math: accept `--backend` for uniform scripts, and say so. */
export function noteNoBackend(value: string, context: CliContext): void {
  parseBackendRequest(value, context);
  context.stderr.write('backend: none needed (this command runs in plain JavaScript)\n');
}
