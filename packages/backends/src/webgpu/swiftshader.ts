/**
 * `@gpt2/backends/swiftshader` (Node only): SwiftShader, Chromium's CPU
 * implementation of Vulkan, as the WebGPU adapter of a machine without a GPU.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's and Ubuntu's Chromium packages put SwiftShader's Vulkan driver. */
export const SWIFTSHADER_CANDIDATES: readonly string[] = [
  '/usr/lib/chromium/libvk_swiftshader.so',
  '/usr/lib/chromium-browser/libvk_swiftshader.so',
  '/opt/google/chrome/libvk_swiftshader.so',
];

/**
 * Path of SwiftShader's Vulkan driver: `path` when given and present, else a
 * known Chromium install, else undefined.
 */
export function findSwiftShader(path?: string): string | undefined {
  if (path !== undefined && path !== '' && existsSync(path)) return path;
  return SWIFTSHADER_CANDIDATES.find((candidate) => existsSync(candidate));
}

/**
 * Point the Vulkan loader at SwiftShader, so Dawn finds a WebGPU adapter on a
 * machine without a GPU. The loader reads `VK_ICD_FILENAMES` whenever a Vulkan
 * instance is created, so this works in-process. Returns the ICD file
 * written, or undefined when no SwiftShader is installed (Debian:
 * `apt-get install chromium libvulkan1`).
 *
 * @param path SwiftShader's `libvk_swiftshader.so`; default: a known Chromium install.
 */
export function useSwiftShaderVulkan(path?: string): string | undefined {
  const library = findSwiftShader(path);
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
  // Vulkan's loader reads its configuration from the environment; this is the
  // one place the package writes a variable, and only when asked for SwiftShader.
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
