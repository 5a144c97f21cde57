import { existsSync } from 'node:fs';
import { findSwiftShader } from '../webgpu/swiftshader.js';

/**
 * For tests that need a system package (Chromium's SwiftShader, libvulkan,
 * PyTorch). On a developer machine without it, the tests are skipped with a
 * loud message; under CI=true a missing package is a failure, never a skip.
 * Returns whether the requirement is met (for `describe.runIf`).
 */
export function systemRequirement(what: string, present: boolean, install: string): boolean {
  if (present) return true;
  const message = `\n*** ${what} is not installed: ${install}\n`;
  if (process.env.CI === 'true') throw new Error(`CI requires ${what}. ${message}`);
  console.warn(`${message}*** Skipping the tests that need it.\n`);
  return false;
}

const VULKAN_LOADERS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
];

/**
 * WebGPU in Node on a CPU-only machine needs Chromium's SwiftShader Vulkan
 * driver and the Vulkan loader that Dawn opens (see scripts/install-system-deps.sh).
 * `swiftshaderPath`: the driver, when not where Chromium puts it (pass the
 * same to `createWebgpuBackend`).
 */
export function requireSoftwareWebGpu(options: { swiftshaderPath?: string } = {}): boolean {
  return systemRequirement(
    'Chromium (SwiftShader) and the Vulkan loader',
    findSwiftShader(options.swiftshaderPath) !== undefined &&
      VULKAN_LOADERS.some((path) => existsSync(path)),
    'apt-get install chromium libvulkan1',
  );
}

/**
 * The native backend needs the package's addon built (a C compiler; it uses
 * OpenBLAS when installed, its built-in sgemm otherwise;
 * scripts/install-system-deps.sh installs the compiler and OpenBLAS in CI).
 * Activates it once to find out, then leaves the cpu backend active.
 */
export async function requireNativeBackend(): Promise<boolean> {
  const { initBackend } = await import('../init-backend.js');
  const { NATIVE_BUILD_HINT } = await import('../providers/native.js');
  let problem = '';
  try {
    await initBackend('native');
  } catch (error) {
    problem = String((error as Error).message).split('\n')[0] ?? 'unavailable';
  }
  await initBackend('cpu');
  return systemRequirement(
    `The native backend${problem ? ` (${problem})` : ''}`,
    problem === '',
    NATIVE_BUILD_HINT,
  );
}

/**
 * Long checks (minutes on SwiftShader: 100 WebGPU training steps, GPT-2 124M
 * in the browser) run only with `GPT2_LONG_TESTS=1`, which `pnpm test:long`
 * sets; otherwise they are skipped with one line saying how to run them.
 * Returns whether to run them (for `describe.runIf`/`it.runIf`).
 */
export function longTests(what: string): boolean {
  if (process.env.GPT2_LONG_TESTS === '1') return true;
  console.warn(`(skipping the long check "${what}": run it with \`pnpm test:long\`)`);
  return false;
}
