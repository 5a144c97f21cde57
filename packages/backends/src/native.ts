/**
 * `@gpt2/backends/native`: the Node native-memory CPU backend (tfjs backend
 * `'native'`): tensors are TypedArrays in Node memory, the hot kernels run in
 * this package's addon (sgemm: OpenBLAS's when installed, else the addon's
 * built-in one; vectorised and threaded element-wise, reduction, softmax,
 * layout, AdamW and the fused contract kernels). `initBackend('native')` (or
 * `'auto'` in Node, when the addon is built) activates it with its defaults.
 */
export { NativeBackend } from './kernels/native/backend.js';
export type { NativeBlasChoice } from './kernels/native/native-blas.js';
export { timeNativeKernels } from './kernels/native/register.js';
export {
  createNativeBackend,
  DEFAULT_NATIVE_BACKEND_OPTIONS,
  NATIVE_BUILD_HINT,
  type NativeBackendOptions,
} from './providers/native.js';
