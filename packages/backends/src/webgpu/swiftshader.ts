import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's and Ubuntu's Chromium packages put SwiftShader's Vulkan driver. */
const SWIFTSHADER_CANDIDATES = [
  '/usr/lib/chromium/libvk_swiftshader.so',
  '/usr/lib/chromium-browser/libvk_swiftshader.so',
  '/opt/google/chrome/libvk_swiftshader.so',
];

/** Path of SwiftShader's Vulkan driver, from `GPT2_SWIFTSHADER_PATH` or a known Chromium install. */
export function findSwiftShader(): string | undefined {
  const fromEnv = process.env.GPT2_SWIFTSHADER_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return SWIFTSHADER_CANDIDATES.find((path) => existsSync(path));
}

/**
 * Point the Vulkan loader at SwiftShader, a CPU implementation of Vulkan, so
 * Dawn finds a WebGPU adapter on a machine without a GPU. The loader reads
 * `VK_ICD_FILENAMES` whenever a Vulkan instance is created, so this works
 * in-process. Returns the ICD file written, or undefined when no SwiftShader
 * is installed (Debian: `apt-get install chromium libvulkan1`).
 */
export function useSwiftShaderVulkan(): string | undefined {
  const library = findSwiftShader();
  if (!library) return undefined;
  const dir = ensureRuntimeDir();
  const icd = join(dir, 'swiftshader_icd.json');
  writeFileSync(
    icd,
    JSON.stringify({
      file_format_version: '1.0.0',
      ICD: { library_path: library, api_version: '1.0.5' },
    }),
  );
  process.env.VK_ICD_FILENAMES = icd;
  return icd;
}

/**
 * Vulkan drivers complain (and some fail) without a writable
 * `XDG_RUNTIME_DIR`, which servers and containers often lack.
 */
export function ensureRuntimeDir(): string {
  const dir = join(tmpdir(), 'gpt2-vulkan');
  mkdirSync(dir, { recursive: true });
  process.env.XDG_RUNTIME_DIR ??= dir;
  return dir;
}
