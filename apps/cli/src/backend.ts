import {
  type BackendInfo,
  type BackendProvider,
  type BackendRequest,
  BackendUnavailableError,
  describeBackend,
  type InitBackendOptions,
  initBackend,
} from '@gpt2/backends';
import { createNativeBackend, type NativeBlasChoice } from '@gpt2/backends/native';
import { createWasmBackend } from '@gpt2/backends/wasm';
import { createWebgpuBackend } from '@gpt2/backends/webgpu';
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

/** A positive integer from an environment variable, or undefined when unset. */
function positiveInteger(context: CliContext, name: string): number | undefined {
  const raw = context.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`${name} must be a positive integer, got '${raw}'.`);
  }
  return value;
}

const BLAS_CHOICES: readonly NativeBlasChoice[] = ['auto', 'openblas', 'builtin'];

/** `GPT2_BLAS`: the native backend's sgemm, or undefined when unset. */
function blasChoice(context: CliContext): NativeBlasChoice | undefined {
  const raw = context.env.GPT2_BLAS;
  if (raw === undefined || raw === '') return undefined;
  if (!BLAS_CHOICES.includes(raw as NativeBlasChoice)) {
    throw new UsageError(`GPT2_BLAS must be one of ${BLAS_CHOICES.join(', ')}, got '${raw}'.`);
  }
  return raw as NativeBlasChoice;
}

/** The native backend as `GPT2_NATIVE_BLAS=0` leaves it: unavailable, so `auto` moves on to wasm. */
const NATIVE_OFF: BackendProvider = {
  name: 'native',
  runsIn: 'node',
  async activate() {
    throw new BackendUnavailableError({
      backend: 'native',
      reason: 'unsupported',
      message: 'GPT2_NATIVE_BLAS=0 turns the native addon off, and the native backend runs on it.',
      hint: 'unset GPT2_NATIVE_BLAS to use it.',
    });
  },
};

/**
 * `initBackend`'s options from the CLI's environment (the library reads
 * none): `GPT2_KERNEL_OVERRIDES=0` switches the wasm kernel overrides off,
 * `GPT2_NATIVE_BLAS=0` the native addon (wasm's OpenBLAS kernels and the
 * native backend, which runs on the same addon: so a machine with the addon
 * behaves like one without a C compiler), `GPT2_BLAS=builtin|openblas|auto`
 * picks the native backend's sgemm (`builtin`: as on a machine without
 * OpenBLAS), `GPT2_BLAS_THREADS` sets wasm's OpenBLAS threads,
 * `GPT2_SWIFTSHADER_PATH` points WebGPU at SwiftShader's Vulkan driver.
 * `--verbose` lets tfjs print its own messages.
 */
export function backendOptions(context: CliContext): InitBackendOptions {
  const blasThreads = positiveInteger(context, 'GPT2_BLAS_THREADS');
  const blas = blasChoice(context);
  const swiftshaderPath = context.env.GPT2_SWIFTSHADER_PATH;
  const providers: BackendProvider[] = [
    createWasmBackend({
      kernelOverrides: context.env.GPT2_KERNEL_OVERRIDES !== '0',
      nativeBlas: context.env.GPT2_NATIVE_BLAS !== '0',
      ...(blasThreads !== undefined ? { blasThreads } : {}),
    }),
    createWebgpuBackend(swiftshaderPath ? { swiftshaderPath } : {}),
  ];
  if (context.env.GPT2_NATIVE_BLAS === '0') providers.push(NATIVE_OFF);
  else if (blas !== undefined) providers.push(createNativeBackend({ blas }));
  return { providers, tfjsLogs: context.verbose };
}

/**
 * Activate the requested backend with `initBackend` and print which one we got
 * and why, e.g. `backend: wasm (cpu, 1 thread, SIMD) — fastest available (auto; skipped node-gpu, node)`.
 * `GPT2_BACKEND` overrides `--backend`. With `--verbose`, also why each
 * skipped backend was skipped.
 */
export async function selectBackend(value: string, context: CliContext): Promise<BackendInfo> {
  const requested = parseBackendRequest(value, context);
  const override = context.env.GPT2_BACKEND;
  const request = override ? (override as BackendRequest) : requested;
  const activated = await initBackend(request, backendOptions(context));
  const info = override ? { ...activated, reason: `GPT2_BACKEND=${override}` } : activated;
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
