/**
 * The built site holds no Node-only code: the backends' Node modules (the
 * tfjs-node providers, Dawn's set-up, SwiftShader's Vulkan files, the native
 * BLAS loader), Node built-ins and the `@tensorflow/tfjs` union package stay
 * out of the web bundle. Each is recognised by a string only it contains.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ASSETS = new URL('../../dist/assets/', import.meta.url);

const NODE_ONLY: Record<string, RegExp> = {
  // ES imports only: tfjs-backend-wasm's own Emscripten glue keeps a
  // `require("worker_threads")` behind its ENVIRONMENT_IS_NODE check.
  'a Node built-in module':
    /(?:from|import\()\s*["'`](?:node:)?(?:fs|path|os|module|child_process|worker_threads|http|url)(?:\/promises)?["'`]/,
  '@tensorflow/tfjs-node(-gpu) loading': /libtensorflow was not downloaded/,
  "Dawn's set-up (webgpu in Node)": /Dawn found no WebGPU adapter/,
  "SwiftShader's Vulkan ICD": /VK_ICD_FILENAMES/,
  'the native BLAS addon loader': /gpt2_blas\.node/,
  'the @tensorflow/tfjs union package (tfjs-layers)': /LayersModel/,
};

describe('the web bundle', () => {
  const files = readdirSync(ASSETS).filter((name) => name.endsWith('.js'));

  it('was built', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(Object.entries(NODE_ONLY))('contains no %s', (_what, pattern) => {
    const hits = files.filter((name) =>
      pattern.test(readFileSync(join(ASSETS.pathname, name), 'utf8')),
    );
    expect(hits).toEqual([]);
  });
});
