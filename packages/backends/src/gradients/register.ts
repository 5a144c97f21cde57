import * as tf from '@tensorflow/tfjs-core';
import { TFJS_CORE_GRADIENTS } from './tfjs-core-gradients.generated.js';

/**
 * Register tfjs-core's gradients (every op's backward pass) into the shared
 * tfjs-core, each unless one is registered already: exactly once, also when
 * the `@tensorflow/tfjs` union package or a second call got there first.
 * tfjs-core's Node build registers none, and without them no model can train.
 * Returns how many were added.
 */
export function registerTfjsGradients(): number {
  let added = 0;
  for (const config of TFJS_CORE_GRADIENTS) {
    if (tf.getGradient(config.kernelName) !== undefined) continue;
    tf.registerGradient(config);
    added++;
  }
  return added;
}

/** How many gradients tfjs-core defines (for tests). */
export const TFJS_CORE_GRADIENT_COUNT = TFJS_CORE_GRADIENTS.length;
